"""REST transport: FastAPI routes under ``/api``."""

"""Pydantic models of everything that crosses the public contract (REST and Socket.IO)."""

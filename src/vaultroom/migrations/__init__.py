"""Alembic migrations, shipped inside the package (``vaultroom migrate`` applies them)."""

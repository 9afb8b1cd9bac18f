"""Apply Alembic migrations from code (the CLI and the tests call this)."""

from __future__ import annotations

import threading

from alembic import command
from alembic.config import Config


def alembic_config(database_url: str) -> Config:
    """An Alembic config pointing at the packaged migrations and the given database."""
    config = Config()
    config.set_main_option("script_location", "vaultroom:migrations")
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


# Alembic keeps its migration context in module globals, so two threads of one
# process must not migrate at once (separate processes are serialised by the
# PostgreSQL advisory lock in env.py).
_in_process = threading.Lock()


def upgrade_to_head(database_url: str) -> None:
    """Bring the database schema up to date. Blocking: call it outside the event loop."""
    with _in_process:
        command.upgrade(alembic_config(database_url), "head")

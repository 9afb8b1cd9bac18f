"""Database engines and transactions: SQLite (embedded default) or PostgreSQL.

SQLite allows one writer at a time, so writes go through their own engine with a
single pooled connection that opens ``BEGIN IMMEDIATE`` transactions: concurrent
writers queue in the pool instead of failing with "database is locked" when a
deferred transaction tries to upgrade its read lock. Reads use a separate pool and
run concurrently thanks to WAL mode.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, exc, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from vaultroom.settings import Settings


def database_unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the database could not be reached or used (a retry may
    succeed), as opposed to a bug or a constraint violation."""
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, exc.OperationalError | exc.InterfaceError | exc.TimeoutError | OSError)


def ensure_sqlite_directory(database_url: str) -> None:
    """Create the folder of a SQLite database file (``./data`` by default)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(engine: AsyncEngine, busy_timeout_ms: int, *, immediate: bool) -> None:
    """Turn on WAL, foreign keys and a busy timeout; take over BEGIN from the driver."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (the sqlite3 module's implicit
        # transactions would defeat BEGIN IMMEDIATE).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_engine_for(settings: Settings, *, writer: bool = False) -> AsyncEngine:
    """One engine for the configured database; ``writer`` gives SQLite's write engine."""
    if settings.is_sqlite:
        ensure_sqlite_directory(settings.database_url)
        engine = create_async_engine(
            settings.database_url,
            pool_size=1 if writer else settings.db_pool_size,
            max_overflow=0,
            pool_timeout=60,
            hide_parameters=True,
        )
        _configure_sqlite(engine, settings.sqlite_busy_timeout_ms, immediate=writer)
        return engine
    return create_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_pre_ping=True,
        hide_parameters=True,  # bound values (hashes, user input) stay out of logs
    )


class Database:
    """The engines of one node and the transactions services run in."""

    def __init__(self, settings: Settings) -> None:
        self.engine = create_engine_for(settings)
        self._write_engine = (
            create_engine_for(settings, writer=True) if settings.is_sqlite else self.engine
        )
        # On PostgreSQL a read sees one snapshot for all its statements (a
        # conversation's last_seq, last message and unread count agree).
        reads = (
            self.engine
            if settings.is_sqlite
            else self.engine.execution_options(isolation_level="REPEATABLE READ")
        )
        self._reads = async_sessionmaker(reads, expire_on_commit=False)
        self._writes = async_sessionmaker(self._write_engine, expire_on_commit=False)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A read-write transaction, committed when the block ends without error."""
        async with self._writes.begin() as session:
            yield session

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[AsyncSession]:
        """A transaction for reads; loaded objects stay usable after it ends."""
        async with self._reads() as session, session.begin():
            yield session

    async def ping(self) -> None:
        """Raise if the database cannot answer a trivial query."""
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
        if self._write_engine is not self.engine:
            await self._write_engine.dispose()

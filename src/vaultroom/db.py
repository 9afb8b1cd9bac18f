"""Database engines and transactions: SQLite (embedded default) or PostgreSQL.

SQLite allows one writer at a time, so writes go through their own engine with a
single pooled connection that opens ``BEGIN IMMEDIATE`` transactions: concurrent
writers queue in the pool instead of failing with "database is locked" when a
deferred transaction tries to upgrade its read lock. The message writer's batches
run on one more connection, kept open (``Database.run_sqlite_write``); a lock of the
node makes them and the transactions take turns. Reads use a separate pool and
run concurrently thanks to WAL mode.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import event, exc, text
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_connection
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util import await_

from vaultroom.settings import Settings

P = ParamSpec("P")
T = TypeVar("T")

logger = logging.getLogger(__name__)

# With background checkpoints, SQLite's own one (in the commit that fills the log
# past this many pages) only stays as a backstop: about 40 MB of log.
BACKSTOP_AUTOCHECKPOINT_PAGES = 10_000


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


def background_checkpoint_path(settings: Settings) -> str | None:
    """The SQLite file ``WalCheckpointer`` works on, absolute; ``None`` when it does not
    run (turned off, PostgreSQL, an in-memory or URI-style database)."""
    if not settings.is_sqlite or settings.sqlite_checkpoint_seconds <= 0:
        return None
    url = make_url(settings.database_url)
    if not url.database or url.database == ":memory:" or url.query:
        return None
    return str(Path(url.database).expanduser().resolve())


def _execute_in_thread(
    connection: sqlite3.Connection, operation: str, parameters: Any, many: bool
) -> tuple[Any, int, int | None, list[Any]]:
    """One statement, its rows and the cursor's figures, in aiosqlite's thread."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class _OneTripCursor:
    """A DBAPI cursor over aiosqlite that runs each statement in one trip to its thread.

    SQLAlchemy's own adapter makes four (open a cursor, execute, fetch the rows,
    close it), and each trip hands the GIL between two threads: under load the
    trips, not SQLite, were most of a query's cost. The rows are fetched at once,
    as that adapter does too (it buffers them)."""

    __slots__ = ("_adapted", "_rows", "arraysize", "description", "lastrowid", "rowcount")
    server_side = False

    def __init__(self, adapted: Any) -> None:
        self._adapted = adapted
        self._rows: collections.deque[Any] = collections.deque()
        self.arraysize = 1
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None

    def _run(self, operation: str, parameters: Any, *, many: bool) -> None:
        # aiosqlite's own queue to its thread (``_execute``, ``_conn``: aiosqlite 0.22,
        # as SQLAlchemy's adapter uses its ``_tx`` queue for isolation_level).
        driver = self._adapted._connection  # the aiosqlite.Connection
        try:
            call = driver._execute(_execute_in_thread, driver._conn, operation, parameters, many)
            self.description, self.rowcount, self.lastrowid, rows = await_(call)
        except Exception as error:  # "no active connection" included, as the adapter does
            self._adapted._handle_exception(error)
        self._rows = collections.deque(rows)

    def execute(self, operation: str, parameters: Any = None) -> None:
        self._run(operation, parameters, many=False)

    def executemany(self, operation: str, seq_of_parameters: Any) -> None:
        self._run(operation, seq_of_parameters, many=True)

    def close(self) -> None:
        self._rows.clear()

    async def _async_soft_close(self) -> None:
        return None  # nothing is open in the driver between trips

    def setinputsizes(self, *_sizes: Any) -> None:
        return None

    def nextset(self) -> None:
        return None

    def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    def fetchmany(self, size: int | None = None) -> list[Any]:
        rows = self._rows
        return [rows.popleft() for _ in range(min(size or self.arraysize, len(rows)))]

    def fetchall(self) -> list[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows

    def __iter__(self) -> Iterator[Any]:
        while self._rows:
            yield self._rows.popleft()


class _OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's aiosqlite connection with :class:`_OneTripCursor` cursors."""

    __slots__ = ()
    _cursor_cls = _OneTripCursor  # type: ignore[assignment]  # a duck-typed cursor


def _configure_sqlite(
    engine: AsyncEngine, busy_timeout_ms: int, *, immediate: bool, autocheckpoint_pages: int
) -> None:
    """Turn on WAL, foreign keys and a busy timeout; take over BEGIN from the driver."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        if type(dbapi_connection) is AsyncAdapt_aiosqlite_connection:
            dbapi_connection.__class__ = _OneTripConnection  # same layout, cheaper cursors
        # Let SQLAlchemy emit BEGIN itself (the sqlite3 module's implicit
        # transactions would defeat BEGIN IMMEDIATE).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA wal_autocheckpoint={int(autocheckpoint_pages)}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "reset")
    def _on_reset(dbapi_connection: Any, record: Any, reset_state: Any) -> None:
        # The pool's reset of a returned connection (pool_reset_on_return=None hands it
        # to us): roll back only what is still open. After a commit or a rollback,
        # SQLite's own flag says there is nothing, and the trip to aiosqlite's thread
        # a ROLLBACK takes is saved.
        if record.driver_connection.in_transaction:
            dbapi_connection.rollback()

    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # On the driver's connection: one trip to aiosqlite's thread, where a statement
        # through SQLAlchemy's cursor takes three (open, execute, close a cursor).
        try:
            await_(connection.connection.driver_connection.execute(begin))
        except Exception as error:  # as SQLAlchemy wraps it ("database is locked": busy)
            dbapi = connection.dialect.loaded_dbapi
            raise exc.DBAPIError.instance(begin, (), error, dbapi.Error) from error


def create_engine_for(settings: Settings, *, writer: bool = False) -> AsyncEngine:
    """One engine for the configured database; ``writer`` gives SQLite's write engine."""
    if settings.is_sqlite:
        ensure_sqlite_directory(settings.database_url)
        engine = create_async_engine(
            settings.database_url,
            pool_size=1 if writer else settings.db_pool_size,
            max_overflow=0,
            pool_timeout=60,
            pool_reset_on_return=None,  # the "reset" listener of _configure_sqlite does it
            hide_parameters=True,
        )
        _configure_sqlite(
            engine,
            settings.sqlite_busy_timeout_ms,
            immediate=writer,
            # SQLite's default, unless WalCheckpointer does it in the background.
            autocheckpoint_pages=BACKSTOP_AUTOCHECKPOINT_PAGES
            if background_checkpoint_path(settings)
            else 1000,
        )
        return engine
    return create_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_pre_ping=True,
        hide_parameters=True,  # bound values (hashes, user input) stay out of logs
    )


class WalCheckpointer:
    """Copies SQLite's write-ahead log into the database file in a thread of its own.

    By default SQLite does it inside the commit that grows the log past 1,000
    pages, with an fsync, while the single writer waits: measured on 100-message
    batches (a script calling ``store/sqlite_batch.py`` in a loop, 2026-12-03), 8.3
    ms per batch with those checkpoints against 3.6 without, p99 31 ms against 6.6.
    Here, after a write, a PASSIVE checkpoint starts on a connection of its own if
    none ran in the last ``interval`` seconds: it never blocks writers or readers,
    copies what no reader still needs, and the writer restarts the log from its
    beginning once it was all copied. The default autocheckpoint stays as a
    backstop at ``BACKSTOP_AUTOCHECKPOINT_PAGES``.
    """

    def __init__(self, path: str, interval: float, busy_timeout_ms: int) -> None:
        self._path = path
        self._interval = interval
        self._busy_timeout_ms = busy_timeout_ms
        self._connection: sqlite3.Connection | None = None
        self._running: asyncio.Future[None] | None = None
        self._last_start = 0.0
        self._closed = False
        self.checkpoints = 0  # observability and tests

    def after_write(self) -> None:
        """A write committed: checkpoint in the background unless one ran recently.

        Never raises: the write it follows is committed whatever happens here."""
        now = time.monotonic()
        if self._closed or self._running is not None or now - self._last_start < self._interval:
            return
        self._last_start = now
        try:
            self._running = asyncio.get_running_loop().run_in_executor(None, self._checkpoint)
        except Exception as error:  # no executor (shutting down): SQLite's backstop remains
            logger.warning("SQLite checkpoint not started: %s", error)
            return
        self._running.add_done_callback(self._finished)

    def _finished(self, done: asyncio.Future[None]) -> None:
        self._running = None
        if not done.cancelled() and done.exception() is not None:
            # The log grows until the next one (or the backstop): worth a warning only.
            logger.warning("SQLite checkpoint failed: %s", done.exception())

    def _checkpoint(self) -> None:
        if self._connection is None:
            self._connection = sqlite3.connect(
                self._path, isolation_level=None, check_same_thread=False
            )
            self._connection.execute(f"PRAGMA busy_timeout={int(self._busy_timeout_ms)}")
        self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        self.checkpoints += 1

    async def close(self) -> None:
        """Wait for a running checkpoint, then close the connection (for good)."""
        self._closed = True
        if self._running is not None:
            await asyncio.wait([self._running])
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class Database:
    """The engines of one node and the transactions services run in."""

    def __init__(self, settings: Settings) -> None:
        self.is_sqlite = settings.is_sqlite
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
        # One write at a time on this node (SQLite: across its two write connections).
        self._write_lock = asyncio.Lock() if settings.is_sqlite else contextlib.nullcontext()
        # SQLite: the connection run_sqlite_write keeps, from an engine of its own.
        self._kept_engine = create_engine_for(settings, writer=True) if settings.is_sqlite else None
        self._kept: AsyncConnection | None = None
        path = background_checkpoint_path(settings)
        self.checkpointer = (
            WalCheckpointer(
                path, settings.sqlite_checkpoint_seconds, settings.sqlite_busy_timeout_ms
            )
            if path
            else None
        )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A read-write transaction, committed when the block ends without error."""
        async with self._write_lock, self._writes.begin() as session:
            yield session
        if self.checkpointer is not None:
            self.checkpointer.after_write()

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[AsyncSession]:
        """A transaction for reads; loaded objects stay usable after it ends.

        It begins with the first statement and is rolled back as the session closes
        (a read-only transaction has nothing to commit): one trip to the database to
        end it, where a commit followed by the pool's reset took two."""
        async with self._reads() as session:
            yield session

    async def run_sqlite_write(
        self,
        function: Callable[Concatenate[sqlite3.Connection, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """Run ``function(connection, ...)`` in the thread of a SQLite write connection.

        The function gets the sqlite3 connection itself (no transaction open). It
        runs on a connection kept for these calls (checking one out of SQLAlchemy's
        pool and returning it cost about 150 us per call, as much as a small batch
        itself), and, like every transaction of this node, under the node's write
        lock: SQLite has one writer at a time, and waiting in turn here is cheaper
        than its busy handler's sleeps. A sqlite3 error comes back as SQLAlchemy
        raises it, so ``database_unavailable`` and ``IntegrityError`` mean the same
        on both paths.
        """
        if self._kept_engine is None:
            raise RuntimeError("run_sqlite_write needs the SQLite engine")
        async with self._write_lock:
            if self._kept is None:
                self._kept = await self._kept_engine.connect()
            pooled = await self._kept.get_raw_connection()
            driver: Any = pooled.driver_connection  # the aiosqlite.Connection
            try:
                # aiosqlite's queue to its thread (private, as in _OneTripCursor).
                result: T = await driver._execute(function, driver._conn, *args, **kwargs)
            except sqlite3.Error as error:
                raise exc.DBAPIError.instance(None, None, error, sqlite3.Error) from error
            except ValueError as error:  # aiosqlite: "no active connection", "Connection closed"
                kept, self._kept = self._kept, None  # the next call opens another
                await kept.invalidate()
                raise exc.OperationalError(None, None, error) from error
        if self.checkpointer is not None:
            self.checkpointer.after_write()
        return result

    async def ping(self) -> None:
        """Raise if the database cannot answer a trivial query."""
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        """Close every pooled connection."""
        if self._kept is not None:
            await self._kept.close()
            self._kept = None
        if self._kept_engine is not None:
            await self._kept_engine.dispose()
        if self.checkpointer is not None:
            await self.checkpointer.close()
        await self.engine.dispose()
        if self._write_engine is not self.engine:
            await self._write_engine.dispose()

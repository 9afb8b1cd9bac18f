"""A batch of sends stored on SQLite in one call in the database's thread.

The message writer's hot path. Through SQLAlchemy a batch cost the event loop's
thread more than the rest of a message's handling: building five statements per
batch (an IN list of the batch's keys, ORM bulk insert and update), their
parameters and result rows, and a trip to aiosqlite's thread for each (py-spy,
2026-12-02 and 2026-12-03: 26 to 35 % of the event loop's busy time at 100 pairs).
Here the whole transaction is one plain function run by aiosqlite's own thread on
the write connection: prepared statements from the sqlite3 module's cache, one
point query per key or conversation (microseconds each in SQLite's C code, which
releases the GIL while it runs), and one hand-over of the results. PostgreSQL
keeps the SQLAlchemy path (``services/message_writer.py``), which does the same
in the same order; the two are tested against each other by the same tests.

SQLAlchemy is still what reads these rows back (history, resync), so dates are
written with its own SQLite ``DATETIME`` format.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy.dialects.sqlite import DATETIME
from sqlalchemy.dialects.sqlite.base import SQLiteDialect

_DIALECT = SQLiteDialect()
_SQLITE_DATETIME: Any = DATETIME()  # type: ignore[no-untyped-call]
_datetime_to_text = cast(Callable[[datetime], str], _SQLITE_DATETIME.bind_processor(_DIALECT))
_text_to_datetime = cast(
    Callable[[str], datetime], _SQLITE_DATETIME.result_processor(_DIALECT, None)
)

# A stored message's columns (``Message`` attributes), named by ``MESSAGE_COLUMNS``.
MESSAGE_COLUMNS = (
    "id",
    "conversation_id",
    "seq",
    "sender_id",
    "client_msg_id",
    "body",
    "created_at",
    "edited_at",
    "deleted_at",
    "change_seq",
)
_FIND = (
    "SELECT id, conversation_id, seq, sender_id, client_msg_id, body, created_at, edited_at,"
    " deleted_at, change_seq FROM messages WHERE sender_id = ? AND client_msg_id = ?"
)
_LAST_SEQ = "SELECT last_seq FROM conversations WHERE id = ?"
_MEMBERS = "SELECT user_id FROM conversation_members WHERE conversation_id = ?"
_INSERT = (
    "INSERT INTO messages (conversation_id, seq, sender_id, client_msg_id, body, created_at,"
    " change_seq) VALUES (?, ?, ?, ?, ?, ?, 0)"
)
_SET_LAST_SEQ = "UPDATE conversations SET last_seq = ?, last_activity_at = ? WHERE id = ?"

# (sender_id, conversation_id, client_msg_id, body)
Send = tuple[int, int, str, str]


@dataclass
class StoredBatch:
    """What the transaction found and did, for the event loop's thread to answer with.

    ``stored``: the rows already stored under a send's key (retries), by index in
    the batch; ``inserted``: ``(id, seq)`` of each new message, by index; a send in
    neither was refused (its sender is not a member, or there is no such
    conversation); ``members``: the member ids of every conversation sent to."""

    stored: dict[int, tuple[Any, ...]] = field(default_factory=dict)
    inserted: dict[int, tuple[int, int]] = field(default_factory=dict)
    members: dict[int, frozenset[int]] = field(default_factory=dict)


def datetime_to_text(value: datetime) -> str:
    """A UTC datetime as SQLAlchemy stores it in SQLite (naive UTC text)."""
    return _datetime_to_text(value.astimezone(UTC).replace(tzinfo=None))


def text_to_datetime(value: str | None) -> datetime | None:
    """A stored date back as a timezone-aware UTC datetime (as ``UTCDateTime`` reads it)."""
    if value is None:
        return None
    parsed = _text_to_datetime(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def store_batch(connection: sqlite3.Connection, sends: Sequence[Send], now: str) -> StoredBatch:
    """Store ``sends`` in one ``BEGIN IMMEDIATE`` transaction (run in the database thread).

    The same decisions as the SQLAlchemy path: a key already stored is a retry; a
    conversation's ``last_seq`` is read inside the write transaction (SQLite has one
    writer: nothing moves it until the commit); membership is read in the same
    transaction, so a member removed before it cannot send; seqs follow the batch's
    order without gaps. Any error rolls everything back."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        result = _store(connection.cursor(), sends, now)
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    return result


def _store(cursor: sqlite3.Cursor, sends: Sequence[Send], now: str) -> StoredBatch:
    result = StoredBatch()
    last_seqs: dict[int, int | None] = {}
    for index, (sender_id, conversation_id, client_msg_id, body) in enumerate(sends):
        row = cursor.execute(_FIND, (sender_id, client_msg_id)).fetchone()
        if row is not None:
            result.stored[index] = row
            continue
        if conversation_id not in last_seqs:
            found = cursor.execute(_LAST_SEQ, (conversation_id,)).fetchone()
            last_seqs[conversation_id] = None if found is None else found[0]
            members = cursor.execute(_MEMBERS, (conversation_id,)).fetchall()
            result.members[conversation_id] = frozenset(member for (member,) in members)
        last_seq = last_seqs[conversation_id]
        if last_seq is None or sender_id not in result.members[conversation_id]:
            continue  # refused: no such conversation, or not a member
        last_seq += 1
        last_seqs[conversation_id] = last_seq
        cursor.execute(_INSERT, (conversation_id, last_seq, sender_id, client_msg_id, body, now))
        result.inserted[index] = (int(cursor.lastrowid or 0), last_seq)  # set by an INSERT
    touched = {sends[index][1] for index in result.inserted}  # conversations sent to
    cursor.executemany(_SET_LAST_SEQ, [(last_seqs[c], now, c) for c in touched])
    return result

"""SQLite's write-ahead log is copied into the database file in the background."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from pathlib import Path

import pytest
from asgi_lifespan import LifespanManager

from tests.waiting import wait_until
from vaultroom.app import create_app
from vaultroom.services.message_writer import SendRequest
from vaultroom.settings import Settings


def seed(path: Path) -> tuple[int, int]:
    """A user and a conversation of theirs, written straight into the file."""
    now = "2026-12-03 00:00:00.000000"
    with sqlite3.connect(path) as connection:
        user = connection.execute(
            "INSERT INTO users (username, email, email_key, display_name, password_hash, role,"
            " created_at) VALUES ('ann', 'ann@x.test', 'ann@x.test', 'Ann', 'x', 'user', ?)",
            (now,),
        ).lastrowid
        conversation = connection.execute(
            "INSERT INTO conversations (kind, title, created_by, created_at, last_seq,"
            " last_change_seq, last_activity_at) VALUES ('group', 't', ?, ?, 0, 0, ?)",
            (user, now, now),
        ).lastrowid
        connection.execute(
            "INSERT INTO conversation_members (conversation_id, user_id, role, last_read_seq,"
            " joined_at) VALUES (?, ?, 'owner', 0, ?)",
            (conversation, user, now),
        )
    assert user is not None and conversation is not None
    return user, conversation


def messages_in_file_alone(path: Path, copy: Path) -> int:
    """Messages in the database file without its log (a copy of the file only)."""
    shutil.copyfile(path, copy)
    with sqlite3.connect(copy) as connection:
        count: int = connection.execute("SELECT count(*) FROM messages").fetchone()[0]
    return count


@pytest.mark.parametrize("interval", [1.0, 0.0])
async def test_committed_messages_reach_the_database_file_without_a_full_log(
    tmp_path: Path, sqlite_template: Path, interval: float
) -> None:
    target = tmp_path / "vaultroom.db"
    shutil.copyfile(sqlite_template, target)
    user, conversation = seed(target)
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{target}",
        web_dir=tmp_path / "web",
        sqlite_checkpoint_seconds=interval,
    )
    application = create_app(settings)
    async with LifespanManager(application):
        db = application.services.db
        writer = application.services.writer
        await asyncio.gather(
            *(writer.send(SendRequest(user, conversation, f"c{i}", "hi")) for i in range(20))
        )
        checkpointer = db.checkpointer
        if interval == 0:
            # SQLite's own checkpoints only (at 1,000 pages of log): these few
            # messages stay in the log.
            assert checkpointer is None
            assert messages_in_file_alone(target, tmp_path / "copy.db") == 0
            return
        assert checkpointer is not None
        await wait_until(lambda: checkpointer.checkpoints >= 1, "a background checkpoint ran")
        await wait_until(lambda: checkpointer._running is None, "the checkpoint ended")

        assert messages_in_file_alone(target, tmp_path / "copy.db") == 20

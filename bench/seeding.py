"""Accounts cloned in the database: the users a run needs beyond the ones registered.

Registration is argon2-bound by design (about 20 to 40 ms of a core each), so the
2,000 users of the standard set took 40 to 75 s per database through the API. The
harness registers a sample through the API (the ``registration`` figure) and clones
the rest from the first one: each clone is a row of ``users`` copied from it (so the
same argon2 hash: the bench password, which every user has anyway) under its own
name, and a ``sessions`` row copied from its session with a fresh token's hash, as
``POST /api/auth/register`` would have issued. The server sees the same rows either
way; only the registration figure is drawn from fewer accounts.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import sqlite3
from typing import Any

# Columns a clone does not copy from its template: given, or left to their defaults.
_OWN = ("id", "username", "email", "email_key", "display_name", "last_seen_at")
_SESSION_OWN = ("id", "user_id", "token_hash")


def _token() -> tuple[str, str]:
    """A session token as the server issues them, and its stored hash (security/tokens.py)."""
    token = secrets.token_urlsafe(32)
    return token, hashlib.sha256(token.encode()).hexdigest()


def clone_users(url: str, template: dict[str, Any], usernames: list[str]) -> list[dict[str, Any]]:
    """Users ``usernames`` (in order) cloned from ``template`` (``{id, token}``), each with
    a session of its own: ``{id, token, username}`` like a registration's answer."""
    if not usernames:
        return []
    tokens = [_token() for _ in usernames]
    template_hash = hashlib.sha256(template["token"].encode()).hexdigest()
    if url.startswith("sqlite"):
        ids = _clone_sqlite(url, template["id"], template_hash, usernames, tokens)
    else:
        ids = asyncio.run(_clone_postgres(url, template["id"], template_hash, usernames, tokens))
    return [
        {"id": ids[name], "token": token, "username": name}
        for name, (token, _hash) in zip(usernames, tokens, strict=True)
    ]


def _statements(user_columns: list[str], session_columns: list[str], mark: str) -> tuple[str, str]:
    """The two INSERT ... SELECT statements (``mark``: the placeholder style, ``?`` or ``$``)."""

    def placeholder(i: int) -> str:
        return "?" if mark == "?" else f"${i}"

    users_copied = [c for c in user_columns if c not in _OWN]
    # Column names come from the database's own schema, values are bound.
    users_sql = (
        f"INSERT INTO users (username, email, email_key, {', '.join(users_copied)}) "  # noqa: S608
        f"SELECT {placeholder(1)}, {placeholder(2)}, {placeholder(3)}, "
        f"{', '.join(users_copied)} FROM users WHERE id = {placeholder(4)}"
    )
    sessions_copied = [c for c in session_columns if c not in _SESSION_OWN]
    sessions_sql = (
        f"INSERT INTO sessions (user_id, token_hash, {', '.join(sessions_copied)}) "  # noqa: S608
        f"SELECT u.id, {placeholder(1)}, {', '.join('s.' + c for c in sessions_copied)} "
        f"FROM sessions s, users u WHERE s.token_hash = {placeholder(2)} "
        f"AND u.username = {placeholder(3)}"
    )
    return users_sql, sessions_sql


def _user_rows(names: list[str], template_id: int) -> list[tuple[Any, ...]]:
    return [
        (name, f"{name}@example.com", f"{name}@example.com".casefold(), template_id)
        for name in names
    ]


def _clone_sqlite(
    url: str,
    template_id: int,
    template_hash: str,
    names: list[str],
    tokens: list[tuple[str, str]],
) -> dict[str, int]:
    path = url.split(":///", 1)[1]
    connection = sqlite3.connect(path, timeout=60, isolation_level=None)
    try:
        columns = [row[1] for row in connection.execute("PRAGMA table_info(users)")]
        session_columns = [row[1] for row in connection.execute("PRAGMA table_info(sessions)")]
        users_sql, sessions_sql = _statements(columns, session_columns, "?")
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(users_sql, _user_rows(names, template_id))
        connection.executemany(
            sessions_sql,
            [
                (digest, template_hash, name)
                for name, (_t, digest) in zip(names, tokens, strict=True)
            ],
        )
        connection.execute("COMMIT")
        found = connection.execute("SELECT username, id FROM users").fetchall()
    finally:
        connection.close()
    wanted = set(names)
    return {name: int(user_id) for name, user_id in found if name in wanted}


async def _clone_postgres(
    url: str,
    template_id: int,
    template_hash: str,
    names: list[str],
    tokens: list[tuple[str, str]],
) -> dict[str, int]:
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"), timeout=10)
    try:
        query = (
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = $1 AND table_schema = current_schema() ORDER BY ordinal_position"
        )
        columns = [row[0] for row in await connection.fetch(query, "users")]
        session_columns = [row[0] for row in await connection.fetch(query, "sessions")]
        users_sql, sessions_sql = _statements(columns, session_columns, "$")
        async with connection.transaction():
            await connection.executemany(users_sql, _user_rows(names, template_id))
            await connection.executemany(
                sessions_sql,
                [(d, template_hash, n) for n, (_t, d) in zip(names, tokens, strict=True)],
            )
        found = await connection.fetch(
            "SELECT username, id FROM users WHERE username = ANY($1::text[])", names
        )
    finally:
        await connection.close()
    return {row["username"]: int(row["id"]) for row in found}

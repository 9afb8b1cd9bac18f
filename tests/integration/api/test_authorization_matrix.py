"""The authorization matrix of the REST API: every route, every kind of caller.

Every route of the app is in exactly one table below: ``PUBLIC`` (no sign-in needed)
or ``ROUTES`` (a session needed). For each authenticated route, the table says how to
call it on the victim's resources and what another user gets there. The tests call
every route

- with no credentials, an unknown token, the victim's own token after it was revoked
  (Bearer and cookie) or after it expired (absolute and idle): always 401 ``unauthorized``;
- as another user (not a member of the victim's conversations): the contract's status,
  for a victim's conversation, message or session the very answer a nonexistent id
  gets (existence never leaks);
- as a plain member of the victim's group, where the contract says 403;

and check that no answer carries the victim's private content (titles, message bodies,
email, tokens) and that the victim's conversations, messages and sessions are unchanged
afterwards. ``test_every_route_is_in_the_matrix`` fails when a route is added to the app
without a row here. The Socket.IO half (handshake and every client event) is
``tests/integration/realtime/test_socket_authorization_matrix.py``, on a live server.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from sqlalchemy import update
from starlette.routing import Mount

from tests.factories import DEFAULT_PASSWORD, RegisteredUser, UserFactory
from vaultroom.app import VaultRoomApp, create_app
from vaultroom.models import AuthSession
from vaultroom.models.base import utcnow
from vaultroom.settings import Settings

Json = dict[str, Any]
GHOST_ID = 987_654_321_000  # an id no test creates (conversation, message or session)
_client_msg_ids = itertools.count(1)


@dataclass(frozen=True)
class World:
    """The victim's private world, and the people around it.

    ``victim`` holds the token the credential tests kill; ``victim_spare`` is a second,
    live session of the victim, used to look at their world before and after.
    """

    victim: RegisteredUser
    victim_spare: RegisteredUser
    victim_spare_session_id: int
    friend: RegisteredUser  # a plain member of the victim's group and their direct partner
    attacker: RegisteredUser  # in none of the victim's conversations
    group_id: int  # owned by the victim, with the friend as a plain member
    direct_id: int  # the victim's direct conversation with the friend
    victim_group_message_id: int
    friend_group_message_id: int
    victim_direct_message_id: int
    secrets: tuple[str, ...]  # what only the victim (and their friend) may ever read

    def ghost(self) -> World:
        """The same calls on conversations, messages and sessions that do not exist."""
        return replace(
            self,
            victim_spare_session_id=GHOST_ID,
            group_id=GHOST_ID,
            direct_id=GHOST_ID,
            victim_group_message_id=GHOST_ID,
            friend_group_message_id=GHOST_ID,
            victim_direct_message_id=GHOST_ID,
        )


@dataclass(frozen=True)
class Probe:
    """One request: method, URL (with query) and JSON body."""

    method: str
    url: str
    json: Json | None = None


Check = Callable[[World, httpx.Response], None]


@dataclass(frozen=True)
class Row:
    """An authenticated route: how to call it on the victim's world, what an outsider gets."""

    probes: Callable[[World], list[Probe]]
    outsider: frozenset[int]  # the statuses another user (no member of anything) may get
    # For ids of the victim's things: the outsider's answer equals a nonexistent id's.
    same_as_nonexistent: bool = False
    outsider_check: Check | None = None
    # A plain member of the victim's group, where the contract refuses them (403 or 404).
    member: frozenset[int] = field(default_factory=frozenset)
    # The calls that member makes, when not ``probes`` (their own messages are theirs).
    member_probes: Callable[[World], list[Probe]] | None = None


def _cmid() -> str:
    return f"matrix-{next(_client_msg_ids)}"


def _conversation_probes(
    method: str, suffix: str = "", **body: Any
) -> Callable[[World], list[Probe]]:
    """The same call on the victim's group and on their direct conversation."""

    def probes(world: World) -> list[Probe]:
        return [
            Probe(method, f"/api/conversations/{conversation_id}{suffix}", body or None)
            for conversation_id in (world.group_id, world.direct_id)
        ]

    return probes


def _message_probes(
    method: str, *, friends_too: bool = True, **body: Any
) -> Callable[[World], list[Probe]]:
    """The same call on the victim's messages (and the friend's, unless told not to)."""

    def probes(world: World) -> list[Probe]:
        ids = [world.victim_group_message_id, world.victim_direct_message_id]
        if friends_too:
            ids.append(world.friend_group_message_id)
        return [Probe(method, f"/api/messages/{message_id}", body or None) for message_id in ids]

    return probes


def _own_user(world: World, response: httpx.Response) -> None:
    assert response.json()["id"] == world.attacker.id


def _no_victim_sessions(world: World, response: httpx.Response) -> None:
    ids = {session["id"] for session in response.json()["sessions"]}
    assert world.victim_spare_session_id not in ids


def _no_victim_conversations(world: World, response: httpx.Response) -> None:
    ids = {conversation["id"] for conversation in response.json()["conversations"]}
    assert not ids & {world.group_id, world.direct_id}


def _own_events(world: World, response: httpx.Response) -> None:
    owners = {event["user_id"] for event in response.json()["events"]}
    assert owners <= {world.attacker.id}, owners


def _no_email(_world: World, response: httpx.Response) -> None:
    data = response.json()
    for user in data.get("users", [data]):
        assert "email" not in user


def _fresh_conversation(world: World, response: httpx.Response) -> None:
    conversation = response.json()
    assert conversation["id"] not in {world.group_id, world.direct_id}
    assert conversation["last_message"] is None


def _unknown_route(method: str) -> Callable[[World], tuple[Probe, int]]:
    return lambda _w: (Probe(method, "/api/no/such/route"), 404)


# Routes anyone may call without signing in: what such a call gets.
PUBLIC: dict[tuple[str, str], Callable[[World], tuple[Probe, int]]] = {
    ("GET", "/healthz"): lambda _w: (Probe("GET", "/healthz"), 200),
    ("GET", "/readyz"): lambda _w: (Probe("GET", "/readyz"), 200),
    ("GET", "/api/openapi.json"): lambda _w: (Probe("GET", "/api/openapi.json"), 200),
    ("HEAD", "/api/openapi.json"): lambda _w: (Probe("HEAD", "/api/openapi.json"), 200),
    ("GET", "/api/docs"): lambda _w: (Probe("GET", "/api/docs"), 200),
    ("POST", "/api/auth/register"): lambda _w: (
        Probe(
            "POST",
            "/api/auth/register",
            {
                "username": f"newcomer{next(_client_msg_ids)}",
                "email": f"newcomer{next(_client_msg_ids)}@example.com",
                "password": DEFAULT_PASSWORD,
            },
        ),
        201,
    ),
    # Signing in as the victim without their password.
    ("POST", "/api/auth/login"): lambda w: (
        Probe("POST", "/api/auth/login", {"login": w.victim.username, "password": "not it at all"}),
        401,
    ),
    # The second step of a sign-in, with a challenge nobody was given.
    ("POST", "/api/auth/login/2fa"): lambda _w: (
        Probe("POST", "/api/auth/login/2fa", {"challenge": "made-up", "code": "123456"}),
        401,
    ),
    # The catch-all answering unknown /api paths (404) and wrong methods (405).
    **{
        (method, "/api/{path:path}"): _unknown_route(method)
        for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
    },
    # The web app's files (a Mount, not an API route).
    # (These tests have no web build: 503 "not built".)
    ("MOUNT", ""): lambda _w: (Probe("GET", "/"), 503),
}

_MANAGE = frozenset({403, 409})  # 409 not_a_group: a direct conversation has no managers
ROUTES: dict[tuple[str, str], Row] = {
    ("POST", "/api/auth/logout"): Row(
        probes=lambda _w: [Probe("POST", "/api/auth/logout")],
        outsider=frozenset({204}),  # the outsider's own session, nobody else's
    ),
    ("GET", "/api/auth/me"): Row(
        probes=lambda _w: [Probe("GET", "/api/auth/me")],
        outsider=frozenset({200}),
        outsider_check=_own_user,
    ),
    ("GET", "/api/auth/sessions"): Row(
        probes=lambda _w: [Probe("GET", "/api/auth/sessions")],
        outsider=frozenset({200}),
        outsider_check=_no_victim_sessions,
    ),
    ("DELETE", "/api/auth/sessions/{session_id}"): Row(
        probes=lambda w: [Probe("DELETE", f"/api/auth/sessions/{w.victim_spare_session_id}")],
        outsider=frozenset({404}),
        same_as_nonexistent=True,
        member=frozenset({404}),
    ),
    ("POST", "/api/auth/password"): Row(
        probes=lambda _w: [
            Probe(
                "POST",
                "/api/auth/password",
                {"current_password": DEFAULT_PASSWORD, "new_password": "an entirely new phrase"},
            )
        ],
        outsider=frozenset({204}),  # the outsider's own password
    ),
    ("GET", "/api/auth/audit"): Row(
        probes=lambda _w: [
            Probe("GET", "/api/auth/audit"),
            Probe("GET", "/api/auth/audit?limit=1000"),
        ],
        outsider=frozenset({200}),
        outsider_check=_own_events,
    ),
    # Two-factor sign-in: every call is about the caller's own account (no id to aim at
    # the victim's); the password route may have changed the caller's password first.
    ("GET", "/api/auth/2fa"): Row(
        probes=lambda _w: [Probe("GET", "/api/auth/2fa")],
        outsider=frozenset({200}),
    ),
    ("POST", "/api/auth/2fa/setup"): Row(
        probes=lambda _w: [Probe("POST", "/api/auth/2fa/setup", {"password": DEFAULT_PASSWORD})],
        outsider=frozenset({200, 422}),
    ),
    ("POST", "/api/auth/2fa/enable"): Row(
        probes=lambda _w: [Probe("POST", "/api/auth/2fa/enable", {"code": "000000"})],
        outsider=frozenset({409, 422}),
    ),
    ("POST", "/api/auth/2fa/disable"): Row(
        probes=lambda _w: [
            Probe("POST", "/api/auth/2fa/disable", {"password": DEFAULT_PASSWORD, "code": "1"})
        ],
        outsider=frozenset({409, 422}),
    ),
    ("POST", "/api/auth/2fa/recovery-codes"): Row(
        probes=lambda _w: [
            Probe(
                "POST", "/api/auth/2fa/recovery-codes", {"password": DEFAULT_PASSWORD, "code": "1"}
            )
        ],
        outsider=frozenset({409, 422}),
    ),
    # Administrators only: a plain user gets 403, whoever's events they ask for.
    ("GET", "/api/admin/audit"): Row(
        probes=lambda w: [
            Probe("GET", "/api/admin/audit"),
            Probe("GET", f"/api/admin/audit?user_id={w.victim.id}"),
        ],
        outsider=frozenset({403}),
        member=frozenset({403}),
    ),
    ("GET", "/api/users"): Row(
        probes=lambda w: [
            Probe("GET", "/api/users"),
            Probe("GET", f"/api/users?q={w.victim.username}"),
        ],
        outsider=frozenset({200}),  # everyone's public profile, never an email
        outsider_check=_no_email,
    ),
    ("GET", "/api/users/{user_id}"): Row(
        probes=lambda w: [Probe("GET", f"/api/users/{w.victim.id}")],
        outsider=frozenset({200}),
        outsider_check=_no_email,
    ),
    ("GET", "/api/conversations"): Row(
        probes=lambda _w: [Probe("GET", "/api/conversations")],
        outsider=frozenset({200}),
        outsider_check=_no_victim_conversations,
    ),
    # Anyone may open a conversation with anyone: a new one, none of the victim's.
    ("POST", "/api/conversations/direct"): Row(
        probes=lambda w: [
            Probe("POST", "/api/conversations/direct", {"user_id": w.victim.id}),
            Probe("POST", "/api/conversations/direct", {"user_id": w.friend.id}),
        ],
        outsider=frozenset({201}),
        outsider_check=_fresh_conversation,
    ),
    ("POST", "/api/conversations/group"): Row(
        probes=lambda w: [
            Probe(
                "POST",
                "/api/conversations/group",
                {"title": "Not yours", "member_ids": [w.victim.id, w.friend.id]},
            )
        ],
        outsider=frozenset({201}),
        outsider_check=_fresh_conversation,
    ),
    ("GET", "/api/conversations/{conversation_id}"): Row(
        probes=_conversation_probes("GET"),
        outsider=frozenset({404}),
        same_as_nonexistent=True,
    ),
    ("PATCH", "/api/conversations/{conversation_id}"): Row(
        probes=_conversation_probes("PATCH", title="Taken over"),
        outsider=frozenset({404}),
        same_as_nonexistent=True,
        member=_MANAGE,
    ),
    ("POST", "/api/conversations/{conversation_id}/members"): Row(
        probes=lambda w: _conversation_probes("POST", "/members", user_id=w.attacker.id)(w),
        outsider=frozenset({404}),
        same_as_nonexistent=True,
        member=frozenset({403, 409}),  # 409: the direct conversation has fixed members
    ),
    ("DELETE", "/api/conversations/{conversation_id}/members/{user_id}"): Row(
        probes=lambda w: [
            Probe("DELETE", f"/api/conversations/{w.group_id}/members/{w.victim.id}"),
            Probe("DELETE", f"/api/conversations/{w.group_id}/members/{w.attacker.id}"),
            Probe("DELETE", f"/api/conversations/{w.direct_id}/members/{w.victim.id}"),
        ],
        outsider=frozenset({404}),
        same_as_nonexistent=True,
        member=frozenset({403, 404, 409}),  # the owner; a non-member; a direct conversation
    ),
    ("PATCH", "/api/conversations/{conversation_id}/members/{user_id}"): Row(
        probes=lambda w: [
            Probe(
                "PATCH",
                f"/api/conversations/{w.group_id}/members/{w.friend.id}",
                {"role": "admin"},
            ),
            Probe(
                "PATCH",
                f"/api/conversations/{w.group_id}/members/{w.attacker.id}",
                {"role": "admin"},
            ),
            Probe(
                "PATCH",
                f"/api/conversations/{w.direct_id}/members/{w.friend.id}",
                {"role": "admin"},
            ),
        ],
        outsider=frozenset({404}),
        same_as_nonexistent=True,
        member=frozenset({403, 409}),  # 409: not a group
    ),
    ("GET", "/api/conversations/{conversation_id}/messages"): Row(
        probes=lambda w: [
            Probe("GET", f"/api/conversations/{w.group_id}/messages"),
            Probe("GET", f"/api/conversations/{w.group_id}/messages?after_seq=0"),
            Probe("GET", f"/api/conversations/{w.group_id}/messages?before_seq=100"),
            Probe("GET", f"/api/conversations/{w.group_id}/messages?changed_after=0"),
            Probe("GET", f"/api/conversations/{w.direct_id}/messages?limit=1000"),
        ],
        outsider=frozenset({404}),
        same_as_nonexistent=True,
    ),
    ("POST", "/api/conversations/{conversation_id}/messages"): Row(
        probes=lambda w: [
            Probe(
                "POST",
                f"/api/conversations/{conversation_id}/messages",
                {"client_msg_id": _cmid(), "body": "let me in"},
            )
            for conversation_id in (w.group_id, w.direct_id)
        ],
        outsider=frozenset({404}),
        same_as_nonexistent=True,
    ),
    ("POST", "/api/conversations/{conversation_id}/read"): Row(
        probes=_conversation_probes("POST", "/read", seq=2),
        outsider=frozenset({404}),
        same_as_nonexistent=True,
    ),
    ("PATCH", "/api/messages/{message_id}"): Row(
        probes=_message_probes("PATCH", body="rewritten by someone else"),
        outsider=frozenset({404}),
        same_as_nonexistent=True,
        member=frozenset({403}),
        member_probes=_message_probes("PATCH", friends_too=False, body="rewritten"),
    ),
    ("DELETE", "/api/messages/{message_id}"): Row(
        probes=_message_probes("DELETE"),
        outsider=frozenset({404}),
        same_as_nonexistent=True,
        member=frozenset({403}),
        member_probes=_message_probes("DELETE", friends_too=False),
    ),
}


def app_routes(app: VaultRoomApp) -> set[tuple[str, str]]:
    """Every (method, path) the FastAPI app routes, mounts as ("MOUNT", path)."""
    found: set[tuple[str, str]] = set()
    for route in iter_route_contexts(app.api.router.routes):
        if isinstance(route.original_route, Mount):
            found.add(("MOUNT", route.path or ""))
            continue
        assert route.path is not None, route
        assert route.methods, f"a route without methods: {route.path}"
        found.update((method, route.path) for method in route.methods)
    return found


# --- the world ---------------------------------------------------------------------------


async def _call(http: httpx.AsyncClient, probe: Probe, headers: dict[str, str]) -> httpx.Response:
    http.cookies.clear()  # only the credentials a test gives are sent
    response = await http.request(probe.method, probe.url, json=probe.json, headers=headers)
    http.cookies.clear()
    return response


async def _ok(
    http: httpx.AsyncClient, method: str, url: str, user: RegisteredUser, json: Json | None = None
) -> Json:
    response = await _call(http, Probe(method, url, json), user.headers)
    assert response.status_code in {200, 201}, response.text
    data: Json = response.json()
    return data


async def build_world(users: UserFactory) -> World:
    """The victim, their group and direct conversation with a friend, messages, sessions."""
    http = users.client
    victim = await users.create(display_name="Victor Victim")
    spare = replace(victim, token=await users.login(victim.username))
    friend = await users.create()
    attacker = await users.create()
    secrets = (
        "Secret plans 7c1f",  # the group's title
        "the vault code is 4815",
        "carol's secret 1623",
        "direct whisper 4242",
    )
    group = await _ok(
        http,
        "POST",
        "/api/conversations/group",
        victim,
        {"title": secrets[0], "member_ids": [friend.id]},
    )
    direct = await _ok(http, "POST", "/api/conversations/direct", victim, {"user_id": friend.id})

    async def send(user: RegisteredUser, conversation_id: int, body: str) -> int:
        payload = {"client_msg_id": _cmid(), "body": body}
        url = f"/api/conversations/{conversation_id}/messages"
        message_id: int = (await _ok(http, "POST", url, user, payload))["message"]["id"]
        return message_id

    victim_group_message = await send(victim, group["id"], secrets[1])
    friend_group_message = await send(friend, group["id"], secrets[2])
    victim_direct_message = await send(victim, direct["id"], secrets[3])
    sessions = await _ok(http, "GET", "/api/auth/sessions", spare)
    spare_session = next(row["id"] for row in sessions["sessions"] if row["current"])
    return World(
        victim=victim,
        victim_spare=spare,
        victim_spare_session_id=spare_session,
        friend=friend,
        attacker=attacker,
        group_id=group["id"],
        direct_id=direct["id"],
        victim_group_message_id=victim_group_message,
        friend_group_message_id=friend_group_message,
        victim_direct_message_id=victim_direct_message,
        secrets=(*secrets, victim.email, victim.token, spare.token),
    )


async def victims_view(http: httpx.AsyncClient, world: World) -> Json:
    """What the victim sees of their world (through the spare session)."""
    me = world.victim_spare
    view: Json = {"me": await _ok(http, "GET", "/api/auth/me", me)}
    sessions = await _ok(http, "GET", "/api/auth/sessions", me)
    view["sessions"] = sorted(row["id"] for row in sessions["sessions"])
    for conversation_id in (world.group_id, world.direct_id):
        url = f"/api/conversations/{conversation_id}"
        view[url] = await _ok(http, "GET", url, me)
        view[f"{url}/messages"] = await _ok(http, "GET", f"{url}/messages?limit=200", me)
    return view


def assert_no_secrets(world: World, response: httpx.Response, probe: Probe) -> None:
    leaked = [secret for secret in world.secrets if secret in response.text]
    assert not leaked, f"{probe.method} {probe.url} answered with the victim's {leaked}"


@pytest.fixture
async def world(users: UserFactory) -> World:
    """The victim's world in a fresh database."""
    return await build_world(users)


# --- every route is in the matrix ----------------------------------------------------------


def test_every_route_is_in_the_matrix(tmp_path: Path) -> None:
    app = create_app(
        Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}", web_dir=tmp_path)
    )
    routed = app_routes(app)
    listed = set(PUBLIC) | set(ROUTES)

    assert not set(PUBLIC) & set(ROUTES), "a route is listed as both public and authenticated"
    missing = sorted(routed - listed)
    stale = sorted(listed - routed)
    assert not missing, f"routes missing from the authorization matrix: {missing}"
    assert not stale, f"matrix rows for routes the app does not have: {stale}"


# --- dead or missing credentials -------------------------------------------------------------


async def _revoke(http: httpx.AsyncClient, _app: VaultRoomApp, world: World) -> None:
    response = await _call(http, Probe("POST", "/api/auth/logout"), world.victim.headers)
    assert response.status_code == 204, response.text


def _expire(**values: Any) -> Callable[[httpx.AsyncClient, VaultRoomApp, World], Any]:
    async def expire(_http: httpx.AsyncClient, app: VaultRoomApp, world: World) -> None:
        sessions = await _ok(_http, "GET", "/api/auth/sessions", world.victim_spare)
        ids = [row["id"] for row in sessions["sessions"] if not row["current"]]
        assert len(ids) == 1  # the victim's first session, the one ``world.victim`` holds
        async with app.services.db.transaction() as session:
            await session.execute(
                update(AuthSession).where(AuthSession.id == ids[0]).values(**values)
            )

    return expire


async def _nothing(_http: httpx.AsyncClient, _app: VaultRoomApp, _world: World) -> None:
    return None


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# How a credential dies, and the headers a caller then sends (built from the world).
DEAD_CREDENTIALS: dict[
    str,
    tuple[
        Callable[[httpx.AsyncClient, VaultRoomApp, World], Any],
        Callable[[World], dict[str, str]],
    ],
] = {
    "none": (_nothing, lambda _w: {}),
    "unknown-token": (_nothing, lambda _w: _bearer("x" * 43)),
    "revoked-bearer": (_revoke, lambda w: w.victim.headers),
    "revoked-cookie": (
        _revoke,
        lambda w: {"Cookie": f"vaultroom_session={w.victim.token}", "Origin": "http://testserver"},
    ),
    "expired-absolute": (
        _expire(expires_at=utcnow() - timedelta(seconds=1)),
        lambda w: w.victim.headers,
    ),
    "expired-idle": (
        _expire(last_used_at=utcnow() - timedelta(days=14, seconds=1)),
        lambda w: w.victim.headers,
    ),
}


@pytest.mark.parametrize("credential", list(DEAD_CREDENTIALS))
async def test_every_authenticated_route_is_401_without_live_credentials(
    users: UserFactory, app: VaultRoomApp, world: World, credential: str
) -> None:
    http = users.client
    kill, headers_of = DEAD_CREDENTIALS[credential]
    await kill(http, app, world)
    before = await victims_view(http, world)
    wrong: list[str] = []

    for (method, path), row in ROUTES.items():
        for probe in row.probes(world):
            response = await _call(http, probe, headers_of(world))
            assert_no_secrets(world, response, probe)
            code = response.json().get("error", {}).get("code") if response.content else None
            if (response.status_code, code) != (401, "unauthorized"):
                wrong.append(f"{method} {path} ({probe.url}): {response.status_code} {code}")

    assert not wrong, f"not 401 unauthorized with {credential} credentials: {wrong}"
    assert await victims_view(http, world) == before


async def test_public_routes_answer_without_credentials_and_leak_nothing(
    users: UserFactory, world: World
) -> None:
    wrong: list[str] = []
    for (method, path), call in PUBLIC.items():
        probe, expected = call(world)
        response = await _call(users.client, probe, {})
        assert_no_secrets(world, response, probe)
        if response.status_code != expected:
            wrong.append(f"{method} {path}: {response.status_code}, expected {expected}")
    assert not wrong, wrong


# --- another user's token on the victim's things -------------------------------------------


async def _outsider_failures(
    http: httpx.AsyncClient, world: World, route: tuple[str, str], row: Row
) -> list[str]:
    """What went wrong when an outsider called one route on the victim's things."""
    failures: list[str] = []
    for probe, ghost in zip(row.probes(world), row.probes(world.ghost()), strict=True):
        nonexistent = (
            await _call(http, ghost, world.attacker.headers) if row.same_as_nonexistent else None
        )
        response = await _call(http, probe, world.attacker.headers)
        where = f"{' '.join(route)} as {probe.method} {probe.url}"
        assert_no_secrets(world, response, probe)
        if response.status_code not in row.outsider:
            failures.append(f"{where}: {response.status_code} {response.text[:200]}")
        elif nonexistent is not None and (response.status_code, response.json()) != (
            nonexistent.status_code,
            nonexistent.json(),
        ):
            failures.append(f"{where}: answers unlike a nonexistent id: {response.text[:200]}")
        elif row.outsider_check is not None:
            try:
                row.outsider_check(world, response)
            except AssertionError as exc:
                failures.append(f"{where}: {exc}")
    return failures


async def test_an_outsider_gets_nothing_of_the_victims_on_any_route(
    users: UserFactory, world: World
) -> None:
    http = users.client
    before = await victims_view(http, world)
    failures: list[str] = []

    for route, row in ROUTES.items():
        # A fresh outsider per route: logging out or changing a password ends their sessions.
        outsider = replace(world, attacker=await users.create())
        failures += await _outsider_failures(http, outsider, route, row)
        if await victims_view(http, world) != before:
            failures.append(f"{' '.join(route)}: the victim's world changed")
            before = await victims_view(http, world)

    assert not failures, "\n".join(failures)


async def test_a_plain_member_cannot_manage_the_victims_group_or_messages(
    users: UserFactory, world: World
) -> None:
    http = users.client
    before = await victims_view(http, world)
    failures: list[str] = []

    for route, row in ROUTES.items():
        if not row.member:
            continue
        for probe in (row.member_probes or row.probes)(world):
            response = await _call(http, probe, world.friend.headers)
            assert_no_secrets(replace(world, secrets=world.secrets[-3:]), response, probe)
            if response.status_code not in row.member:
                failures.append(
                    f"{' '.join(route)} as {probe.method} {probe.url}: "
                    f"{response.status_code} {response.text[:200]}"
                )
        if await victims_view(http, world) != before:
            failures.append(f"{' '.join(route)}: the victim's world changed")
            before = await victims_view(http, world)

    assert not failures, "\n".join(failures)

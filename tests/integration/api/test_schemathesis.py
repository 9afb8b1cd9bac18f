"""schemathesis against ``/api/openapi.json``: no server error, every answer as documented.

For each operation of the OpenAPI document, Hypothesis generates requests (valid and
invalid ones, on random ids and on the caller's real conversation, message and user)
and sends them to the ASGI app, signed in as one user. Every response must be free of
5xx, have a documented status code, content type and headers, and a body that matches
the documented schema. Routes that end the caller's session (sign-out, password change,
revoking a session) are left out, or the rest of the run would be a string of 401s.

Bounded: a fixed number of examples per operation, generated from a fixed seed so that
every run sends the same requests (a failure is reproducible; no flaky CI).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.errors import FailureGroup
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import DEFAULT_PASSWORD
from vaultroom.app import VaultRoomApp, create_app
from vaultroom.settings import Settings

EXAMPLES_PER_OPERATION = 20


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Routes that end the caller's session.
SESSION_ENDING = [
    ("POST", "/api/auth/logout"),
    ("POST", "/api/auth/password"),
    ("DELETE", "/api/auth/sessions/{session_id}"),
]


@pytest.fixture
def fuzzed_app(database_url: str, tmp_path: Path) -> Iterator[VaultRoomApp]:
    """The app, its lifespan run by schemathesis's ASGI client (in its own thread)."""
    settings = Settings(
        database_url=database_url,
        web_dir=tmp_path / "web",
        # The fuzzer sends far faster than people do: the throttles are not under test.
        send_rate_limit="100000/second",
        rest_rate_limit="100000/second",
        registration_ip_limit="100000/second",
        login_failure_account_limit="100000/second",
        login_failure_ip_limit="100000/second",
        socket_event_rate_limit="100000/second",
    )
    app = create_app(settings)
    try:
        yield app
    finally:
        asgi.shutdown_lifespans()


def _json(response: Any, expected: int) -> dict[str, Any]:
    assert response.status_code == expected, response.text
    data: dict[str, Any] = response.json()
    return data


def seed(app: VaultRoomApp) -> tuple[dict[str, str], dict[str, int]]:
    """A signed-in user with a group, a friend and a message: Bearer headers, real ids."""
    in_process: Any = app  # an ASGI app; schemathesis types it as a plain callable
    with asgi.get_client(in_process) as client:

        def register(name: str) -> dict[str, Any]:
            body = {"username": name, "email": f"{name}@example.com", "password": DEFAULT_PASSWORD}
            data = _json(client.post("/api/auth/register", json=body), 201)
            client.cookies.clear()
            return data

        me, friend = register("fuzzer"), register("friend")
        headers = {"Authorization": f"Bearer {me['token']}"}
        group = _json(
            client.post(
                "/api/conversations/group",
                json={"title": "Fuzzed", "member_ids": [friend["user"]["id"]]},
                headers=headers,
            ),
            201,
        )
        message = _json(
            client.post(
                f"/api/conversations/{group['id']}/messages",
                json={"client_msg_id": "seed-1", "body": "first"},
                headers=headers,
            ),
            201,
        )["message"]
    return headers, {
        "conversation_id": group["id"],
        "message_id": message["id"],
        "user_id": friend["user"]["id"],
    }


def fuzz(operation: Any, headers: dict[str, str], real_ids: dict[str, int]) -> None:
    """Send generated requests to one operation; raise on the first failed check."""
    names = {parameter.name for parameter in operation.path_parameters}
    strategies = [
        operation.as_strategy(mode) for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    ]
    if names:  # the same, on the caller's real conversation, message and friend
        on_real = {name: real_ids[name] for name in names if name in real_ids}
        strategies.append(operation.as_strategy(path_parameters=on_real))

    @hypothesis.settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=st.one_of(strategies))
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


def _shortened(report: str, keep: int = 1500) -> str:
    """A failure report without the bulk of a huge generated body."""
    return report if len(report) <= keep else f"{report[:keep]} [... {len(report) - keep} more]"


def test_the_api_answers_every_generated_request_as_documented(fuzzed_app: VaultRoomApp) -> None:
    schema: schemathesis.BaseSchema = schemathesis.openapi.from_asgi(
        "/api/openapi.json", fuzzed_app
    )
    headers, real_ids = seed(fuzzed_app)
    for method, path in SESSION_ENDING:
        schema = schema.exclude(method=method, path=path)
    failures: list[str] = []
    fuzzed: list[str] = []

    for result in schema.get_all_operations():
        if isinstance(result, Err):
            failures.append(f"an operation the document does not describe well: {result.err()}")
            continue
        operation = result.ok()
        fuzzed.append(operation.label)
        try:
            fuzz(operation, headers, real_ids)
        except (Exception, FailureGroup) as exc:  # every operation is fuzzed; all are reported
            failures.append(f"{operation.label}:\n{_shortened(str(exc))}")

    documented = {
        f"{method.upper()} {path}"
        for path, operations in fuzzed_app.api.openapi()["paths"].items()
        for method in operations
    }
    left_out = {f"{method} {path}" for method, path in SESSION_ENDING}
    assert left_out <= documented  # the exclusions name real operations
    assert set(fuzzed) == documented - left_out
    assert not failures, "\n\n".join(failures)


def openapi_document(tmp_path: Path) -> dict[str, Any]:
    app = create_app(
        Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}", web_dir=tmp_path)
    )
    document: dict[str, Any] = app.api.openapi()
    return document


def test_the_document_lists_413_for_every_request_body(tmp_path: Path) -> None:
    undocumented = [
        f"{method.upper()} {path}"
        for path, operations in openapi_document(tmp_path)["paths"].items()
        for method, operation in operations.items()
        if "requestBody" in operation and "413" not in operation["responses"]
    ]
    assert not undocumented, f"413 missing from: {undocumented}"


def test_the_document_lists_409_for_a_send(tmp_path: Path) -> None:
    send = openapi_document(tmp_path)["paths"]["/api/conversations/{conversation_id}/messages"]
    assert "409" in send["post"]["responses"]

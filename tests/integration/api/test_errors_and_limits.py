"""Every failure has the contract's shape; sizes are limited; no input gives a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.factories import UserFactory


async def test_malformed_json_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/login",
        content=b'{"login": "alice", "password":',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"
    assert set(response.json()["error"]["fields"]) == {"body"}


@pytest.mark.parametrize(
    "body",
    [
        [],
        "a string",
        12,
        None,
        {"login": ["alice"], "password": {"x": 1}},
        {"login": "", "password": ""},
    ],
)
async def test_wrongly_shaped_bodies_are_422_never_500(
    client: httpx.AsyncClient, body: object
) -> None:
    response = await client.post("/api/auth/login", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"


async def test_a_declared_oversized_body_is_413(client: httpx.AsyncClient) -> None:
    big = {"username": "alice", "email": "a@example.com", "password": "x" * 70_000}
    response = await client.post("/api/auth/register", json=big)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


async def test_a_streamed_oversized_body_is_413(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"login": "'
        for _ in range(20):
            yield b"x" * 8192
        yield b'", "password": "x"}'

    response = await client.post(
        "/api/auth/login", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


async def test_unknown_api_routes_are_404_in_the_error_shape(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/does-not-exist")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_a_wrong_method_is_405_in_the_error_shape(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/auth/login")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert response.headers["allow"] == "POST"


async def test_an_undecodable_body_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/login", content=b":8\xff\xfe", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == "ok"


async def test_the_openapi_document_is_served_under_api(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/auth/register", "/api/auth/login", "/api/users"} <= set(paths)


async def test_client_routes_fall_back_to_a_page_not_a_json_404(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/login")
    assert response.headers["content-type"].startswith("text/html")


class TestCrossSiteWrites:
    """A browser on another site must not be able to act with the user's cookie."""

    async def test_a_foreign_origin_cannot_sign_in(
        self, client: httpx.AsyncClient, users: UserFactory
    ) -> None:
        await users.create("alice")
        response = await client.post(
            "/api/auth/login",
            json={"login": "alice", "password": "a long and unusual passphrase"},
            headers={"Origin": "https://evil.example"},
        )
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "cross_site_request"
        assert "set-cookie" not in response.headers

    async def _browser_session(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/api/auth/register",
            json={
                "username": "browser",
                "email": "browser@example.com",
                "password": "a long and unusual passphrase",
            },
            headers={"Origin": "http://testserver"},
        )
        assert response.status_code == 201
        assert client.cookies.get("vaultroom_session")

    async def test_the_cookie_signs_in_reads(self, client: httpx.AsyncClient) -> None:
        await self._browser_session(client)
        response = await client.get("/api/auth/me")
        assert response.status_code == 200
        assert response.json()["username"] == "browser"

    @pytest.mark.parametrize(
        "headers",
        [
            {"Origin": "https://evil.example"},
            {"Origin": "null"},
            {"Sec-Fetch-Site": "cross-site"},
            {},
        ],
        ids=["foreign-origin", "null-origin", "sec-fetch-cross-site", "no-origin"],
    )
    async def test_cookie_writes_from_elsewhere_are_refused(
        self, client: httpx.AsyncClient, headers: dict[str, str]
    ) -> None:
        await self._browser_session(client)
        response = await client.post("/api/auth/logout", headers=headers)
        assert response.status_code == 403
        assert (await client.get("/api/auth/me")).status_code == 200

    @pytest.mark.parametrize(
        "headers", [{"Origin": "http://testserver"}, {"Sec-Fetch-Site": "same-origin"}]
    )
    async def test_same_origin_cookie_writes_work(
        self, client: httpx.AsyncClient, headers: dict[str, str]
    ) -> None:
        await self._browser_session(client)
        response = await client.post("/api/auth/logout", headers=headers)
        assert response.status_code == 204
        assert "vaultroom_session" not in client.cookies
        assert (await client.get("/api/auth/me")).status_code == 401

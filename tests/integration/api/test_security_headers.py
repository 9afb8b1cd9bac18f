"""Security headers on every kind of response: API, web app, errors, Socket.IO polling, docs."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import httpx
import pytest

from tests.integration.api.conftest import client_for
from vaultroom.security.headers import HSTS, PERMISSIONS_POLICY
from vaultroom.settings import PACKAGE_DIR, Settings

EXPECTED = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "x-frame-options": "DENY",
    "permissions-policy": PERMISSIONS_POLICY,
}
CSP_DIRECTIVES = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'", "ws://testserver"],
    "object-src": ["'none'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
}
INDEX_HTML = """<!doctype html><html><head><title>VaultRoom</title>
<script type="module" src="/assets/app.js"></script></head>
<body><div id="root"></div></body></html>"""


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """A node serving a small stand-in for the built web app."""
    web = tmp_path / "web"
    (web / "assets").mkdir(parents=True)
    (web / "index.html").write_text(INDEX_HTML)
    (web / "assets" / "app.js").write_text("console.log('VaultRoom');\n")
    return Settings(database_url=database_url, web_dir=web)


def policy(response: httpx.Response) -> dict[str, list[str]]:
    """The response's Content-Security-Policy, directive by directive."""
    directives = [part.split() for part in response.headers["content-security-policy"].split(";")]
    return {name: values for name, *values in directives}


REQUESTS = [
    pytest.param("GET", "/healthz", None, 200, id="api-health"),
    pytest.param("GET", "/api/auth/me", None, 401, id="api-401"),
    pytest.param("POST", "/api/auth/login", {"login": ""}, 422, id="api-422"),
    pytest.param("GET", "/api/no-such-route", None, 404, id="api-404"),
    pytest.param("GET", "/api/auth/login", None, 405, id="api-405"),
    pytest.param("GET", "/", None, 200, id="web-index"),
    pytest.param("GET", "/conversations/12", None, 200, id="web-client-route"),
    pytest.param("GET", "/assets/app.js", None, 200, id="web-asset"),
    pytest.param("GET", "/assets/missing.js", None, 404, id="web-404"),
    pytest.param("GET", "/socket.io/?EIO=4&transport=polling", None, 200, id="socketio-polling"),
    pytest.param("GET", "/api/openapi.json", None, 200, id="openapi"),
]


@pytest.mark.parametrize(("method", "path", "body", "status"), REQUESTS)
async def test_every_response_carries_the_security_headers(
    client: httpx.AsyncClient, method: str, path: str, body: object, status: int
) -> None:
    response = await client.request(method, path, json=body)

    assert response.status_code == status, response.text
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, name
    assert policy(response) == CSP_DIRECTIVES
    if path.startswith("/api/"):
        # Answers may hold tokens, a TOTP secret or recovery codes: never cached.
        assert response.headers.get("cache-control") == "no-store"


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Origin": "https://evil.example"}, 403),
        ({"Content-Length": "999999999"}, 413),
    ],
    ids=["cross-site-403", "too-large-413"],
)
async def test_refusals_by_middleware_carry_the_security_headers(
    client: httpx.AsyncClient, headers: dict[str, str], status: int
) -> None:
    response = await client.post("/api/auth/login", content=b"{}", headers=headers)

    assert response.status_code == status, response.text
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, name
    assert "content-security-policy" in response.headers


async def test_plain_http_has_no_hsts(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")

    assert "strict-transport-security" not in response.headers


async def test_https_has_hsts_and_lets_the_page_open_wss_to_itself(settings: Settings) -> None:
    async with client_for(settings) as http:
        response = await http.get("https://chat.example.com:8443/api/no-such-route")

    assert response.status_code == 404
    assert response.headers["strict-transport-security"] == HSTS
    assert policy(response)["connect-src"] == ["'self'", "wss://chat.example.com:8443"]


async def test_a_forged_host_header_cannot_add_to_the_policy(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"Host": "evil; script-src *"})

    assert policy(response)["connect-src"] == ["'self'"]
    assert policy(response)["script-src"] == ["'self'"]


async def test_the_app_policy_allows_no_inline_code_and_no_eval(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/")

    csp = response.headers["content-security-policy"]
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "*" not in csp


def test_the_built_web_app_has_no_inline_script_or_style() -> None:
    index = PACKAGE_DIR / "web" / "index.html"
    if not index.is_file():
        pytest.skip("the web app is not built (make test builds it)")
    html = index.read_text()

    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts, "the build loads its code with <script src>"
    assert all(" src=" in tag for tag in scripts)
    assert "<style" not in html
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"
    assert not re.search(r"\sstyle=", html), "inline style attribute"


# --- /api/docs --------------------------------------------------------------------------


async def test_api_docs_have_their_own_policy_that_allows_only_their_script(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/docs")

    assert response.status_code == 200
    docs_policy = policy(response)
    assert docs_policy["default-src"] == ["'none'"]
    assert docs_policy["frame-ancestors"] == ["'none'"]
    assert docs_policy["connect-src"] == ["'self'"]
    inline = re.findall(r"<script>(.*?)</script>", response.text, re.DOTALL)
    assert len(inline) == 1
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    assert docs_policy["script-src"] == ["https://cdn.jsdelivr.net", f"'sha256-{digest}'"]
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, name


async def test_api_docs_can_be_turned_off(settings: Settings) -> None:
    async with client_for(settings.model_copy(update={"api_docs": False})) as http:
        docs = await http.get("/api/docs")
        schema = await http.get("/api/openapi.json")

    assert docs.status_code == 404
    assert docs.json()["error"]["code"] == "not_found"
    assert schema.status_code == 200

"""TLS served by ``vaultroom serve`` itself, the dev certificate, and plain HTTP only where safe.

Real ``serve`` processes, real TLS handshakes from Python's ``ssl``, httpx and a
python-socketio client over WSS; every address is on loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import stat
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pyotp
import pytest
import socketio

from tests.factories import DEFAULT_PASSWORD
from tests.integration.test_cli import run_cli, sqlite_url
from tests.servers import CLEAN_EXITS, Node, Nodes, base_env, free_ports
from vaultroom.security.headers import HSTS
from vaultroom.security.tls import TLS12_CIPHERS, is_loopback_host

HANDSHAKE_TIMEOUT_SECONDS = 30  # a bound for a blocked handshake, never asserted on
# Python deprecates naming TLS 1.0/1.1, which is exactly what these tests must do.
OLD_TLS_WARNINGS = pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning")
# Every interface: only ever reached on 127.0.0.1 in these tests.
ALL_ADDRESSES = "0.0.0.0"  # noqa: S104


@dataclass(frozen=True)
class DevCert:
    """The files ``vaultroom dev-cert`` wrote, and what it printed."""

    directory: Path
    output: str

    @property
    def ca(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def cert(self) -> Path:
        return self.directory / "cert.pem"

    @property
    def key(self) -> Path:
        return self.directory / "key.pem"

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts the dev authority only."""
        return ssl.create_default_context(cafile=self.ca)


@pytest.fixture(scope="module")
def dev_cert(tmp_path_factory: pytest.TempPathFactory) -> DevCert:
    """``vaultroom dev-cert --dir DIR``, run for real."""
    workdir = tmp_path_factory.mktemp("dev-cert")
    result = run_cli("dev-cert", "--dir", "certs", cwd=workdir, env=base_env())
    assert result.returncode == 0, result.stderr
    return DevCert(directory=workdir / "certs", output=result.stdout)


@pytest.fixture(scope="module")
def tls_node(tmp_path_factory: pytest.TempPathFactory, dev_cert: DevCert) -> Iterator[Node]:
    """One ``serve --certfile --keyfile`` process for the module."""
    workdir = tmp_path_factory.mktemp("tls-node")
    nodes = Nodes(log_dir=workdir)
    [port] = free_ports(1)
    env = base_env(VAULTROOM_DATABASE_URL=sqlite_url(workdir / "vaultroom.db"))
    try:
        node = nodes.start(
            port=port,
            cwd=workdir,
            env=env,
            args=["--certfile", str(dev_cert.cert), "--keyfile", str(dev_cert.key)],
            url=f"https://localhost:{port}",
            verify=dev_cert.client_context(),
        )
        node.wait_ready()
        yield node
        assert node.stop() in CLEAN_EXITS, node.output()
        assert "Traceback" not in node.output()
    finally:
        nodes.stop_all()


def port_of(node: Node) -> int:
    """The port a node listens on."""
    return int(node.url.rsplit(":", 1)[1])


def handshake(context: ssl.SSLContext, port: int, hostname: str = "localhost") -> ssl.SSLSocket:
    """A completed TLS handshake with 127.0.0.1:``port`` (the caller closes it)."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=HANDSHAKE_TIMEOUT_SECONDS)
    try:
        return context.wrap_socket(raw, server_hostname=hostname)
    except BaseException:
        raw.close()
        raise


def old_tls_client(dev_cert: DevCert) -> ssl.SSLContext:
    """A client that offers TLS 1.0 and 1.1 only, with the ciphers those versions use.

    OpenSSL 3 refuses to offer them at its default security level; ``@SECLEVEL=0``
    makes the client really offer them, so that a failure is the server's refusal.
    """
    context = dev_cert.client_context()
    context.minimum_version = ssl.TLSVersion.TLSv1
    context.maximum_version = ssl.TLSVersion.TLSv1_1
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context


@contextlib.contextmanager
def permissive_tls_server(dev_cert: DevCert) -> Iterator[tuple[int, list[str]]]:
    """A one-connection TLS server that still accepts TLS 1.0/1.1; the versions it saw."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(dev_cert.cert, dev_cert.key)
    context.minimum_version = ssl.TLSVersion.TLSv1
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    seen: list[str] = []
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(HANDSHAKE_TIMEOUT_SECONDS)

        def accept_one() -> None:
            with contextlib.suppress(OSError):
                connection, _ = listener.accept()
                with context.wrap_socket(connection, server_side=True) as tls:
                    seen.append(str(tls.version()))

        thread = threading.Thread(target=accept_one, daemon=True)
        thread.start()
        yield listener.getsockname()[1], seen
        thread.join(HANDSHAKE_TIMEOUT_SECONDS)


# --- the dev certificate -------------------------------------------------------------------


def test_dev_cert_writes_an_authority_and_a_certificate_with_private_keys(
    dev_cert: DevCert,
) -> None:
    for key in (dev_cert.key, dev_cert.directory / "ca-key.pem"):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, key
    for certificate in (dev_cert.ca, dev_cert.cert):
        assert certificate.read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert stat.S_IMODE(dev_cert.directory.stat().st_mode) == 0o700


@pytest.mark.parametrize(
    "instruction",
    [
        "update-ca-certificates",  # Debian/Ubuntu
        "security add-trusted-cert",  # macOS
        "Firefox",
        "certutil -d sql:$HOME/.pki/nssdb",  # Chromium on Linux
        "vaultroom serve --certfile",
    ],
)
def test_dev_cert_says_how_to_trust_the_authority_and_serve(
    dev_cert: DevCert, instruction: str
) -> None:
    assert instruction in dev_cert.output


def test_dev_cert_run_again_keeps_the_authority_and_issues_a_new_certificate(
    tmp_path: Path,
) -> None:
    first = run_cli("dev-cert", "--dir", "certs", cwd=tmp_path, env=base_env())
    assert first.returncode == 0, first.stderr
    authority = (tmp_path / "certs" / "ca.pem").read_bytes()
    certificate = (tmp_path / "certs" / "cert.pem").read_bytes()

    again = run_cli("dev-cert", "--dir", "certs", cwd=tmp_path, env=base_env())

    assert again.returncode == 0, again.stderr
    assert "Reused" in again.stdout
    assert (tmp_path / "certs" / "ca.pem").read_bytes() == authority
    assert (tmp_path / "certs" / "cert.pem").read_bytes() != certificate


@pytest.mark.parametrize("hostname", ["localhost", "127.0.0.1"])
def test_the_dev_certificate_verifies_against_the_dev_authority(
    tls_node: Node, dev_cert: DevCert, hostname: str
) -> None:
    url = f"https://{hostname}:{port_of(tls_node)}/healthz"

    response = httpx.get(url, verify=dev_cert.client_context(), timeout=30)

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_the_dev_certificate_is_not_trusted_without_the_dev_authority(tls_node: Node) -> None:
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{tls_node.url}/healthz", timeout=30)


# --- protocol versions and ciphers ---------------------------------------------------------


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
def test_tls_1_2_and_1_3_are_accepted(
    tls_node: Node, dev_cert: DevCert, version: ssl.TLSVersion
) -> None:
    context = dev_cert.client_context()
    context.minimum_version = context.maximum_version = version

    with handshake(context, port_of(tls_node)) as tls:
        assert tls.version() == {"TLSv1_2": "TLSv1.2", "TLSv1_3": "TLSv1.3"}[version.name]


@OLD_TLS_WARNINGS
def test_a_client_offering_only_tls_1_0_and_1_1_really_offers_them(dev_cert: DevCert) -> None:
    # The control for the next test: the same client completes a TLS 1.1 handshake
    # with a server that still allows it.
    with (
        permissive_tls_server(dev_cert) as (port, seen),
        handshake(old_tls_client(dev_cert), port) as tls,
    ):
        assert tls.version() == "TLSv1.1"
    assert seen == ["TLSv1.1"]


@OLD_TLS_WARNINGS
def test_a_client_offering_only_tls_1_0_and_1_1_is_refused(
    tls_node: Node, dev_cert: DevCert
) -> None:
    with pytest.raises(ssl.SSLError):
        handshake(old_tls_client(dev_cert), port_of(tls_node)).close()


def test_tls_1_2_negotiates_a_forward_secret_aead_cipher(tls_node: Node, dev_cert: DevCert) -> None:
    context = dev_cert.client_context()
    context.maximum_version = ssl.TLSVersion.TLSv1_2

    with handshake(context, port_of(tls_node)) as tls:
        cipher = tls.cipher()

    assert cipher is not None
    assert cipher[0] in TLS12_CIPHERS.split(":")


@pytest.mark.parametrize("cipher", ["ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA"])
def test_tls_1_2_with_only_cbc_ciphers_is_refused(
    tls_node: Node, dev_cert: DevCert, cipher: str
) -> None:
    context = dev_cert.client_context()
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(f"{cipher}:@SECLEVEL=0")

    with pytest.raises(ssl.SSLError):
        handshake(context, port_of(tls_node)).close()


# --- what changes over TLS -----------------------------------------------------------------


def register(url: str, verify: ssl.SSLContext | bool = True, **headers: str) -> httpx.Response:
    """Register a new user over real HTTP(S) as a browser on the server's own origin."""
    username = f"u{uuid.uuid4().hex[:12]}"
    return httpx.post(
        f"{url}/api/auth/register",
        json={
            "username": username,
            "email": f"{username}@example.com",
            "password": DEFAULT_PASSWORD,
        },
        headers={"Origin": url, **headers},
        verify=verify,
        timeout=30,
    )


def test_over_tls_the_session_cookie_is_host_prefixed_and_secure(
    tls_node: Node, dev_cert: DevCert
) -> None:
    response = register(tls_node.url, dev_cert.client_context())

    assert response.status_code == 201, response.text
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-vaultroom_session=")
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"secure", "httponly", "path"} <= attributes
    assert "domain" not in attributes
    me = httpx.get(
        f"{tls_node.url}/api/auth/me",
        cookies={"__Host-vaultroom_session": response.cookies["__Host-vaultroom_session"]},
        verify=dev_cert.client_context(),
        timeout=30,
    )
    assert me.status_code == 200, me.text


@pytest.mark.parametrize("path", ["/healthz", "/api/no-such-route"])
def test_over_tls_responses_carry_hsts(tls_node: Node, dev_cert: DevCert, path: str) -> None:
    response = httpx.get(f"{tls_node.url}{path}", verify=dev_cert.client_context(), timeout=30)

    assert response.headers["strict-transport-security"] == HSTS
    assert "wss://localhost:" in response.headers["content-security-policy"]


async def read_over_wss(url: str, token: str, context: ssl.SSLContext) -> dict[str, Any]:
    """Connect a python-socketio client over WSS and call one event; its ack."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context)) as http:
        client = socketio.AsyncClient(reconnection=False, http_session=http)
        await client.connect(
            url,
            auth={"token": token},
            transports=["websocket"],
            wait_timeout=HANDSHAKE_TIMEOUT_SECONDS,
        )
        try:
            assert client.transport() == "websocket"
            assert client.eio.base_url.startswith("wss://")
            ack: dict[str, Any] = await client.call(
                "conversation:read",
                {"conversation_id": 999_999, "seq": 1},
                timeout=HANDSHAKE_TIMEOUT_SECONDS,
            )
        finally:
            await client.disconnect()
    return ack


def test_a_socketio_client_connects_over_wss_with_the_dev_authority(
    tls_node: Node, dev_cert: DevCert
) -> None:
    registered = register(tls_node.url, dev_cert.client_context())
    assert registered.status_code == 201, registered.text

    ack = asyncio.run(
        read_over_wss(tls_node.url, registered.json()["token"], dev_cert.client_context())
    )

    assert ack["ok"] is False  # answered over WSS: there is no such conversation
    assert ack["error"]["code"] == "not_found"


# --- plain HTTP: loopback only, unless a proxy or an explicit choice says otherwise --------


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        (ALL_ADDRESSES, False),
        ("::", False),
        ("192.0.2.7", False),
        ("chat.example.com", False),
    ],
)
def test_which_hosts_are_loopback(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


@pytest.mark.parametrize(
    ("args", "variables"),
    [
        (["--host", ALL_ADDRESSES], {}),
        (["--host", "::"], {}),
        ([], {"VAULTROOM_HOST": "192.0.2.7"}),
    ],
)
def test_plain_http_on_a_non_loopback_address_is_refused(
    tmp_path: Path, args: list[str], variables: dict[str, str]
) -> None:
    env = base_env(VAULTROOM_DATABASE_URL=sqlite_url(tmp_path / "vaultroom.db"), **variables)

    result = run_cli("serve", *args, cwd=tmp_path, env=env)

    assert result.returncode == 2
    assert "Refusing to serve plain HTTP" in result.stderr
    for way_out in ("--certfile", "--behind-proxy", "--insecure-http"):
        assert way_out in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "vaultroom.db").exists()  # refused before migrating


def test_a_certificate_that_cannot_be_loaded_is_refused_clearly(
    tmp_path: Path, dev_cert: DevCert
) -> None:
    env = base_env(VAULTROOM_DATABASE_URL=sqlite_url(tmp_path / "vaultroom.db"))

    result = run_cli(
        "serve",
        "--certfile",
        str(dev_cert.ca),
        "--keyfile",
        str(dev_cert.key),
        cwd=tmp_path,
        env=env,
    )

    assert result.returncode == 2
    assert "Cannot use the TLS certificate" in result.stderr
    assert "Traceback" not in result.stderr


def start_plain(nodes: Nodes, tmp_path: Path, *args: str, **variables: str) -> Node:
    """``serve ARGS`` over plain HTTP, reached on 127.0.0.1, once ready."""
    env = base_env(VAULTROOM_DATABASE_URL=sqlite_url(tmp_path / "vaultroom.db"), **variables)
    [port] = free_ports(1)
    node = nodes.start(port=port, cwd=tmp_path, env=env, args=args)
    node.wait_ready()
    return node


@pytest.mark.parametrize("flag", ["--behind-proxy", "--insecure-http"])
def test_plain_http_on_all_addresses_is_allowed_when_asked_for(
    tmp_path: Path, nodes: Nodes, flag: str
) -> None:
    node = start_plain(nodes, tmp_path, "--host", ALL_ADDRESSES, flag)

    response = httpx.get(f"{node.url}/healthz", timeout=30)

    assert response.status_code == 200
    assert "strict-transport-security" not in response.headers


def test_plain_http_on_loopback_has_no_hsts_and_a_plain_cookie(
    tmp_path: Path, nodes: Nodes
) -> None:
    node = start_plain(nodes, tmp_path)

    response = register(node.url)

    assert response.status_code == 201, response.text
    assert "strict-transport-security" not in response.headers
    assert response.headers["set-cookie"].startswith("vaultroom_session=")
    assert "secure" not in response.headers["set-cookie"].lower()
    assert "ws://127.0.0.1:" in response.headers["content-security-policy"]


@pytest.mark.parametrize(
    ("forwarded_allow_ips", "https_believed"), [("127.0.0.1", True), ("192.0.2.1", False)]
)
def test_behind_a_proxy_x_forwarded_proto_is_believed_only_from_the_proxy(
    tmp_path: Path, nodes: Nodes, forwarded_allow_ips: str, https_believed: bool
) -> None:
    node = start_plain(
        nodes,
        tmp_path,
        "--host",
        ALL_ADDRESSES,
        "--behind-proxy",
        VAULTROOM_FORWARDED_ALLOW_IPS=forwarded_allow_ips,
    )
    origin = "https://chat.example.com"

    response = httpx.post(
        f"{node.url}/api/auth/register",
        json={"username": "alice", "email": "alice@example.com", "password": DEFAULT_PASSWORD},
        headers={
            "Host": "chat.example.com",
            "Origin": origin,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": "198.51.100.4",
        },
        timeout=30,
    )

    if https_believed:
        assert response.status_code == 201, response.text
        assert response.headers["strict-transport-security"] == HSTS
        assert response.headers["set-cookie"].startswith("__Host-vaultroom_session=")
    else:
        # Seen as plain HTTP, the https:// page is another origin: refused, and no HSTS.
        assert response.status_code == 403, response.text
        assert "strict-transport-security" not in response.headers


# --- secrets stay out of logs and error messages ---------------------------------------------


def turn_on_two_factor_and_sign_in(http: httpx.Client, token: str, username: str) -> list[str]:
    """Turn two-factor sign-in on, then sign in with a recovery code; the secrets seen."""
    bearer = {"Authorization": f"Bearer {token}"}
    setup = http.post("/api/auth/2fa/setup", json={"password": DEFAULT_PASSWORD}, headers=bearer)
    assert setup.status_code == 200, setup.text
    secret = setup.json()["secret"]
    code = pyotp.TOTP(secret).now()
    enabled = http.post("/api/auth/2fa/enable", json={"code": code}, headers=bearer)
    assert enabled.status_code == 200, enabled.text
    recovery_codes: list[str] = enabled.json()["recovery_codes"]
    origin = {"Origin": str(http.base_url).rstrip("/")}
    challenge = http.post(
        "/api/auth/login", json={"login": username, "password": DEFAULT_PASSWORD}, headers=origin
    )
    assert challenge.status_code == 202, challenge.text
    second = challenge.json()["challenge"]
    wrong = http.post("/api/auth/login/2fa", json={"challenge": second, "code": "000000"})
    assert wrong.status_code == 401 and second not in wrong.text
    signed_in = http.post(
        "/api/auth/login/2fa", json={"challenge": second, "code": recovery_codes[0]}
    )
    assert signed_in.status_code == 200, signed_in.text
    http.cookies.clear()
    return [secret, second, *recovery_codes, signed_in.json()["token"]]


def test_secrets_never_reach_the_log_or_error_messages_even_at_debug_level(
    tmp_path: Path, nodes: Nodes, dev_cert: DevCert
) -> None:
    [port] = free_ports(1)
    env = base_env(
        VAULTROOM_DATABASE_URL=sqlite_url(tmp_path / "vaultroom.db"),
        VAULTROOM_LOG_LEVEL="debug",
        VAULTROOM_TLS_CERTFILE=str(dev_cert.cert),
        VAULTROOM_TLS_KEYFILE=str(dev_cert.key),
    )
    node = nodes.start(
        port=port,
        cwd=tmp_path,
        env=env,
        url=f"https://localhost:{port}",
        verify=dev_cert.client_context(),
    )
    node.wait_ready()
    verify = dev_cert.client_context()
    registered = register(node.url, verify)
    assert registered.status_code == 201, registered.text
    token = registered.json()["token"]
    username = registered.json()["user"]["username"]
    forged = f"forged-{uuid.uuid4().hex}"
    with httpx.Client(base_url=node.url, verify=verify, timeout=30) as http:
        wrong = http.post(
            "/api/auth/login",
            json={"login": username, "password": "not the password at all"},
            headers={"Origin": node.url},
        )
        refused = http.get("/api/auth/me", headers={"Authorization": f"Bearer {forged}"})
        sessions = http.get("/api/auth/sessions", headers={"Authorization": f"Bearer {token}"})
        cookie = http.get(
            "/api/auth/me",
            headers={"Cookie": f"__Host-vaultroom_session={token}"},
        )
        two_factor_secrets = turn_on_two_factor_and_sign_in(http, token, username)
    asyncio.run(read_over_wss(node.url, token, dev_cert.client_context()))
    assert node.stop() in CLEAN_EXITS, node.output()

    assert wrong.status_code == 401
    assert "not the password" not in wrong.text
    assert refused.status_code == 401
    assert forged not in refused.text
    assert sessions.status_code == 200
    assert token not in sessions.text
    assert cookie.status_code == 200
    log = node.output()
    assert "DEBUG" in log  # the debug level really was on
    key_body = "".join(dev_cert.key.read_text().splitlines()[1:-1])
    for secret in (
        token,
        DEFAULT_PASSWORD,
        "not the password at all",
        forged,
        key_body,
        *two_factor_secrets,
    ):
        assert secret not in log
    assert "$argon2id$" not in log  # no password hash from SQL parameters either
    assert "contents not logged" in log  # WebSocket frames were logged, without contents

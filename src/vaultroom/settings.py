"""VaultRoom's settings: one class, read once from ``VAULTROOM_*`` variables at start-up."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PACKAGE_DIR = Path(__file__).resolve().parent


class Settings(BaseSettings):
    """Every tunable of a node. Documented in README.md (Configuration)."""

    model_config = SettingsConfigDict(env_prefix="VAULTROOM_", extra="ignore", frozen=True)

    database_url: str = "sqlite+aiosqlite:///./data/vaultroom.db"
    # Set to run as one node of a cluster: cross-node fan-out, presence and rate limits in Redis.
    redis_url: str | None = None
    # Every key and channel name of this deployment starts with this (several may share a Redis).
    redis_prefix: str = Field(default="vaultroom:", min_length=1, max_length=64)
    # Each node refreshes its heartbeat this often; a node silent for ``node_timeout_seconds``
    # is dead, and its users go offline cluster-wide.
    node_heartbeat_seconds: float = Field(default=5.0, gt=0)
    node_timeout_seconds: float = Field(default=30.0, gt=0)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # Origins besides the server's own that may send cookie-authenticated writes
    # and open sockets, e.g. "https://chat.example.com". Comma-separated.
    allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Addresses of reverse proxies whose X-Forwarded-Proto/-For are believed
    # (comma-separated IPs or networks, "*" for any). Others' headers are ignored.
    forwarded_allow_ips: str = "127.0.0.1"
    # TLS served by VaultRoom itself (HTTPS and WSS, TLS 1.2+): the certificate chain
    # (PEM) and its private key (PEM; omit it when the certificate file holds it too).
    tls_certfile: Path | None = None
    tls_keyfile: Path | None = None
    # Plain HTTP on an address other than loopback is refused unless one of these says
    # why it is fine: a TLS-terminating proxy in front (whose X-Forwarded-* headers are
    # believed from ``forwarded_allow_ips``), or an explicit choice of cleartext.
    behind_proxy: bool = False
    insecure_http: bool = False
    # The interactive API documentation at /api/docs (Swagger UI, loaded from a CDN
    # under a CSP relaxed for that page only). /api/openapi.json is always served.
    api_docs: bool = True

    session_idle_timeout: timedelta = timedelta(days=14)
    session_absolute_lifetime: timedelta = timedelta(days=30)
    session_cookie_name: str = "vaultroom_session"

    max_request_bytes: int = Field(default=64 * 1024, ge=1024)
    max_socket_message_bytes: int = Field(default=64 * 1024, ge=1024, le=64 * 1024)
    users_page_max: int = Field(default=100, ge=1, le=1000)

    # Messaging limits.
    max_message_chars: int = Field(default=4000, ge=1, le=16000)
    max_group_members: int = Field(default=1000, ge=2)
    messages_page_max: int = Field(default=200, ge=1, le=1000)
    # Sends per user (socket and REST together), in the ``limits`` notation.
    send_rate_limit: str = "30/10 seconds"
    # Other socket events per user (typing, read markers, edits, deletes...).
    socket_event_rate_limit: str = "60/10 seconds"
    # Authenticated REST requests per user.
    rest_rate_limit: str = "600/minute"
    # Failed sign-ins per account (known or not): beyond this, sign-ins to that account
    # are refused (429) until the window slides past them; a correct password too.
    login_failure_account_limit: str = "5/15 minutes"
    # Failed sign-ins per client address, whatever the accounts.
    login_failure_ip_limit: str = "20/15 minutes"
    # Two-factor sign-in: the name authenticator apps show, how long a sign-in waits for
    # its code after the password, and how many wrong codes it may take before it ends.
    two_factor_issuer: str = Field(default="VaultRoom", min_length=1, max_length=64)
    two_factor_challenge_seconds: int = Field(default=300, ge=30, le=3600)
    two_factor_challenge_attempts: int = Field(default=5, ge=1, le=20)
    # How long a started set-up waits for its first code before it must start again.
    two_factor_setup_seconds: int = Field(default=900, ge=60, le=86400)
    # Registration attempts per client address.
    registration_ip_limit: str = "10/hour"
    # Client addresses the per-address limits do not apply to (comma-separated IPs or
    # networks; empty: none). Loopback by default: there, every client would share the
    # address of a reverse proxy that does not forward theirs.
    rate_limit_exempt_ips: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["127.0.0.0/8", "::1"]
    )
    # A user's ``typing`` events in one conversation are relayed at most this often.
    typing_interval_seconds: float = Field(default=2.0, ge=0)
    # After a user's last socket closes they stay online this long (a reload does not flicker).
    presence_grace_seconds: float = Field(default=5.0, ge=0)
    # Users one socket may watch with presence:watch (the people a client shows).
    presence_watch_max: int = Field(default=1000, ge=1, le=100_000)
    # How often each node checks that the sessions of its open sockets are still
    # live (expired ones are disconnected; revocations are immediate anyway).
    session_check_interval_seconds: float = Field(default=60.0, gt=0)
    # Concurrent sends committed in one transaction (group commit), at most this many.
    write_batch_max: int = Field(default=256, ge=1, le=10000)
    # Sends waiting for the writer beyond this are answered "unavailable" (retry).
    write_queue_max: int = Field(default=10000, ge=1)

    argon2_memory_kib: int = Field(default=19 * 1024, ge=19 * 1024)
    argon2_time_cost: int = Field(default=2, ge=2)
    argon2_parallelism: int = Field(default=1, ge=1)

    web_dir: Path = PACKAGE_DIR / "web"
    db_pool_size: int = Field(default=10, ge=1)
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0)
    # SQLite: copy the write-ahead log into the database from a background thread at
    # most this often, instead of in the commit that fills it; 0: in the commit, as
    # SQLite does by default.
    sqlite_checkpoint_seconds: float = Field(default=1.0, ge=0)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # Allocations between two young-generation collections in a serving process
    # (Python's default is 700); 0 leaves the garbage collector as it is.
    gc_threshold: int = Field(default=20_000, ge=0)

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip().rstrip("/") for item in value.split(",") if item.strip()]
        return value

    @field_validator("redis_url", "tls_certfile", "tls_keyfile", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        # VAULTROOM_REDIS_URL= (set but empty) means no Redis, as if unset; same for TLS files.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("rate_limit_exempt_ips", mode="before")
    @classmethod
    def _split_networks(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("rate_limit_exempt_ips")
    @classmethod
    def _check_networks(cls, value: list[str]) -> list[str]:
        import ipaddress

        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network") from None
        return value

    @field_validator(
        "send_rate_limit",
        "socket_event_rate_limit",
        "rest_rate_limit",
        "login_failure_account_limit",
        "login_failure_ip_limit",
        "registration_ip_limit",
    )
    @classmethod
    def _check_rate_limit(cls, value: str) -> str:
        from limits import parse

        try:
            parse(value)
        except ValueError:
            raise ValueError("use the form '30/10 seconds' or '100 per minute'") from None
        return value

    @model_validator(mode="after")
    def _check_node_timeout(self) -> Settings:
        if self.node_timeout_seconds <= self.node_heartbeat_seconds:
            raise ValueError("node_timeout_seconds must be longer than node_heartbeat_seconds")
        return self

    @model_validator(mode="after")
    def _check_tls_files(self) -> Settings:
        if self.tls_keyfile is not None and self.tls_certfile is None:
            raise ValueError("tls_keyfile needs tls_certfile (the certificate of that key)")
        return self

    @property
    def serves_tls(self) -> bool:
        """Whether ``serve`` speaks HTTPS and WSS itself."""
        return self.tls_certfile is not None

    @property
    def is_sqlite(self) -> bool:
        """Whether the database is the embedded SQLite default."""
        return self.database_url.startswith("sqlite")

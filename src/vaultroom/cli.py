"""The ``vaultroom`` command: ``serve``, ``migrate``, ``create-user``, ``dev-cert``."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import ssl
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from vaultroom.logs import quiet_chatty_loggers, uvicorn_log_config
from vaultroom.settings import Settings

logger = logging.getLogger("vaultroom")


def _configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    quiet_chatty_loggers()


def migrate(settings: Settings) -> None:
    """Apply pending migrations (safe to run from several nodes at once on PostgreSQL)."""
    from vaultroom.migrations.runner import upgrade_to_head

    upgrade_to_head(settings.database_url)


def _plain_http_refusal(settings: Settings) -> str | None:
    """Why ``serve`` must not start, when it would speak cleartext HTTP to the network."""
    from vaultroom.security.tls import is_loopback_host

    if (
        settings.serves_tls
        or settings.behind_proxy
        or settings.insecure_http
        or is_loopback_host(settings.host)
    ):
        return None
    return (
        f"Refusing to serve plain HTTP on {settings.host}, which is not a loopback address: "
        "passwords and session cookies would cross the network in clear.\n"
        "  Serve HTTPS:          --certfile PATH --keyfile PATH (VAULTROOM_TLS_CERTFILE, "
        "VAULTROOM_TLS_KEYFILE; `vaultroom dev-cert` makes a local one)\n"
        "  Behind a TLS proxy:   --behind-proxy (VAULTROOM_BEHIND_PROXY=true), and set "
        "VAULTROOM_FORWARDED_ALLOW_IPS to the proxy's address\n"
        "  Cleartext on purpose: --insecure-http (VAULTROOM_INSECURE_HTTP=true)"
    )


def _tls_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's TLS options; the certificate and key are checked now (``ValueError`` if bad)."""
    from vaultroom.security.tls import server_context, uvicorn_context_factory

    if settings.tls_certfile is None:
        return {}
    try:
        server_context(settings.tls_certfile, settings.tls_keyfile)
    except (OSError, ssl.SSLError) as exc:
        raise ValueError(
            f"Cannot use the TLS certificate {settings.tls_certfile} "
            f"and key {settings.tls_keyfile or '(in the same file)'}: {exc}"
        ) from None
    return {
        "ssl_certfile": str(settings.tls_certfile),
        "ssl_keyfile": str(settings.tls_keyfile) if settings.tls_keyfile else None,
        "ssl_context_factory": uvicorn_context_factory,
    }


def _serve(settings: Settings, workers: int = 1) -> int:
    import uvicorn

    from vaultroom.realtime.wsprotocol import uvicorn_options

    if workers > 1 and settings.redis_url is None:
        print(
            "--workers needs VAULTROOM_REDIS_URL: the worker processes are nodes of a "
            "cluster and share events, presence and rate limits through Redis.",
            file=sys.stderr,
        )
        return 2
    refusal = _plain_http_refusal(settings)
    if refusal is not None:
        print(refusal, file=sys.stderr)
        return 2
    try:
        tls = _tls_options(settings)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    if settings.behind_proxy and settings.forwarded_allow_ips.strip() == "*":
        logger.warning(
            "VAULTROOM_FORWARDED_ALLOW_IPS=*: any client that reaches this port directly "
            "can claim HTTPS and any address; set it to the proxy's address"
        )
    migrate(settings)
    logger.info(
        "VaultRoom listening on %s://%s:%d (%d worker%s)",
        "https" if tls else "http",
        settings.host,
        settings.port,
        workers,
        "s" if workers > 1 else "",
    )
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level,
        "log_config": uvicorn_log_config(),  # redacts credentials and frames at debug level
        "server_header": False,
        # X-Forwarded-Proto/-For are believed only from these addresses.
        "proxy_headers": True,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
        **uvicorn_options(settings),  # VaultRoom's WebSocket protocol (realtime/wsprotocol.py)
        **tls,
    }
    if workers > 1:
        # Each worker builds its own app from the same VAULTROOM_* environment.
        uvicorn.run("vaultroom.app:create_serving_app", factory=True, workers=workers, **options)
    else:
        from vaultroom.app import create_app, tune_garbage_collector

        tune_garbage_collector(settings)
        uvicorn.run(create_app(settings), **options)
    return 0


def _read_new_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat the password: ") != first:
        raise SystemExit("The passwords differ.")
    return first


async def _create_user(settings: Settings, args: argparse.Namespace, password: str) -> str:
    from vaultroom.fanout import NoClients
    from vaultroom.models import UserRole
    from vaultroom.schemas.auth import RegisterIn
    from vaultroom.services.container import build_services

    data = RegisterIn(
        username=args.username,
        email=args.email,
        password=password,
        display_name=args.display_name,
    )
    services = build_services(settings, NoClients())
    try:
        user = await services.accounts.create_user(
            username=data.username,
            email=str(data.email),
            password=data.password,
            display_name=data.display_name,
            role=UserRole.ADMIN if args.admin else UserRole.USER,
        )
    finally:
        await services.close()
    return f"Created {user.role} {user.username} (id {user.id})."


def _create_user_command(settings: Settings, args: argparse.Namespace) -> int:
    from vaultroom.services.errors import ServiceError

    migrate(settings)
    password = _read_new_password(args.password_stdin)
    try:
        print(asyncio.run(_create_user(settings, args, password)))
    except ValidationError as exc:
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"])
            print(f"{field}: {error['msg']}", file=sys.stderr)
        return 2
    except ServiceError as exc:
        print(exc.message, file=sys.stderr)
        return 2
    return 0


async def _reset_two_factor(settings: Settings, username: str) -> str:
    from vaultroom.fanout import NoClients
    from vaultroom.services.container import build_services

    services = build_services(settings, NoClients())
    try:
        done = await services.two_factor.reset(username)
    finally:
        await services.close()
    if done:
        return f"Two-factor sign-in is now off for {username}; they sign in with the password."
    return f"Two-factor sign-in was already off for {username}."


def _reset_two_factor_command(settings: Settings, username: str) -> int:
    from vaultroom.services.errors import ServiceError

    migrate(settings)
    try:
        print(asyncio.run(_reset_two_factor(settings, username)))
    except ServiceError as exc:
        print(exc.message, file=sys.stderr)
        return 2
    return 0


def _dev_cert_command(directory: Path | None) -> int:
    from vaultroom.security.dev_cert import DEFAULT_DIR, create_dev_cert, instructions

    print(instructions(create_dev_cert(directory or DEFAULT_DIR)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The command line; every setting can also come from a VAULTROOM_* variable."""
    parser = argparse.ArgumentParser(prog="vaultroom", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="apply migrations and serve VaultRoom")
    serve.add_argument("--host", help="address to bind (VAULTROOM_HOST)")
    serve.add_argument("--port", type=int, help="port to bind (VAULTROOM_PORT)")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes sharing the port, one per core (needs VAULTROOM_REDIS_URL)",
    )
    serve.add_argument(
        "--certfile", type=Path, help="serve HTTPS/WSS with this PEM certificate chain"
    )
    serve.add_argument("--keyfile", type=Path, help="the certificate's PEM private key")
    serve.add_argument(
        "--behind-proxy",
        action="store_true",
        default=None,
        help="plain HTTP behind a TLS-terminating proxy (VAULTROOM_FORWARDED_ALLOW_IPS)",
    )
    serve.add_argument(
        "--insecure-http",
        action="store_true",
        default=None,
        help="allow cleartext HTTP on a non-loopback address (not recommended)",
    )
    dev_cert = commands.add_parser(
        "dev-cert", help="create a local certificate authority and a localhost certificate"
    )
    dev_cert.add_argument(
        "--dir", type=Path, default=None, help="where to write them (./.vaultroom-dev-cert)"
    )
    commands.add_parser("migrate", help="apply pending database migrations")
    create = commands.add_parser("create-user", help="create an account")
    create.add_argument("username")
    create.add_argument("email")
    create.add_argument("--display-name")
    create.add_argument("--admin", action="store_true", help="give the account the admin role")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    reset = commands.add_parser(
        "reset-2fa",
        help="turn two-factor sign-in off for an account that lost its authenticator",
    )
    reset.add_argument("username")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "dev-cert":
        return _dev_cert_command(args.dir)
    overrides = {
        key: value
        for key, value in {
            "host": getattr(args, "host", None),
            "port": getattr(args, "port", None),
            "tls_certfile": getattr(args, "certfile", None),
            "tls_keyfile": getattr(args, "keyfile", None),
            "behind_proxy": getattr(args, "behind_proxy", None),
            "insecure_http": getattr(args, "insecure_http", None),
        }.items()
        if value is not None
    }
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"]) or "settings"
            print(f"{field}: {error['msg']}", file=sys.stderr)
        return 2
    _configure_logging(settings)
    if args.command == "serve":
        if args.workers < 1:
            parser.error("--workers must be at least 1")
        return _serve(settings, args.workers)
    if args.command == "migrate":
        migrate(settings)
        print("Database is up to date.")
        return 0
    if args.command == "reset-2fa":
        return _reset_two_factor_command(settings, args.username)
    return _create_user_command(settings, args)

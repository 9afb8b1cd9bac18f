"""The ``vaultroom`` command: ``serve``, ``migrate``, ``create-user``."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from typing import Any

from pydantic import ValidationError

from vaultroom.settings import Settings

logger = logging.getLogger("vaultroom")


def _configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def migrate(settings: Settings) -> None:
    """Apply pending migrations (safe to run from several nodes at once on PostgreSQL)."""
    from vaultroom.migrations.runner import upgrade_to_head

    upgrade_to_head(settings.database_url)


def _serve(settings: Settings, workers: int = 1) -> int:
    import uvicorn

    if workers > 1 and settings.redis_url is None:
        print(
            "--workers needs VAULTROOM_REDIS_URL: the worker processes are nodes of a "
            "cluster and share events, presence and rate limits through Redis.",
            file=sys.stderr,
        )
        return 2
    migrate(settings)
    logger.info(
        "VaultRoom listening on http://%s:%d (%d worker%s)",
        settings.host,
        settings.port,
        workers,
        "s" if workers > 1 else "",
    )
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level,
        "server_header": False,
        "proxy_headers": True,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
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
    commands.add_parser("migrate", help="apply pending database migrations")
    create = commands.add_parser("create-user", help="create an account")
    create.add_argument("username")
    create.add_argument("email")
    create.add_argument("--display-name")
    create.add_argument("--admin", action="store_true", help="give the account the admin role")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line."""
    parser = build_parser()
    args = parser.parse_args(argv)
    overrides = {
        key: value
        for key, value in {
            "host": getattr(args, "host", None),
            "port": getattr(args, "port", None),
        }.items()
        if value is not None
    }
    settings = Settings(**overrides)
    _configure_logging(settings)
    if args.command == "serve":
        if args.workers < 1:
            parser.error("--workers must be at least 1")
        return _serve(settings, args.workers)
    if args.command == "migrate":
        migrate(settings)
        print("Database is up to date.")
        return 0
    return _create_user_command(settings, args)

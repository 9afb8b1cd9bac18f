"""``create_app(settings)``: one ASGI app with the API, Socket.IO and the web app."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version

import socketio
from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from vaultroom.api import admin, auth, conversations, health, messages, two_factor, users
from vaultroom.api.docs import install_api_docs
from vaultroom.api.errors import install_error_handlers
from vaultroom.api.fallback import install_api_fallback
from vaultroom.api.middleware import CrossSiteWriteGuard, RequestSizeLimit
from vaultroom.cluster import ClusterLink
from vaultroom.fanout import LocalFanout
from vaultroom.realtime.server import create_socket_server
from vaultroom.realtime.session_sweeper import SessionSweeper
from vaultroom.security.headers import SecurityHeaders
from vaultroom.services.container import Services, build_services
from vaultroom.settings import Settings
from vaultroom.static import SinglePageApp

logger = logging.getLogger(__name__)


class VaultRoomApp:
    """The ASGI app of one node; ``api`` and ``sio`` are exposed for tests and tools."""

    def __init__(self, api: FastAPI, sio: socketio.AsyncServer) -> None:
        self.api = api
        self.sio = sio
        # Outermost: every HTTP response (API, Socket.IO polling, web app, errors that
        # Starlette's ServerErrorMiddleware answers) gets the security headers.
        self._asgi = SecurityHeaders(
            socketio.ASGIApp(sio, other_asgi_app=api, socketio_path="socket.io")
        )

    @property
    def session_sweeper(self) -> SessionSweeper:
        """The task that disconnects sockets of expired sessions (while running)."""
        sweeper: SessionSweeper = self.api.state.session_sweeper
        return sweeper

    @property
    def services(self) -> Services:
        """The services built by the lifespan (only while the app is running)."""
        services: Services = self.api.state.services
        return services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._asgi(scope, receive, send)


def tune_garbage_collector(settings: Settings) -> None:
    """For a serving process: collect rarely, and never scan what start-up created.

    Each message allocates many short-lived objects; with the default threshold
    (700) the collector ran so often that it took about a sixth of the server's
    CPU under load. ``gc.freeze()`` moves everything alive now (modules, classes,
    settings) out of the collector's sight for good.
    """
    if settings.gc_threshold > 0:
        gc.collect()
        gc.freeze()
        gc.set_threshold(settings.gc_threshold, 20, 20)


def create_serving_app() -> VaultRoomApp:
    """The app of one worker of ``serve --workers N`` (settings from the environment)."""
    settings = Settings()
    tune_garbage_collector(settings)
    return create_app(settings)


def create_app(settings: Settings | None = None) -> VaultRoomApp:
    """Build the app; the database engines are created and closed by its lifespan."""
    settings = settings or Settings()
    holder: dict[str, Services] = {}
    sio = create_socket_server(settings, lambda: holder["services"])

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        cluster = ClusterLink.build(settings, sio) if settings.redis_url is not None else None
        if cluster is None:
            services = build_services(settings, LocalFanout(sio))
        else:
            services = build_services(
                settings,
                cluster.fanout,
                presence_backend=cluster.presence,
                shared=cluster.broker.redis,
                broker_check=cluster.broker.ping,
            )
            cluster.start(services.presence)
        holder["services"] = app.state.services = services
        await services.start()
        sweeper = SessionSweeper(sio, lambda: services, settings.session_check_interval_seconds)
        sweeper.start()
        app.state.session_sweeper = sweeper
        try:
            yield
        finally:
            await sweeper.stop()
            await sio.shutdown()
            await services.close()
            if cluster is not None:
                await cluster.stop()

    api = FastAPI(
        title="VaultRoom",
        version=version("vaultroom"),
        summary="Self-hosted, secure, real-time chat.",
        openapi_url="/api/openapi.json",
        docs_url=None,  # install_api_docs: with its own, narrower CSP
        redoc_url=None,
        lifespan=lifespan,
    )
    install_error_handlers(api)
    if settings.api_docs:
        install_api_docs(api, title="VaultRoom")
    api.include_router(health.router)
    api.include_router(auth.router, prefix="/api")
    api.include_router(two_factor.router, prefix="/api")
    api.include_router(users.router, prefix="/api")
    api.include_router(conversations.router, prefix="/api")
    api.include_router(messages.router, prefix="/api")
    api.include_router(admin.router, prefix="/api")

    install_api_fallback(api)
    api.mount("/", SinglePageApp(settings.web_dir), name="web")
    # Added last = outermost: refuse cross-site writes before reading any body.
    api.add_middleware(RequestSizeLimit, max_bytes=settings.max_request_bytes)
    api.add_middleware(CrossSiteWriteGuard, allowed_origins=settings.allowed_origins)
    return VaultRoomApp(api, sio)

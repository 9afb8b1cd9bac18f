"""``/healthz`` (the process answers) and ``/readyz`` (its dependencies answer)."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from vaultroom.api.deps import ServicesDep

router = APIRouter(tags=["health"])
logger = logging.getLogger(__name__)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process is up and serving."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(services: ServicesDep) -> JSONResponse:
    """Readiness: the database answers and, in a cluster, the broker (Redis)."""
    checks: dict[str, str] = {}
    try:
        await services.db.ping()
        checks["database"] = "ok"
    except Exception as exc:  # any failure means "not ready", never a 500
        logger.warning("readiness: database unreachable: %s", type(exc).__name__)
        checks["database"] = "down"
    if services.broker_check is not None:
        # Without Redis a node still serves its own clients, but events from other
        # nodes do not reach them: not ready (they catch up by resync when it is back).
        checks["broker"] = "ok" if await services.broker_check() else "down"
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
    )

"""``/api/auth/2fa``: turning two-factor sign-in (TOTP) on and off, recovery codes.

The sign-in's second step is ``POST /api/auth/login/2fa`` (in ``auth``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from vaultroom.api.deps import CallerDep, ClientDep, ServicesDep
from vaultroom.schemas.errors import ErrorResponse
from vaultroom.schemas.two_factor import (
    RecoveryCodesOut,
    TwoFactorConfirmIn,
    TwoFactorEnableIn,
    TwoFactorSetupIn,
    TwoFactorSetupOut,
    TwoFactorStatusOut,
)

router = APIRouter(
    prefix="/auth/2fa",
    tags=["two-factor"],
    responses={
        401: {"model": ErrorResponse},
        413: {"model": ErrorResponse},
        422: {"model": ErrorResponse},
        429: {"model": ErrorResponse},
    },
)
_CONFLICT: dict[int | str, dict[str, Any]] = {409: {"model": ErrorResponse}}


@router.get("")
async def two_factor_status(caller: CallerDep, services: ServicesDep) -> TwoFactorStatusOut:
    """Whether the caller signs in with a second factor, and recovery codes left."""
    return await services.two_factor.status(caller)


@router.post("/setup", responses=_CONFLICT)
async def setup_two_factor(
    data: TwoFactorSetupIn, caller: CallerDep, services: ServicesDep, client: ClientDep
) -> TwoFactorSetupOut:
    """Start an enrolment (password needed): a new secret as a QR code; two-factor is
    on only once ``/enable`` gets a code of it."""
    return await services.two_factor.setup(caller, data, client)


@router.post("/enable", responses=_CONFLICT)
async def enable_two_factor(
    data: TwoFactorEnableIn, caller: CallerDep, services: ServicesDep, client: ClientDep
) -> RecoveryCodesOut:
    """Turn two-factor on with the app's first code; returns ten recovery codes, once."""
    return await services.two_factor.enable(caller, data, client)


@router.post("/disable", status_code=status.HTTP_204_NO_CONTENT, responses=_CONFLICT)
async def disable_two_factor(
    data: TwoFactorConfirmIn, caller: CallerDep, services: ServicesDep, client: ClientDep
) -> Response:
    """Turn two-factor off: the password and a code (from the app, or a recovery code)."""
    await services.two_factor.disable(caller, data, client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/recovery-codes", responses=_CONFLICT)
async def renew_recovery_codes(
    data: TwoFactorConfirmIn, caller: CallerDep, services: ServicesDep, client: ClientDep
) -> RecoveryCodesOut:
    """Ten new recovery codes (the old ones stop working): the password and a code."""
    return await services.two_factor.renew_recovery_codes(caller, data, client)

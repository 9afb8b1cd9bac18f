"""Every error becomes ``{"error": {"code", "message", "fields"?}}``; never a bare 500."""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from vaultroom.db import database_unavailable
from vaultroom.schemas.errors import ErrorDetail, ErrorResponse, error_fields
from vaultroom.services.errors import RateLimited, ServiceError, Unavailable

logger = logging.getLogger(__name__)

# Stable codes for statuses whose reason phrase differs between Python versions.
_STATUS_CODES = {413: "payload_too_large", 422: "invalid_input"}


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    fields: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A response in the contract's error shape."""
    body = ErrorResponse(error=ErrorDetail(code=code, message=message, fields=fields))
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers)


def validation_fields(exc: RequestValidationError) -> dict[str, str]:
    """One message per invalid field, named as the client sent it (never echoing values)."""
    return error_fields(exc.errors())


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every failure the contract's shape."""

    async def on_service_error(_request: Request, exc: Exception) -> JSONResponse:
        if not isinstance(exc, ServiceError):
            raise exc
        retry_after = exc.retry_after if isinstance(exc, RateLimited | Unavailable) else None
        headers = {"Retry-After": str(retry_after)} if retry_after else None
        return error_response(exc.status, exc.code, exc.message, fields=exc.fields, headers=headers)

    async def on_validation_error(_request: Request, exc: Exception) -> JSONResponse:
        if not isinstance(exc, RequestValidationError):
            raise exc
        fields = validation_fields(exc)
        summary = "; ".join(f"{name}: {message}" for name, message in fields.items())
        return error_response(422, "invalid_input", f"Invalid input ({summary}).", fields=fields)

    async def on_http_error(_request: Request, exc: Exception) -> JSONResponse:
        if not isinstance(exc, StarletteHTTPException):
            raise exc
        if exc.status_code == 400:
            # FastAPI's "error parsing the body" (undecodable bytes, say): to
            # clients it is invalid input like any other.
            message = str(exc.detail)
            return error_response(422, "invalid_input", message, fields={"body": message})
        status = HTTPStatus(exc.status_code)
        code = _STATUS_CODES.get(exc.status_code) or status.phrase.lower().replace(
            " ", "_"
        ).replace("-", "_")
        message = exc.detail if isinstance(exc.detail, str) else status.phrase
        return error_response(exc.status_code, code, message, headers=dict(exc.headers or {}))

    async def on_unexpected_error(_request: Request, exc: Exception) -> JSONResponse:
        if database_unavailable(exc):
            logger.warning("database unavailable: %s", type(exc).__name__)
            return error_response(
                503,
                "unavailable",
                "The service is unavailable for a moment; try again.",
                headers={"Retry-After": "1"},
            )
        logger.error("unhandled error", exc_info=exc)
        return error_response(500, "internal_error", "Something went wrong on the server.")

    app.add_exception_handler(ServiceError, on_service_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected_error)

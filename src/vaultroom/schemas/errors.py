"""The contract's error shape: ``{"error": {"code", "message", "fields"?}}``."""

from __future__ import annotations

from pydantic import BaseModel


class ErrorDetail(BaseModel):
    """What went wrong, for programs (``code``) and for people (``message``)."""

    code: str
    message: str
    fields: dict[str, str] | None = None


class ErrorResponse(BaseModel):
    """Body of every error response."""

    error: ErrorDetail

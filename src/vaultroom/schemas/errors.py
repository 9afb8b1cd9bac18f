"""The contract's error shape: ``{"error": {"code", "message", "fields"?}}``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

_LOCATIONS = {"body", "query", "path", "header", "cookie"}


class ErrorDetail(BaseModel):
    """What went wrong, for programs (``code``) and for people (``message``)."""

    code: str
    message: str
    fields: dict[str, str] | None = None


class ErrorResponse(BaseModel):
    """Body of every error response."""

    error: ErrorDetail


def error_fields(errors: Iterable[Any]) -> dict[str, str]:
    """One message per invalid field of a pydantic validation error, named as the
    client sent it (never echoing the value)."""
    fields: dict[str, str] = {}
    for error in errors:
        location = [str(part) for part in error.get("loc", ())]
        if location and location[0] in _LOCATIONS and len(location) > 1:
            location = location[1:]
        if error.get("type") == "json_invalid":
            location = []  # the position in the text is not a field
        name = ".".join(location) or "body"
        message = str(error.get("msg", "Invalid value.")).removeprefix("Value error, ")
        fields.setdefault(name, message)
    return fields

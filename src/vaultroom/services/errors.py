"""Errors services raise; transports turn them into the contract's error shape."""

from __future__ import annotations


class ServiceError(Exception):
    """A refusal with a stable ``code``, a human ``message`` and an HTTP ``status``."""

    status = 400
    code = "bad_request"

    def __init__(
        self, message: str, *, code: str | None = None, fields: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.fields = fields


class InvalidInput(ServiceError):
    """The request is well-formed but a value is not acceptable."""

    status = 422
    code = "invalid_input"


class Unauthorized(ServiceError):
    """No valid credentials."""

    status = 401
    code = "unauthorized"


class Forbidden(ServiceError):
    """Credentials are valid but the action is not allowed."""

    status = 403
    code = "forbidden"


class NotFound(ServiceError):
    """The thing does not exist, or the caller may not know that it does."""

    status = 404
    code = "not_found"


class Conflict(ServiceError):
    """The action clashes with existing state (a taken username, say)."""

    status = 409
    code = "conflict"


class RateLimited(ServiceError):
    """Too many requests of one kind; ``retry_after`` says when to try again (seconds)."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(ServiceError):
    """The database failed, the server is overloaded or shutting down; the same
    request may be retried (``retry_after`` seconds later)."""

    status = 503
    code = "unavailable"
    retry_after = 1

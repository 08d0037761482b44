"""Domain errors: a stable snake_case code, an HTTP status and a human message."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base for every error a client may see; transports render it as {"error": {...}}."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details

    def headers(self) -> dict[str, str]:
        """Extra HTTP headers for the REST answer (e.g. Retry-After)."""
        return {}

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return body


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class InvalidInput(DomainError):
    status = 422
    code = "validation_error"


class Unavailable(DomainError):
    status = 503
    code = "unavailable"

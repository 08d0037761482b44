"""Domain errors: a stable snake_case code, an HTTP status and a human message."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base for every error a client may see; transports render it as {"error": {...}}."""

    status = 400
    code = "bad_request"
    # True when the very same request may succeed if sent again unchanged (a passing outage).
    retryable = False

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
        if self.retryable:
            body["retryable"] = True
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


class MessageTooLong(DomainError):
    """Message text over the limit; ``details.limit`` is the limit in characters."""

    status = 413
    code = "message_too_long"


class Unavailable(DomainError):
    status = 503
    code = "unavailable"


class TemporarilyUnavailable(Unavailable):
    """A dependency (database, Redis) is unreachable for a moment: send the same request again."""

    code = "unavailable"
    retryable = True
    retry_after = 1

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


def outage_error(exc: BaseException) -> TemporarilyUnavailable | None:
    """The retryable error for an exception that means "a dependency is briefly down", else None.

    Connection failures, dropped connections, a restarting server, an exhausted pool, deadlocks
    and serialisation failures (SQLAlchemy's OperationalError family) and Redis connection errors
    change nothing that a retry could duplicate: messages are idempotent by clientMessageId.
    """
    import sqlalchemy.exc as sa_exc

    transient: tuple[type[BaseException], ...] = (
        sa_exc.OperationalError,
        sa_exc.InterfaceError,
        sa_exc.DisconnectionError,
        sa_exc.TimeoutError,
    )
    try:
        import redis.exceptions as redis_exc

        transient += (redis_exc.ConnectionError, redis_exc.TimeoutError)
    except ImportError:  # pragma: no cover - redis is a dependency
        pass
    if isinstance(exc, transient):
        return TemporarilyUnavailable("The service is briefly unavailable; please retry.")
    return None

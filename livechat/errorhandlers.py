"""One error shape for every REST failure: {"error": {"code", "message", "details"?}}."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from livechat.errors import DomainError, outage_error
from livechat.extensions import db

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def _body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return {"error": error}


def register(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError) -> Any:
        db.session.rollback()  # release row locks taken before the rule said no
        return {"error": exc.to_dict()}, exc.status, exc.headers()

    @app.errorhandler(ValidationError)
    def validation_error(exc: ValidationError) -> Any:
        db.session.rollback()
        return _body("validation_error", "The input is not valid.", exc.messages), 422

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        status = exc.code or 500
        code = _HTTP_CODES.get(status) or (exc.name or "error").lower().replace(" ", "_")
        return _body(code, exc.description or exc.name), status

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Any:
        outage = outage_error(exc)
        if outage is not None:
            # Database or Redis briefly down: 503 + Retry-After, the client sends the same again.
            log.warning("request refused, dependency down: %r", exc)
            _rollback()
            return {"error": outage.to_dict()}, outage.status, outage.headers()
        log.exception("unhandled error")
        _rollback()
        return _body("internal_error", "Something went wrong on our side."), 500


def _rollback() -> None:
    """Roll back; with the database down the rollback itself may fail, which changes nothing."""
    try:
        db.session.rollback()
    except Exception:
        log.debug("rollback failed", exc_info=True)

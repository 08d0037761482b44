"""Readiness checks of the service's dependencies."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa

from livechat import runtime
from livechat.extensions import db

log = logging.getLogger(__name__)


def _check_database() -> dict[str, Any]:
    try:
        db.session.execute(sa.text("SELECT 1"))
        db.session.rollback()
        return {"ok": True}
    except Exception as exc:  # any driver error means "not ready"
        db.session.rollback()
        log.warning("readiness: database unavailable: %s", type(exc).__name__)
        return {"ok": False, "error": type(exc).__name__}


def _check_redis(url: str) -> dict[str, Any]:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        try:
            client.ping()
        finally:
            client.close()
        return {"ok": True}
    except Exception as exc:
        log.warning("readiness: redis unavailable: %s", type(exc).__name__)
        return {"ok": False, "error": type(exc).__name__}


def _check_writer() -> dict[str, Any]:
    """Every message goes through this process's group-commit writer: without it, none can be
    stored here, however healthy the database."""
    writer = runtime.writer.find()
    if writer is not None and writer.running:
        return {"ok": True}
    log.warning("readiness: the message writer is not running")
    return {"ok": False, "error": "writer_stopped"}


def readiness(redis_url: str | None) -> dict[str, dict[str, Any]]:
    checks = {"database": _check_database(), "messageWriter": _check_writer()}
    if redis_url:
        checks["redis"] = _check_redis(redis_url)
    return checks

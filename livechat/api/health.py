"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app

from livechat.services import health

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Any:
    """The process is up (no dependencies checked)."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz() -> Any:
    """Ready to serve: the database answers, this process can store messages, and Redis
    answers too when configured."""
    checks = health.readiness(current_app.config.get("REDIS_URL"))
    ok = all(c["ok"] for c in checks.values())
    return {"status": "ok" if ok else "unavailable", "checks": checks}, 200 if ok else 503

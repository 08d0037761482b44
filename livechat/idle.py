"""The idle sweeper: one greenlet per app ends chats whose customer stopped answering
(services/idle.py holds the rule; this only runs it every IDLE_SWEEP_SECONDS)."""

from __future__ import annotations

import logging

import gevent
from flask import Flask

from livechat import runtime

log = logging.getLogger(__name__)


class IdleSweeper:
    """Every ``interval`` seconds, warn and close the due idle chats (IDLE_* settings)."""

    def __init__(self, app: Flask, close: int, warn: int, interval: float) -> None:
        self._app = app
        self.close = close
        self.warn = warn
        self._interval = interval
        self._greenlet: gevent.Greenlet | None = None

    def start(self) -> None:
        if self._greenlet is None and self.close > 0:
            self._greenlet = gevent.spawn(self._run)

    def sweep(self) -> tuple[list[str], list[str]]:
        """One sweep now: (ids warned, ids closed)."""
        from livechat.extensions import db
        from livechat.services import idle

        with self._app.app_context():
            try:
                result = idle.sweep(self.close, self.warn)
            finally:
                db.session.remove()
        return result.warned, result.closed

    def _run(self) -> None:
        from livechat.errors import outage_error

        while True:
            gevent.sleep(self._interval)
            try:
                warned, closed = self.sweep()
                if warned or closed:
                    log.info("idle chats: %d warned, %d closed", len(warned), len(closed))
            except Exception as exc:
                if outage_error(exc) is None:
                    log.exception("idle sweep failed")
                else:  # the database is briefly down: the next sweep tries again
                    log.warning("idle sweep skipped, dependency down: %r", exc)

    def shutdown(self) -> None:
        if self._greenlet is not None:
            self._greenlet.kill(timeout=2)
            self._greenlet = None


def init_idle(app: Flask) -> IdleSweeper:
    """Build the app's idle sweeper and start it (it runs only with IDLE_CLOSE_SECONDS > 0)."""
    cfg = app.config
    sweeper = runtime.idle_sweeper.set(
        app,
        IdleSweeper(
            app,
            int(cfg.get("IDLE_CLOSE_SECONDS", 0)),
            int(cfg.get("IDLE_WARN_SECONDS", 0)),
            float(cfg.get("IDLE_SWEEP_SECONDS", 15)),
        ),
    )
    sweeper.start()
    return sweeper

"""Ends sockets whose token has expired, even if they stay silent (long-lived connections),
sockets of customers erased since they signed in, and sockets of staff the team no longer backs
(removed or re-roled: normally ended at once, see services/team.py; this is the backstop)."""

from __future__ import annotations

import logging
from typing import Any

import gevent
from flask import Flask

log = logging.getLogger(__name__)


class TokenSweeper:
    """One greenlet per app: every ``interval`` seconds, disconnect sockets with expired tokens
    and those of erased customers (one query for all of this process's signed-in uids)."""

    def __init__(self, app: Flask, namespaces: list[Any], interval: float) -> None:
        self._app = app
        self._namespaces = namespaces
        self._interval = interval
        self._greenlet: gevent.Greenlet | None = None

    def start(self) -> None:
        if self._greenlet is None and self._interval > 0:
            self._greenlet = gevent.spawn(self._run)

    def sweep(self) -> int:
        with self._app.app_context():
            ended = sum(ns.sweep_expired() for ns in self._namespaces)
            return ended + self._sweep_erased() + self._sweep_staff()

    def _sweep_erased(self) -> int:
        from livechat.errors import outage_error
        from livechat.extensions import db
        from livechat.services import users

        uids: set[str] = set().union(*(ns.connected_uids() for ns in self._namespaces))
        if not uids:
            return 0
        try:
            erased = uids - users.existing_ids(uids)
        except Exception as exc:
            if outage_error(exc) is None:
                raise
            # The database is briefly down: the next sweep asks again.
            log.warning("erased-customer sweep skipped, dependency down: %r", exc)
            db.session.remove()
            return 0
        return sum(ns.end_erased(erased) for ns in self._namespaces) if erased else 0

    def _sweep_staff(self) -> int:
        """A backstop for removals and role changes: they end sockets at once through the Redis
        relay, and this catches what a lost message (Redis down then) or a socket still
        connecting at that moment left open."""
        from livechat.errors import outage_error
        from livechat.extensions import db
        from livechat.services import team

        claims: dict[str, Any] = {}
        for ns in self._namespaces:
            claims.update(ns.staff_claims())
        if not claims:
            return 0
        try:
            refused = team.stale_staff(claims)
        except Exception as exc:
            if outage_error(exc) is None:
                raise
            log.warning("team sweep skipped, dependency down: %r", exc)
            db.session.remove()
            return 0
        return sum(ns.end_refused(refused) for ns in self._namespaces) if refused else 0

    def _run(self) -> None:
        while True:
            gevent.sleep(self._interval)
            try:
                if n := self.sweep():
                    log.info("disconnected %d socket(s): expired tokens or erased customers", n)
            except Exception:
                log.exception("token sweep failed")

    def shutdown(self) -> None:
        if self._greenlet is not None:
            self._greenlet.kill(timeout=2)
            self._greenlet = None

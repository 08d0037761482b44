"""Typing indicators that stop by themselves: a timer per (session, user), in this process."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import gevent
from gevent.pool import Group

log = logging.getLogger(__name__)

# (session_id, event, payload, sockets not to send it to)
Emit = Callable[[str, str, dict[str, Any], set[str]], None]


class TypingTracker:
    """start() relays typing:start once and (re)arms expiry; stop() relays typing:stop once.

    Neither is sent to the sockets the typing came from (nor to the one that stopped it): only
    the chat's other parties hear about it, however it ends.
    """

    def __init__(self, ttl: float, emit: Emit) -> None:
        self.ttl = ttl
        self._emit = emit
        self._timers: dict[tuple[str, str], gevent.Greenlet] = {}
        self._roles: dict[tuple[str, str], str] = {}
        self._sids: dict[tuple[str, str], set[str]] = {}  # the sockets that reported the typing
        self._group = Group()

    def start(self, session_id: str, user_id: str, role: str, sid: str | None = None) -> None:
        key = (session_id, user_id)
        sids = self._sids.setdefault(key, set())
        if sid:
            sids.add(sid)
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.kill(block=False)
        else:
            payload = self._payload(session_id, user_id, role)
            self._emit(session_id, "typing:start", payload, set(sids))
        self._roles[key] = role
        self._timers[key] = self._group.spawn(self._expire, key)

    def stop(self, session_id: str, user_id: str, sid: str | None = None) -> bool:
        """Stop if typing (``sid``: the socket that says so); True when typing:stop was relayed."""
        key = (session_id, user_id)
        timer = self._timers.pop(key, None)
        if timer is None:
            return False
        if timer is not gevent.getcurrent():
            timer.kill(block=False)
        role = self._roles.pop(key, "user")
        skip = self._sids.pop(key, set())
        if sid:
            skip.add(sid)
        self._emit(session_id, "typing:stop", self._payload(session_id, user_id, role), skip)
        return True

    def _expire(self, key: tuple[str, str]) -> None:
        gevent.sleep(self.ttl)
        try:
            self.stop(*key)
        except Exception:
            log.exception("typing expiry failed")

    def shutdown(self) -> None:
        self._group.kill(timeout=2)
        self._timers.clear()
        self._roles.clear()
        self._sids.clear()

    @staticmethod
    def _payload(session_id: str, user_id: str, role: str) -> dict[str, Any]:
        return {"sessionId": session_id, "userId": user_id, "role": role}

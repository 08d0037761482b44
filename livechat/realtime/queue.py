"""queue:updated for agents: coalesced, computed off the committing greenlet."""

from __future__ import annotations

import logging
from typing import Any

import gevent
from flask import Flask
from gevent.pool import Group

from livechat.realtime import push
from livechat.realtime.presence import Presence
from livechat.realtime.rooms import AGENTS_ROOM
from livechat.schemas.chat import QueueItemSchema, UserBriefSchema
from livechat.services import sessions, users

log = logging.getLogger(__name__)

_queue_items = QueueItemSchema(many=True)
_agents = UserBriefSchema(many=True)


def snapshot(presence: Presence) -> dict[str, Any]:
    """The queue as agents see it: waiting sessions and who is online (needs an app context)."""
    online = users.get_users(sorted(presence.members(AGENTS_ROOM)))
    return {
        "waiting": _queue_items.dump(sessions.queue_entries()),
        "agentsOnline": _agents.dump(online),
    }


class QueueBroadcaster:
    """Changes arriving within ``delay`` seconds produce one queue:updated."""

    def __init__(self, app: Flask, presence: Presence, delay: float = 0.05) -> None:
        self._app = app
        self._presence = presence
        self._delay = delay
        self._pending: gevent.Greenlet | None = None
        self._group = Group()

    def request_refresh(self) -> None:
        if self._pending is None:
            self._pending = self._group.spawn(self._run)

    def _run(self) -> None:
        gevent.sleep(self._delay)
        self._pending = None
        try:
            with self._app.app_context():
                push.to_agents("queue:updated", snapshot(self._presence))
        except Exception:
            log.exception("queue:updated broadcast failed")

    def shutdown(self) -> None:
        self._group.kill(timeout=2)

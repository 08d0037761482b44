"""queue:updated for agents: coalesced, computed off the committing greenlet."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import gevent
from flask import Flask
from gevent.pool import Group

from livechat import runtime
from livechat.realtime import push
from livechat.realtime.presence import Presence
from livechat.realtime.rooms import AGENTS_ROOM
from livechat.schemas.base import Augmented
from livechat.schemas.chat import AgentOnlineSchema, QueueItemSchema
from livechat.services import agents, sessions, users

log = logging.getLogger(__name__)

_queue_items = QueueItemSchema(many=True)
_agents = AgentOnlineSchema(many=True)


def snapshot(presence: Presence) -> dict[str, Any]:
    """The queue as agents see it: waiting sessions and who is online, with each one's status
    and open chats (needs an app context)."""
    ids = sorted(presence.members(AGENTS_ROOM))
    states = runtime.agent_router().statuses.many(ids)
    loads = agents.workloads(ids)
    online = [
        Augmented(u, status=states[u.id].status, open_chats=loads[u.id].open_chats)
        for u in users.get_users(ids)
    ]
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
        # Called on every change of the queue (the router's pass: ROUTING=auto).
        self.on_change: list[Callable[[], None]] = []

    def request_refresh(self) -> None:
        for hook in self.on_change:
            hook()
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

"""The queue live: queue:updated for agents and queue:position for waiting customers (coalesced,
computed off the committing greenlet), and the first-response SLA watch."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import gevent
from flask import Flask
from gevent.event import AsyncResult
from gevent.pool import Group

from livechat import runtime
from livechat.realtime import push
from livechat.realtime.presence import Presence
from livechat.realtime.rooms import AGENTS_ROOM
from livechat.schemas.base import Augmented
from livechat.schemas.chat import AgentOnlineSchema, QueueItemSchema
from livechat.services import agents, queue, sessions, users

log = logging.getLogger(__name__)

_queue_items = QueueItemSchema(many=True)
_agents = AgentOnlineSchema(many=True)


def snapshot(presence: Presence) -> dict[str, Any]:
    """The queue as agents see it: the first waiting sessions (sessions.QUEUE_LIST_LIMIT) and
    how many wait in all, and who is online, with each one's status and open chats (needs an
    app context)."""
    ids = sorted(presence.members(AGENTS_ROOM))
    states = runtime.agent_router().statuses.many(ids)
    loads = agents.workloads(ids)
    online = [
        Augmented(u, status=states[u.id].status, open_chats=loads[u.id].open_chats)
        for u in users.get_users(ids)
    ]
    return {
        "waiting": _queue_items.dump(sessions.queue_entries(sessions.QUEUE_LIST_LIMIT)),
        "waitingTotal": sessions.waiting_total(),
        "agentsOnline": _agents.dump(online),
    }


# The longest a burst of queue changes waits for its announcement, however many agents are
# online (a connecting agent waits for one: realtime/support.py).
MAX_INTERVAL_SECONDS = 2.0


class QueueBroadcaster:
    """Changes arriving within ``delay`` seconds produce one queue:updated: one snapshot, sent
    to every agent (also to the sockets connecting meanwhile: an agent's connect waits for it
    rather than building a snapshot of its own, see SupportNamespace.on_connect).

    While changes keep coming, refreshes start at most every ``min_interval`` seconds, or
    ``per_agent`` seconds per agent online when that is longer (up to ``max_interval``: no
    agent waits longer for the queue as it is). Each sends to every agent online (a snapshot
    of the queue, then one packet per agent): one every 50 ms made a burst of agents signing
    in after a deploy, or of chats opening, cost O(agents) per 50 ms, and with 1,000 agents
    signing in at once the broadcasts alone kept a core busy. The first change after a quiet
    spell still goes out after ``delay``."""

    def __init__(
        self,
        app: Flask,
        presence: Presence,
        delay: float = 0.05,
        minutes_per_chat: float = 4.0,
        min_interval: float = 0.25,
        per_agent: float = 0.001,
        max_interval: float = MAX_INTERVAL_SECONDS,
    ) -> None:
        self._app = app
        self._presence = presence
        self._delay = delay
        self.min_interval = min_interval  # QUEUE_UPDATE_INTERVAL_SECONDS
        self._per_agent = per_agent
        self._max_interval = max_interval
        self._interval = min_interval  # between refreshes while changes keep coming
        self._last_started = -min_interval  # monotonic: when the last refresh began
        self._minutes_per_chat = minutes_per_chat
        self._pending: gevent.Greenlet | None = None
        # Set when the pending refresh's queue:updated has gone to the agents' room (True) or
        # failed (False).
        self._sent: AsyncResult[bool] = AsyncResult()
        self._group = Group()
        # One announcement runs at a time here; a change meanwhile asks for one more after it.
        self._announcing = False
        self._announce_again = False
        # Called on every change of the queue (the router's pass: ROUTING=auto).
        self.on_change: list[Callable[[], None]] = []

    def request_refresh(self) -> AsyncResult[bool]:
        """A queue:updated to every agent soon, built after this call; the result is set
        (True: sent, False: failed) once it has gone to the agents' room."""
        for hook in self.on_change:
            hook()
        if self._pending is None:
            self._sent = AsyncResult()
            self._pending = self._group.spawn(self._run, self._sent)
        return self._sent

    def _run(self, sent: AsyncResult[bool]) -> None:
        gevent.sleep(max(self._delay, self._last_started + self._interval - time.monotonic()))
        self._last_started = time.monotonic()
        self._pending = None  # a change from now on asks for the next refresh
        try:
            with self._app.app_context():
                payload = snapshot(self._presence)
                agents_online = len(payload["agentsOnline"])
                wanted = min(agents_online * self._per_agent, self._max_interval)
                self._interval = max(self.min_interval, wanted)
                push.to_agents("queue:updated", payload)
            sent.set(True)
        except Exception:
            sent.set(False)
            log.exception("queue:updated broadcast failed")
        self._announce_coalesced()

    def _announce_coalesced(self) -> None:
        """Announce positions, one announcement at a time in this process.

        Each reads the whole queue under one database-wide lock. Started every 50 ms while a long
        queue's announcement takes longer (5,000 waiting chats, a burst of connects), they used to
        pile up on that lock, each holding a pooled connection, until connects were refused for
        want of one. Now a change during an announcement asks for exactly one more after it,
        which reads the queue as it is by then.
        """
        if self._announcing:
            self._announce_again = True
            return
        self._announcing = True
        try:
            while True:
                self._announce_again = False
                try:
                    with self._app.app_context():
                        self._announce_positions()
                except Exception:
                    log.exception("queue:position announcement failed")
                if not self._announce_again:
                    return
        finally:
            self._announcing = False

    def _announce_positions(self) -> None:
        """queue:position to the customers whose place changed since they were last told (by
        any process: the database remembers what was announced)."""
        for change in queue.announce_positions():
            eta = queue.eta_seconds(change.position, self._minutes_per_chat)
            payload = {
                "sessionId": change.session_id,
                "position": change.position,
                "etaSeconds": eta,
            }
            push.to_user(change.user_id, "queue:position", payload)

    def join(self, timeout: float | None = None) -> None:
        """Wait for the pending refresh, if any, to be sent."""
        self._group.join(timeout=timeout)

    def shutdown(self) -> None:
        self._group.kill(timeout=2)


class SlaWatch:
    """One greenlet per app: every quarter of SLA_FIRST_RESPONSE_SECONDS (at most every 5 s),
    claim the waiting chats past it. Every process may run one; each breach is claimed by one
    (services/queue.py), whose listeners announce it."""

    def __init__(self, app: Flask, sla_seconds: float) -> None:
        self._app = app
        self.sla_seconds = sla_seconds
        self.interval = min(5.0, sla_seconds / 4)
        self._greenlet: gevent.Greenlet | None = None

    def start(self) -> None:
        if self._greenlet is None and self.sla_seconds > 0:
            self._greenlet = gevent.spawn(self._run)

    def check(self) -> list[str]:
        """Claim and announce the breaches due now; the ids claimed."""
        with self._app.app_context():
            return queue.claim_sla_breaches(self.sla_seconds)

    def _run(self) -> None:
        while True:
            gevent.sleep(self.interval)
            try:
                if claimed := self.check():
                    log.info("%d chat(s) waited past the first-response SLA", len(claimed))
            except Exception:
                log.exception("first-response SLA check failed")

    def shutdown(self) -> None:
        if self._greenlet is not None:
            self._greenlet.kill(timeout=2)
            self._greenlet = None

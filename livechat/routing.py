"""Agents' status over time and automatic routing: one object per app owning its greenlets.

services/agents.py holds the rules (who is routed, which agent, what going offline does); this
runs them at the right moments: a routing pass whenever the queue changes (the queue
broadcaster's hook) or an agent becomes available (ROUTING=auto only), and, when an agent's
last socket closes, an offline check AGENT_OFFLINE_GRACE_SECONDS later. Presence and statuses
are shared through Redis, so any process may run either; the routing lock in the database
keeps them from double-assigning.

That offline check lives in the process that saw the socket close; if the process dies within
the grace, the sweep (every AGENT_OFFLINE_SWEEP_SECONDS, on every process) catches the agent:
one who holds open chats, has no socket in presence and was last seen (the status store's
``seen``, written on every socket close, before presence drops it) longer than the grace ago.
"""

from __future__ import annotations

import logging
import time

import gevent
from flask import Flask
from gevent.pool import Group

from livechat.realtime.agent_status import AgentStatusStore
from livechat.realtime.presence import Presence
from livechat.realtime.rooms import AGENTS_ROOM
from livechat.services import agents
from livechat.services.agents import AVAILABLE, OFFLINE, AgentState

log = logging.getLogger(__name__)


class AgentRouter:
    """Status changes, the offline grace period, and (``auto``) the routing passes."""

    def __init__(
        self,
        app: Flask,
        presence: Presence,
        statuses: AgentStatusStore,
        *,
        auto: bool,
        capacity: int,
        grace: float,
        sweep: float = 0.0,
        delay: float = 0.05,
    ) -> None:
        self._app = app
        self._presence = presence
        self.statuses = statuses
        self.auto = auto
        self.capacity = capacity
        self.grace = grace
        self._delay = delay
        self._group = Group()
        self._pass: gevent.Greenlet | None = None
        self._again = False
        self._leaving: dict[str, gevent.Greenlet] = {}
        self._sweep = sweep
        self._sweeper: gevent.Greenlet | None = None
        # Agents unseen since before this process started get a grace from its start: after a
        # restart (memory stores forget who was seen) they have that long to reconnect.
        self._started = time.time()

    # ---- status ----------------------------------------------------------------------------

    def online_states(self) -> dict[str, AgentState]:
        """The status of every agent with a socket open (on any process)."""
        return self.statuses.many(sorted(self._presence.members(AGENTS_ROOM)))

    def agent_connected(self, user_id: str) -> AgentState:
        """A socket of the agent opened: a pending offline check is off, and an offline agent
        is available again (an away one stays away)."""
        leaving = self._leaving.pop(user_id, None)
        if leaving is not None:
            leaving.kill(block=False)
        state = self.statuses.get(user_id)
        if state.status == OFFLINE:
            state = self.statuses.set(user_id, AVAILABLE)
            self.request()
        return state

    def agent_left(self, user_id: str) -> None:
        """The agent's last socket closed: offline after the grace period unless they are back."""
        if user_id not in self._leaving:
            self._leaving[user_id] = self._group.spawn(self._go_offline_later, user_id)

    def set_status(self, user_id: str, status: str) -> AgentState:
        """The agent chose a status: available is routed to, away is not, and offline also
        puts their open chats back in the queue now (no grace: it is not a dropped line)."""
        from livechat import runtime

        state = self.statuses.set(user_id, status)
        if status == OFFLINE:
            agents.release_chats(user_id, "agent_offline")
        # agentsOnline shows the new status; the refresh also runs a routing pass.
        runtime.queue_broadcaster().request_refresh()
        return state

    def _go_offline_later(self, user_id: str) -> None:
        try:
            gevent.sleep(self.grace)
            with self._app.app_context():
                from livechat.extensions import db

                try:
                    self._go_offline(user_id)
                finally:
                    db.session.remove()
        except Exception:
            log.exception("agent offline check failed")
        finally:
            if self._leaving.get(user_id) is gevent.getcurrent():
                del self._leaving[user_id]

    def _go_offline(self, user_id: str) -> None:
        from livechat import runtime

        if user_id in self._presence.members(AGENTS_ROOM):
            return  # back, on this process or another
        self.statuses.set(user_id, OFFLINE)
        released = agents.release_chats(user_id, "agent_offline")
        if released:
            log.info("agent offline: %d chats back in the queue", len(released))
        runtime.queue_broadcaster().request_refresh()

    # ---- the offline sweep ---------------------------------------------------------------

    def start(self) -> None:
        """Start the offline sweep (AGENT_OFFLINE_SWEEP_SECONDS > 0; create_app)."""
        if self._sweeper is None and self._sweep > 0:
            self._sweeper = self._group.spawn(self._sweep_loop)

    def sweep_offline(self, now: float | None = None) -> list[str]:
        """Put offline, as ``_go_offline`` does, every agent who holds open chats, has no socket
        on any process and was last seen more than the grace before ``now``; returns them.
        Processes sweeping at once never requeue a chat twice (``return_to_queue`` locks it on
        its agent and status)."""
        from livechat.extensions import db

        now = time.time() if now is None else now
        with self._app.app_context():
            try:
                holding = agents.agents_holding_chats()
                if not holding:
                    return []
                # Presence before last-seen: a socket closing writes them the other way round.
                online = self._presence.members(AGENTS_ROOM)
                seen = self.statuses.last_seen(holding)
                gone = [
                    a
                    for a in holding
                    if a not in online and max(seen[a], self._started) <= now - self.grace
                ]
                for agent in gone:
                    self._go_offline(agent)
                return gone
            finally:
                db.session.remove()

    def _sweep_loop(self) -> None:
        from livechat.errors import outage_error

        while True:
            gevent.sleep(self._sweep)
            try:
                gone = self.sweep_offline()
                if gone:
                    log.info("offline sweep: %d agents gone past the grace", len(gone))
            except Exception as exc:
                if outage_error(exc) is None:
                    log.exception("offline sweep failed")
                else:  # a dependency is briefly down: the next sweep tries again
                    log.warning("offline sweep skipped, dependency down: %r", exc)

    # ---- routing ---------------------------------------------------------------------------

    def request(self) -> None:
        """Route the waiting chats soon (coalesced; ROUTING=auto only)."""
        if not self.auto:
            return
        self._again = True
        if self._pass is None:
            self._pass = self._group.spawn(self._run)

    def route_all(self) -> list[tuple[str, str]]:
        """Give waiting chats to available agents until one side runs out (app context)."""
        done: list[tuple[str, str]] = []
        while (routed := agents.route_next(self.online_states(), self.capacity)) is not None:
            done.append(routed)
        return done

    def _run(self) -> None:
        from livechat.errors import outage_error
        from livechat.extensions import db

        try:
            while self._again:
                self._again = False
                gevent.sleep(self._delay)
                with self._app.app_context():
                    try:
                        self.route_all()
                    except Exception as exc:
                        if outage_error(exc) is None:
                            log.exception("routing pass failed")
                        else:
                            log.warning("routing pass skipped, dependency down: %r", exc)
                    finally:
                        db.session.remove()
        finally:
            self._pass = None

    def shutdown(self) -> None:
        self._group.kill(timeout=2)
        self._leaving.clear()
        self._pass = None
        self._sweeper = None

"""Agents' status and capacity, and the rules built on them, each written once: who may be
given a chat (available, below capacity), which agent gets the next one (fewest open chats,
then longest idle), and what happens to an offline agent's chats (back to the queue).

The statuses themselves are stored by livechat/realtime/agent_status.py (memory or Redis);
the router (livechat/routing.py) reads them and calls ``route_next`` and ``release_chats``.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from livechat import runtime
from livechat.extensions import db
from livechat.models import SYSTEM_SENDER_ID, ChatSession, SessionStatus
from livechat.services import sessions

AVAILABLE = "available"
AWAY = "away"
OFFLINE = "offline"
STATUSES = (AVAILABLE, AWAY, OFFLINE)

# pg_advisory_xact_lock key: one routing decision at a time across every process, so capacity
# is counted on committed assignments (two processes never both give an agent their last slot).
ROUTING_LOCK = 0x6C63_7274


def agent_available(agent_id: str) -> bool:
    """May be handed a chat by a transfer: ``available`` or ``away`` (they still work their
    chats), never ``offline`` (never connected, chose offline, or gone past the grace)."""
    return runtime.agent_router().statuses.get(agent_id).status != OFFLINE


@dataclass(frozen=True)
class AgentState:
    """An agent's status and since when (epoch seconds)."""

    status: str
    since: float


@dataclass(frozen=True)
class Workload:
    """An agent's open chats and when they were last given one (epoch seconds, 0: never)."""

    open_chats: int
    last_assigned: float


def open_chats_sql() -> sa.ColumnElement[bool]:
    """The chats that count against an agent's capacity: open ones assigned to them."""
    return sa.and_(ChatSession.agent_id.is_not(None), ChatSession.status == SessionStatus.ACTIVE)


def agents_holding_chats() -> list[str]:
    """Every agent with at least one open chat (``open_chats_sql``), in one statement."""
    return list(
        db.session.scalars(sa.select(ChatSession.agent_id).where(open_chats_sql()).distinct())
    )


def workloads(agent_ids: list[str]) -> dict[str, Workload]:
    """Each agent's open chats and last assignment, in one statement."""
    if not agent_ids:
        return {}
    rows = db.session.execute(
        sa.select(
            ChatSession.agent_id,
            sa.func.count().filter(open_chats_sql()),
            sa.func.max(ChatSession.assigned_at),
        )
        .where(ChatSession.agent_id.in_(agent_ids))
        .group_by(ChatSession.agent_id)
    ).all()
    found = {r[0]: Workload(int(r[1]), r[2].timestamp() if r[2] else 0.0) for r in rows}
    return {a: found.get(a, Workload(0, 0.0)) for a in agent_ids}


def pick_agent(
    states: dict[str, AgentState], loads: dict[str, Workload], capacity: int
) -> str | None:
    """The agent to give the next chat: available, below ``capacity``, fewest open chats; ties
    go to the longest idle (since their last assignment or status change, whichever is later)."""
    candidates = [
        a
        for a, s in states.items()
        if s.status == AVAILABLE and loads.get(a, Workload(0, 0.0)).open_chats < capacity
    ]
    if not candidates:
        return None

    def key(agent: str) -> tuple[int, float, str]:
        load = loads.get(agent, Workload(0, 0.0))
        return (load.open_chats, max(load.last_assigned, states[agent].since), agent)

    return min(candidates, key=key)


def route_next(states: dict[str, AgentState], capacity: int) -> tuple[str, str] | None:
    """Give the first waiting chat (queue order: ``sessions.queue_entries``) to the agent
    ``pick_agent`` names; returns (session id, agent id), or None when there is nothing to
    route or nobody to take it. One decision per transaction, under the routing lock."""
    if not any(s.status == AVAILABLE for s in states.values()):
        return None
    try:
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": ROUTING_LOCK})
        for entry in sessions.queue_entries(sessions.QUEUE_LIST_LIMIT):
            agent = pick_agent(states, workloads(list(states)), capacity)
            if agent is None:
                return None
            if sessions.route_to(entry.id, agent) is not None:  # commits
                return entry.id, agent
        return None
    finally:
        db.session.rollback()  # the lock ends with the transaction


def release_chats(agent_id: str, reason: str = "agent_offline") -> list[str]:
    """Put the agent's open chats back in the queue (they went offline); returns their ids."""
    ids = db.session.scalars(
        sa.select(ChatSession.id).where(ChatSession.agent_id == agent_id, open_chats_sql())
    ).all()
    released = [
        sid for sid in ids if sessions.return_to_queue(sid, agent_id, SYSTEM_SENDER_ID, reason)
    ]
    db.session.commit()
    return released

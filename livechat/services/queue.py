"""The waiting queue's positions and its first-response SLA, for every process at once.

Both are one statement on the shared database, so several web processes agree: positions are
announced only where they changed since the last announcement (``queue_position`` remembers it),
and an SLA breach is claimed once (``sla_breached_at``), by whichever process gets there first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from livechat.events import SessionSlaBreached, publish
from livechat.extensions import db
from livechat.models import ChatSession, SenderType, SessionStatus, utcnow
from livechat.services import rules

_WAITING = SessionStatus.WAITING.value

# One announcer at a time (a transaction-level advisory lock): the statement then reads the
# queue as the previous announcer left it, so the last change is always the last one announced.
_POSITIONS_LOCK = sa.text("SELECT pg_advisory_xact_lock(hashtext('livechat.queue_positions'))")

_RANKED = f"""
    SELECT s.id, row_number() OVER (ORDER BY {rules.queue_order_sql("s")}) AS position
    FROM chat_sessions s WHERE s.status = '{_WAITING}'
"""

_ANNOUNCE = sa.text(f"""
    WITH ranked AS ({_RANKED})
    UPDATE chat_sessions c SET queue_position = ranked.position
    FROM ranked
    WHERE c.id = ranked.id AND c.status = '{_WAITING}'
      AND c.queue_position IS DISTINCT FROM ranked.position
    RETURNING c.id, c.user_id, c.queue_position
""")

_POSITION_OF = sa.text(f"WITH ranked AS ({_RANKED}) SELECT position FROM ranked WHERE id = :id")

_CLAIM_BREACHES = sa.text(f"""
    UPDATE chat_sessions s SET sla_breached_at = :now
    WHERE s.status = '{_WAITING}' AND s.sla_breached_at IS NULL AND s.waiting_since <= :due
      AND NOT EXISTS (
        SELECT 1 FROM chat_messages m
        WHERE m.session_id = s.id AND m.sender_type = '{SenderType.AGENT.value}'
          AND m.created_at >= s.waiting_since)
    RETURNING s.id, s.user_id, s.waiting_since, s.metadata
""")


@dataclass(frozen=True)
class PositionChange:
    """A waiting chat whose position is not the one its customer was last told."""

    session_id: str
    user_id: str
    position: int


def eta_seconds(position: int, minutes_per_chat: float) -> int:
    """The estimated wait at ``position`` (QUEUE_MINUTES_PER_CHAT per chat ahead and its own,
    as the escalation notice estimates it), at least a minute."""
    return max(60, round(position * minutes_per_chat * 60))


def position_of(session_id: str) -> int | None:
    """The 1-based position of a WAITING chat in queue order, None if it is not waiting."""
    position = db.session.scalar(_POSITION_OF, {"id": session_id})
    return None if position is None else int(position)


def waiting_summary() -> tuple[int, int]:
    """How many chats wait and the longest wait in seconds (one aggregate on the database;
    a wait counts from ``waiting_since``, else the last update, as the queue's items do)."""
    since = sa.func.coalesce(ChatSession.waiting_since, ChatSession.updated_at)
    count, oldest = db.session.execute(
        sa.select(sa.func.count(), sa.func.min(since)).where(
            ChatSession.status == SessionStatus.WAITING
        )
    ).one()
    db.session.rollback()
    wait = 0 if oldest is None else max(0, int((utcnow() - oldest).total_seconds()))
    return int(count), wait


def announce_positions() -> list[PositionChange]:
    """Record every waiting chat's current position and return those that changed (commits).
    O(queue): one ranked read and writes for the changed rows only."""
    db.session.execute(_POSITIONS_LOCK)
    rows = db.session.execute(_ANNOUNCE).all()
    db.session.commit()
    return [PositionChange(r.id, r.user_id, int(r.queue_position)) for r in rows]


def claim_sla_breaches(sla_seconds: float) -> list[str]:
    """Mark the waiting chats that have waited ``sla_seconds`` with no agent message as breached
    and publish SessionSlaBreached for each (commits). Each chat is claimed once, across
    processes: the UPDATE skips rows already marked. Returns the ids claimed."""
    now = utcnow()
    rows = db.session.execute(
        _CLAIM_BREACHES, {"now": now, "due": now - timedelta(seconds=sla_seconds)}
    ).all()
    for row in rows:
        wait = max(0, int((now - row.waiting_since).total_seconds()))
        publish(SessionSlaBreached(row.id, row.user_id, wait, rules.queue_priority(row.metadata)))
    db.session.commit()
    return [row.id for row in rows]

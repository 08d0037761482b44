"""Live figures for the support team: queue, waits, volume, and how much the assistant resolved."""

from __future__ import annotations

import statistics
from typing import Any

import sqlalchemy as sa

from livechat.extensions import db
from livechat.models import ChatSession, SessionStatus, utcnow
from livechat.services.access import Actor, require_staff


def live_figures(actor: Actor) -> dict[str, Any]:
    """Waiting now, median wait of those waiting, chats started today, AI-resolved share today.

    "AI-resolved": chats ended today that never went to the queue nor had an agent.
    """
    require_staff(actor)
    now = utcnow()
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    waiting_since = db.session.scalars(
        sa.select(ChatSession.waiting_since).where(ChatSession.status == SessionStatus.WAITING)
    ).all()
    waits = [(now - w).total_seconds() for w in waiting_since if w is not None]
    chats_today = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(ChatSession)
        .where(ChatSession.created_at >= day_start)
    )
    ended_today = db.session.execute(
        sa.select(ChatSession.agent_id, ChatSession.assigned_at, ChatSession.meta).where(
            ChatSession.status == SessionStatus.ENDED, ChatSession.ended_at >= day_start
        )
    ).all()
    ai_only = sum(
        1
        for agent_id, assigned_at, meta in ended_today
        if agent_id is None and assigned_at is None and "escalation" not in (meta or {})
    )
    return {
        "waiting_now": len(waits),
        "median_wait_seconds": round(statistics.median(waits)) if waits else 0,
        "longest_wait_seconds": round(max(waits)) if waits else 0,
        "chats_today": int(chats_today or 0),
        "ended_today": len(ended_today),
        "ai_resolved_share": round(ai_only / len(ended_today), 3) if ended_today else None,
        "as_of": now,
    }

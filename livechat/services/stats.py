"""Live figures for the support team: queue, waits, volume, and how much the assistant resolved."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from livechat.extensions import db
from livechat.models import ChatSession, SessionStatus, utcnow
from livechat.services.access import Actor, require_staff


def figures_statements(now: Any) -> list[sa.Select]:
    """The statements ``live_figures`` runs at ``now`` (tests/test_query_plans.py explains
    them): aggregates in the database over index ranges (waiting chats, chats started today,
    chats ended today), so their cost follows today's chats, not the whole history."""
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    wait = sa.func.extract(
        "epoch", sa.literal(now, ChatSession.waiting_since.type) - ChatSession.waiting_since
    )
    waiting = sa.select(
        sa.func.count(),
        sa.func.percentile_cont(0.5).within_group(wait),
        sa.func.max(wait),
    ).where(ChatSession.status == SessionStatus.WAITING, ChatSession.waiting_since.is_not(None))
    started = (
        sa.select(sa.func.count())
        .select_from(ChatSession)
        .where(ChatSession.created_at >= day_start)
    )
    # "AI-resolved": ended today, never queued for a human, never had an agent.
    ai_only = sa.and_(
        ChatSession.agent_id.is_(None),
        ChatSession.assigned_at.is_(None),
        sa.not_(sa.func.coalesce(ChatSession.meta.has_key("escalation"), sa.false())),
    )
    ended = sa.select(sa.func.count(), sa.func.count().filter(ai_only)).where(
        ChatSession.ended_at >= day_start, ChatSession.status == SessionStatus.ENDED
    )
    return [waiting, started, ended]


def live_figures(actor: Actor) -> dict[str, Any]:
    """Waiting now, median and longest wait of those waiting, chats started today, chats
    ended today and the AI-resolved share of them (ended today, never queued, no agent)."""
    require_staff(actor)
    now = utcnow()
    waiting, started, ended = figures_statements(now)
    waiting_now, median_wait, longest_wait = db.session.execute(waiting).one()
    chats_today = db.session.scalar(started)
    ended_today, ai_only = db.session.execute(ended).one()
    return {
        "waiting_now": int(waiting_now),
        "median_wait_seconds": max(0, round(median_wait)) if waiting_now else 0,
        "longest_wait_seconds": max(0, round(longest_wait)) if waiting_now else 0,
        "chats_today": int(chats_today or 0),
        "ended_today": int(ended_today),
        "ai_resolved_share": round(ai_only / ended_today, 3) if ended_today else None,
        "as_of": now,
    }

"""What the assistant reads and writes: one turn's context, its analysis, its reply, handoffs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from livechat.extensions import db
from livechat.models import (
    UNRESOLVED_TICKET_STATUSES,
    ChatMessage,
    ChatSession,
    SenderType,
    SessionStatus,
    Ticket,
    utcnow,
)
from livechat.services import messages

HISTORY_WINDOW = 40


@dataclass(frozen=True)
class TurnContext:
    """A snapshot for one AI turn (plain values: it outlives the DB session)."""

    session_id: str
    user_id: str
    profile: dict[str, Any]
    history: list[tuple[str, str, int]]  # (sender type, content, seq), oldest first
    pending: list[tuple[str, str, int]]  # customer messages since the last reply: (id, text, seq)
    open_tickets: list[dict[str, str]]
    unresolved_tickets: int
    last_seq: int


def load_turn(session_id: str) -> TurnContext | None:
    """The turn's context, or None when the assistant must not answer (agent, waiting, ended)."""
    session = db.session.get(ChatSession, session_id)
    if session is None or session.status != SessionStatus.ACTIVE or session.agent_id is not None:
        db.session.rollback()
        return None
    rows = db.session.scalars(
        sa.select(ChatMessage)
        .where(ChatMessage.session_id == session_id)
        .order_by(ChatMessage.seq.desc())
        .limit(HISTORY_WINDOW)
    ).all()
    rows = list(reversed(rows))
    pending: list[tuple[str, str, int]] = []
    for m in reversed(rows):
        if m.sender_type != SenderType.USER:
            break
        pending.insert(0, (m.id, m.content, m.seq))
    tickets = db.session.scalars(
        sa.select(Ticket)
        .where(Ticket.user_id == session.user_id, Ticket.status.in_(UNRESOLVED_TICKET_STATUSES))
        .order_by(Ticket.created_at.desc())
    ).all()
    context = TurnContext(
        session_id=session.id,
        user_id=session.user_id,
        profile=dict(session.user.profile or {}),
        history=[(m.sender_type.value, m.content, m.seq) for m in rows],
        pending=pending,
        open_tickets=[
            {"subject": t.subject, "status": t.status.value, "priority": t.priority.value}
            for t in tickets[:5]
        ],
        unresolved_tickets=len(tickets),
        last_seq=session.last_seq,
    )
    db.session.rollback()  # read-only: release the connection before the slow part
    return context


def record_analysis(session_id: str, message_id: str, analysis: dict[str, Any]) -> None:
    """Keep the assistant's reading of a customer message (agents see it in the sidebar)."""
    message = db.session.get(ChatMessage, message_id)
    session = db.session.get(ChatSession, session_id)
    if message is None or session is None:
        db.session.rollback()
        return
    message.meta = {**(message.meta or {}), "analysis": analysis}
    session.meta = {**(session.meta or {}), "analysis": analysis}
    db.session.commit()


def post_reply(session_id: str, text: str, metadata: dict[str, Any]) -> ChatMessage:
    """Store the assistant's final answer (refused if a human took over meanwhile)."""
    return messages.post_service_message(
        session_id, text, sender_type=SenderType.AI, metadata=metadata
    )


def awaiting_reply(older_than: float, newer_than: float, limit: int = 500) -> list[str]:
    """Sessions the assistant owes an answer: ACTIVE, no agent, the last message a customer's,
    written between ``newer_than`` and ``older_than`` seconds ago (oldest first)."""
    now = utcnow()
    rows = (
        db.session.execute(
            sa.select(ChatSession.id)
            .join(
                ChatMessage,
                sa.and_(
                    ChatMessage.session_id == ChatSession.id,
                    ChatMessage.seq == ChatSession.last_seq,
                ),
            )
            .where(
                ChatSession.status == SessionStatus.ACTIVE,
                ChatSession.agent_id.is_(None),
                ChatMessage.sender_type == SenderType.USER,
                ChatMessage.created_at <= now - timedelta(seconds=older_than),
                ChatMessage.created_at >= now - timedelta(seconds=newer_than),
            )
            .order_by(ChatMessage.created_at)
            .limit(limit)
        )
        .scalars()
        .all()
    )
    db.session.rollback()
    return list(rows)

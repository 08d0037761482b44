"""What the assistant reads and writes: one turn's context, its analysis, its reply, handoffs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from psycopg.types.json import Jsonb

from livechat.extensions import db
from livechat.models import (
    UNRESOLVED_TICKET_STATUSES,
    ChatMessage,
    ChatSession,
    SenderType,
    SessionStatus,
    Ticket,
    User,
    utcnow,
)
from livechat.services import fastpath, messages
from livechat.services.fastpath import StoredMessage

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


_TURN_SQL = """
SELECT s.user_id, s.status, s.agent_id, s.last_seq, u.profile,
    (SELECT coalesce(json_agg(json_build_array(h.id, h.sender_type, h.content, h.seq, h.answered)
                              ORDER BY h.seq), '[]'::json)
     FROM (SELECT m.id, m.sender_type, m.content, m.seq, m.metadata ->> 'answeredSeq' AS answered
           FROM chat_messages m WHERE m.session_id = s.id
           ORDER BY m.seq DESC LIMIT %(window)s) h) AS history,
    (SELECT coalesce(json_agg(json_build_array(t.subject, t.status, t.priority)
                              ORDER BY t.created_at DESC), '[]'::json)
     FROM tickets t WHERE t.user_id = s.user_id AND t.status = ANY(%(unresolved)s)) AS tickets
FROM chat_sessions s JOIN users u ON u.id = s.user_id
WHERE s.id = %(sid)s AND s.status = 'ACTIVE' AND s.agent_id IS NULL
"""


@dataclass(frozen=True)
class _Row:
    id: str
    sender_type: SenderType
    content: str
    seq: int
    answered: int | None


def load_turn(session_id: str) -> TurnContext | None:
    """The turn's context, or None when the assistant must not answer (agent, waiting, ended).

    This runs for every customer message the assistant answers: on PostgreSQL one autocommit
    statement (history and tickets aggregated), elsewhere three Core reads; no ORM instances
    (ORM loading was ~1/6 of an AI turn's CPU)."""
    if db.engine.dialect.name == "postgresql":
        found = fastpath.autocommit(
            _TURN_SQL,
            {
                "sid": session_id,
                "window": HISTORY_WINDOW,
                "unresolved": [status.value for status in UNRESOLVED_TICKET_STATUSES],
            },
        )
        if not found:
            return None  # no such session, or not the assistant's to answer
        session = found[0]
        rows = [_Row(i, SenderType(k), c, q, _int(a)) for i, k, c, q, a in session.history]
        tickets = session.tickets
    else:
        session, rows, tickets = _read_turn(session_id)
        if session is None:
            return None
    return TurnContext(
        session_id=session_id,
        user_id=session.user_id,
        profile=dict(session.profile or {}),
        history=[(r.sender_type.value, r.content, r.seq) for r in rows],
        pending=_pending(rows),
        open_tickets=[
            {"subject": subject, "status": str(status), "priority": str(priority)}
            for subject, status, priority in tickets[:5]
        ],
        unresolved_tickets=len(tickets),
        last_seq=session.last_seq,
    )


def _read_turn(session_id: str) -> tuple[Any, list[_Row], list[tuple[str, str, str]]]:
    """load_turn's reads on databases without the one-statement form (SQLite); no session
    where the assistant must not answer, as the statement's WHERE has it."""
    s, u, m, t = (model.__table__ for model in (ChatSession, User, ChatMessage, Ticket))
    try:
        session = db.session.execute(
            sa.select(s.c.user_id, s.c.status, s.c.agent_id, s.c.last_seq, u.c.profile)
            .join(u, u.c.id == s.c.user_id)
            .where(s.c.id == session_id)
        ).first()
        if session is None or session.status != SessionStatus.ACTIVE or session.agent_id:
            return None, [], []
        answered = m.c["metadata"]["answeredSeq"].as_string().label("answered")
        found = db.session.execute(
            sa.select(m.c.id, m.c.sender_type, m.c.content, m.c.seq, answered)
            .where(m.c.session_id == session_id)
            .order_by(m.c.seq.desc())
            .limit(HISTORY_WINDOW)
        ).all()[::-1]
        tickets = db.session.execute(
            sa.select(t.c.subject, t.c.status, t.c.priority)
            .where(t.c.user_id == session.user_id, t.c.status.in_(UNRESOLVED_TICKET_STATUSES))
            .order_by(t.c.created_at.desc())
        ).all()
    finally:
        db.session.rollback()  # read-only: release the connection before the slow part
    rows = [_Row(r.id, r.sender_type, r.content, r.seq, _int(r.answered)) for r in found]
    return session, rows, [(x.subject, x.status.value, x.priority.value) for x in tickets]


def _int(value: Any) -> int | None:
    """answeredSeq as stored (None if absent or not a number: an older reply's metadata)."""
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _pending(rows: list[Any]) -> list[tuple[str, str, int]]:
    """The customer messages no reply has answered yet: those after the last other message,
    and those the last AI reply did not answer (written while it was being stored, they got a
    lower seq than the reply; its ``answeredSeq`` says where its answer ends)."""
    pending: list[tuple[str, str, int]] = []
    answered: int | None = None
    for row in reversed(rows):
        if row.sender_type == SenderType.USER:
            if answered is not None and row.seq <= answered:
                break
            pending.insert(0, (row.id, row.content, row.seq))
        elif row.sender_type == SenderType.AI and answered is None and row.answered is not None:
            answered = row.answered
        else:
            break
    return pending


_ANALYSIS_SQL = """
WITH message AS (
    UPDATE chat_messages SET metadata = coalesce(metadata, '{}'::jsonb) || %(patch)s
    WHERE id = %(mid)s AND session_id = %(sid)s
    RETURNING id
)
UPDATE chat_sessions SET metadata = coalesce(metadata, '{}'::jsonb) || %(patch)s
WHERE id = %(sid)s AND EXISTS (SELECT 1 FROM message)
"""


def record_analysis(session_id: str, message_id: str, analysis: dict[str, Any]) -> None:
    """Keep the assistant's reading of a customer message (agents see it in the sidebar)."""
    if db.engine.dialect.name == "postgresql":
        # One autocommit statement merging the key into both JSONB columns (no read, no ORM).
        params = {"patch": Jsonb({"analysis": analysis}), "mid": message_id, "sid": session_id}
        fastpath.autocommit(_ANALYSIS_SQL, params)
        return
    message = db.session.get(ChatMessage, message_id)
    session = db.session.get(ChatSession, session_id)
    if message is None or session is None:
        db.session.rollback()
        return
    messages.keep_analysis(session, message, analysis)
    db.session.commit()


def post_reply(
    session_id: str,
    text: str,
    metadata: dict[str, Any],
    analysis: tuple[str, dict[str, Any]] | None = None,
) -> ChatMessage | StoredMessage:
    """Store the assistant's final answer (refused if a human took over meanwhile), and with
    ``analysis`` = (customer message id, analysis) what ``record_analysis`` would record, in
    the same statement or transaction (one commit a turn). A refused reply records nothing."""
    return messages.post_service_message(
        session_id, text, sender_type=SenderType.AI, metadata=metadata, analysis=analysis
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


def discard_failed_work() -> None:
    """Roll back whatever a failed step left open on this context's database session."""
    db.session.rollback()


def customer_language(session_id: str) -> str:
    """The language the assistant last read the customer in (English when unknown)."""
    try:
        meta = db.session.execute(
            sa.select(ChatSession.meta).where(ChatSession.id == session_id)
        ).scalar_one_or_none()
    finally:
        db.session.rollback()
    language = ((meta or {}).get("analysis") or {}).get("language")
    return language if isinstance(language, str) and language else "en"

"""What the assistant reads and writes: one turn's context, its analysis, its reply, handoffs.

The hot reads and writes are single autocommit statements (writer.autocommit): no ORM instances
(ORM loading was ~1/6 of an AI turn's CPU), and each checks ``rules.assistant_may_answer_sql``
on the session's current row.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from psycopg.types.json import Jsonb

from livechat import writer
from livechat.errors import Conflict, TemporarilyUnavailable
from livechat.extensions import db
from livechat.models import (
    AI_SENDER_ID,
    ChatMessage,
    ChatSession,
    SenderType,
    SessionStatus,
    utcnow,
)
from livechat.redaction import mask_cards
from livechat.services import messages, rules
from livechat.services.access import find_session
from livechat.services.messages_sql import StoredMessage

HISTORY_WINDOW = 40
# As messages.WRITE_ATTEMPTS: a refused reply whose refusal no longer holds is offered again.
WRITE_ATTEMPTS = 2


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


_TURN_SQL = f"""
SELECT s.user_id, s.last_seq, u.profile,
    (SELECT coalesce(json_agg(json_build_array(h.id, h.sender_type, h.content, h.seq, h.answered)
                              ORDER BY h.seq), '[]'::json)
     FROM (SELECT m.id, m.sender_type, m.content, m.seq, m.metadata ->> 'answeredSeq' AS answered
           FROM chat_messages m WHERE m.session_id = s.id
           ORDER BY m.seq DESC LIMIT %(window)s) h) AS history,
    (SELECT coalesce(json_agg(json_build_array(t.subject, t.status, t.priority)
                              ORDER BY t.created_at DESC), '[]'::json)
     FROM tickets t WHERE t.user_id = s.user_id AND {rules.ticket_unresolved_sql("t")}) AS tickets
FROM chat_sessions s JOIN users u ON u.id = s.user_id
WHERE s.id = %(sid)s AND {rules.assistant_may_answer_sql("s")}
"""


@dataclass(frozen=True)
class _Row:
    id: str
    sender_type: SenderType
    content: str
    seq: int
    answered: int | None


def load_turn(session_id: str) -> TurnContext | None:
    """The turn's context, or None when the assistant must not answer (agent, waiting, ended,
    unknown). One autocommit statement for every customer message the assistant answers:
    history and tickets aggregated in it."""
    found = writer.autocommit(
        _TURN_SQL,
        {"sid": session_id, "window": HISTORY_WINDOW},
    )
    if not found:
        return None
    session = found[0]
    rows = [_Row(i, SenderType(k), c, q, _int(a)) for i, k, c, q, a in session.history]
    return TurnContext(
        session_id=session_id,
        user_id=session.user_id,
        profile=dict(session.profile or {}),
        history=[(r.sender_type.value, r.content, r.seq) for r in rows],
        pending=_pending(rows),
        open_tickets=[
            {"subject": subject, "status": str(status), "priority": str(priority)}
            for subject, status, priority in session.tickets[:5]
        ],
        unresolved_tickets=len(session.tickets),
        last_seq=session.last_seq,
    )


def _int(value: Any) -> int | None:
    """answeredSeq as stored (None if absent or not a number: an older reply's metadata)."""
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _pending(rows: list[_Row]) -> list[tuple[str, str, int]]:
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
    """Keep the assistant's reading of a customer message (agents see it in the sidebar): one
    autocommit statement merging the key into both JSONB columns (no read, no ORM)."""
    params = {"patch": Jsonb({"analysis": analysis}), "mid": message_id, "sid": session_id}
    writer.autocommit(_ANALYSIS_SQL, params)


_REPLY_SQL = f"""
WITH locked AS (
    SELECT id, status, agent_id, last_seq FROM chat_sessions WHERE id = %(sid)s FOR UPDATE
),
claimed AS (
    -- Checked on the locked (current) row. The turn's analysis (if any) is merged into the
    -- session's metadata in the same row version.
    UPDATE chat_sessions s
    SET last_seq = l.last_seq + 1, updated_at = %(now)s,
        metadata = CASE WHEN %(analysis)s::jsonb IS NULL THEN s.metadata
                        ELSE coalesce(s.metadata, '{{}}'::jsonb) || %(analysis)s::jsonb END
    FROM locked l
    WHERE s.id = l.id AND {rules.assistant_may_answer_sql("l")}
    RETURNING s.last_seq AS seq, s.status, s.agent_id
),
inserted AS (
    INSERT INTO chat_messages (id, session_id, seq, sender_id, sender_type, content, is_read,
                               metadata, client_message_id, created_at)
    SELECT %(mid)s, %(sid)s, seq, %(actor)s, 'AI', %(content)s, false, %(meta)s, NULL, %(now)s
    FROM claimed
    RETURNING seq
),
analysed AS (
    -- ... and into the customer message it analysed.
    UPDATE chat_messages SET metadata = coalesce(metadata, '{{}}'::jsonb) || %(analysis)s::jsonb
    WHERE id = %(analysed)s AND session_id = %(sid)s AND EXISTS (SELECT 1 FROM claimed)
)
SELECT i.seq, c.status, c.agent_id FROM inserted i, claimed c
"""


def post_reply(
    session_id: str,
    text: str,
    metadata: dict[str, Any],
    analysis: tuple[str, dict[str, Any]] | None = None,
) -> StoredMessage:
    """Store the assistant's final answer in one autocommit statement (lock, check, seq,
    insert) and publish it; refused (``ai_not_allowed``) if a human took over meanwhile or the
    chat ended, 404 for an unknown chat. With ``analysis`` = (customer message id, analysis),
    the turn's reading of that message goes into it and the session in the same statement
    (one commit a turn); a refused reply records nothing."""
    content = mask_cards(text)  # PCI: whoever writes them, card numbers are never stored
    mid = str(uuid.uuid4())
    for _ in range(WRITE_ATTEMPTS):
        now = utcnow()
        params = {
            "sid": session_id,
            "mid": mid,
            "actor": AI_SENDER_ID,
            "content": content,
            "meta": Jsonb(metadata),
            "now": now,
            "analysis": Jsonb({"analysis": analysis[1]}) if analysis else None,
            "analysed": analysis[0] if analysis else None,
        }
        rows = writer.autocommit(_REPLY_SQL, params)
        if rows:
            row = rows[0]
            message = StoredMessage(
                id=mid,
                session_id=session_id,
                seq=row.seq,
                sender_id=AI_SENDER_ID,
                sender_type=SenderType.AI,
                content=content,
                is_read=False,
                read_at=None,
                meta=metadata,
                client_message_id=None,
                created_at=now,
            )
            messages.announce(message, SessionStatus(row.status).value, row.agent_id)
            return message
        _why_not_answered(session_id)
    raise TemporarilyUnavailable("The chat changed while the reply was stored; retry.")


def _why_not_answered(session_id: str) -> None:
    """The reply statement wrote nothing: raise why (this only explains; it never writes).
    Returns only if the rule allows the reply now (the session changed in between)."""
    try:
        session = find_session(session_id)  # unknown: 404
        if not rules.assistant_may_answer(session.status, session.agent_id):
            # A human took over (or the chat ended) while the reply was being written.
            raise Conflict(
                "The assistant no longer answers in this session.", code="ai_not_allowed"
            )
    finally:
        db.session.rollback()  # a read: the next statement must find no transaction open


def awaiting_reply(older_than: float, newer_than: float, limit: int = 500) -> list[str]:
    """Sessions the assistant owes an answer: its to answer (``rules.assistant_may_answer``),
    the last message a customer's, written between ``newer_than`` and ``older_than`` seconds
    ago (oldest first)."""
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
                sa.text(rules.assistant_may_answer_sql(ChatSession.__tablename__)),
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

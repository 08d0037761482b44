"""Chat messages: stored with a per-session sequence number, idempotent by client message id."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from livechat.ai.redaction import mask_cards
from livechat.errors import Conflict
from livechat.events import MessagePosted, MessagesRead, publish
from livechat.events.bus import publish_committed
from livechat.extensions import db
from livechat.models import (
    AI_SENDER_ID,
    SYSTEM_SENDER_ID,
    ChatMessage,
    ChatSession,
    SenderType,
    SessionStatus,
    utcnow,
)
from livechat.schemas.chat import MessageSchema
from livechat.services import fastpath
from livechat.services.access import Actor, access_session, find_session

_message_schema = MessageSchema()


def _find_by_client_id(session_id: str, client_message_id: str) -> ChatMessage | None:
    return db.session.scalars(
        sa.select(ChatMessage).where(
            ChatMessage.session_id == session_id,
            ChatMessage.client_message_id == client_message_id,
        )
    ).first()


def append_message(
    session: ChatSession,
    *,
    sender_id: str,
    sender_type: SenderType,
    content: str,
    metadata: dict[str, Any] | None,
    client_message_id: str | None = None,
) -> ChatMessage:
    """Add a message to a row-locked session and publish it; the caller commits."""
    now = utcnow()
    session.last_seq += 1
    session.updated_at = now
    message = ChatMessage(
        session_id=session.id,
        seq=session.last_seq,
        sender_id=sender_id,
        sender_type=sender_type,
        content=content,
        meta=metadata or {},
        client_message_id=client_message_id,
        is_read=False,
        created_at=now,
    )
    db.session.add(message)
    db.session.flush()
    publish(
        MessagePosted(
            session.id, _message_schema.dump(message), session.status.value, session.agent_id
        )
    )
    return message


def post_message(
    actor: Actor,
    session_id: str,
    content: str,
    *,
    client_message_id: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> tuple[ChatMessage | fastpath.StoredMessage, bool]:
    """Store a customer's or agent's message; returns (message, created).

    A retry with the same ``client_message_id`` returns the stored message and publishes nothing.
    """
    content = mask_cards(content)  # PCI: card numbers are never stored, whoever typed them
    if db.engine.dialect.name == "postgresql":
        stored = fastpath.try_post(
            actor.id, actor.role.is_staff, session_id, content, client_message_id, metadata or {}
        )
        if stored is not None:
            message, status, agent_id = stored
            # Already committed (one autocommit statement): announce it now.
            publish_committed(
                MessagePosted(session_id, _message_schema.dump(message), status, agent_id)
            )
            return message, True
    session = access_session(actor, session_id, lock=True)
    if client_message_id:
        existing = _find_by_client_id(session.id, client_message_id)
        if existing is not None:
            db.session.commit()
            return existing, False
    if session.status == SessionStatus.ENDED:
        raise Conflict("This chat session has ended.", code="session_ended")
    if actor.id == session.user_id:
        sender_type = SenderType.USER
    else:
        # Staff write into a customer's chat only once it is theirs.
        if session.agent_id != actor.id:
            raise Conflict("Assign this chat to yourself before replying.", code="not_assigned")
        sender_type = SenderType.AGENT
    try:
        message = append_message(
            session,
            sender_id=actor.id,
            sender_type=sender_type,
            content=content,
            metadata=metadata,
            client_message_id=client_message_id,
        )
        db.session.commit()
    except sa.exc.IntegrityError:
        # A concurrent retry of the same client message id won (possible without row locks).
        db.session.rollback()
        existing = _find_by_client_id(session_id, client_message_id) if client_message_id else None
        if existing is None:
            raise
        return existing, False
    return message, True


def post_service_message(
    session_id: str,
    content: str,
    *,
    sender_type: SenderType,
    metadata: dict[str, Any] | None = None,
    analysis: tuple[str, dict[str, Any]] | None = None,
) -> ChatMessage | fastpath.StoredMessage:
    """Store a message from the assistant (AI) or a system notice (SYSTEM).

    ``analysis`` = (customer message id, analysis), AI only: the turn's reading of that
    message, kept in its metadata and the session's together with the reply (in the reply's
    statement on PostgreSQL, else in its transaction); a refused reply keeps nothing."""
    sender_id = AI_SENDER_ID if sender_type == SenderType.AI else SYSTEM_SENDER_ID
    content = mask_cards(content)
    if sender_type == SenderType.AI and db.engine.dialect.name == "postgresql":
        stored = fastpath.post_assistant_reply(session_id, content, metadata or {}, analysis)
        if stored is not None:
            message, status, agent_id = stored
            publish_committed(
                MessagePosted(session_id, _message_schema.dump(message), status, agent_id)
            )
            return message
        # Not the assistant's to answer (any more): the general path below says why.
    session = find_session(session_id, lock=True)
    if sender_type == SenderType.AI and (
        session.status != SessionStatus.ACTIVE or session.agent_id is not None
    ):
        # A human took over (or the chat ended) while the reply was being written: drop it.
        raise Conflict("The assistant no longer answers in this session.", code="ai_not_allowed")
    message = append_message(
        session,
        sender_id=sender_id,
        sender_type=sender_type,
        content=content,
        metadata=metadata,
    )
    if analysis is not None:
        message_id, found = analysis
        analysed = db.session.get(ChatMessage, message_id)
        keep_analysis(
            session, analysed if analysed and analysed.session_id == session.id else None, found
        )
    db.session.commit()
    return message


def keep_analysis(
    session: ChatSession, message: ChatMessage | None, analysis: dict[str, Any]
) -> None:
    """The assistant's reading of a customer message, on the session and (if given) that
    message, for agents' sidebar; the caller commits."""
    session.meta = {**(session.meta or {}), "analysis": analysis}
    if message is not None:
        message.meta = {**(message.meta or {}), "analysis": analysis}


def list_messages(
    actor: Actor, session_id: str, *, after: int | None = None, limit: int = 50
) -> tuple[ChatSession, list[ChatMessage], bool]:
    """Messages in order: those after ``after`` (catch-up), else the latest ``limit``.

    The flag says whether more exist beyond the page (newer with ``after``, older without).
    """
    session = access_session(actor, session_id)
    items, more = page_messages(session, after=after, limit=limit)
    return session, items, more


def page_messages(
    session: ChatSession, *, after: int | None = None, limit: int = 50
) -> tuple[list[ChatMessage], bool]:
    """``list_messages`` for a session the caller has already authorised (and loaded)."""
    stmt = sa.select(ChatMessage).where(ChatMessage.session_id == session.id)
    if after is not None:
        rows = db.session.scalars(
            stmt.where(ChatMessage.seq > after).order_by(ChatMessage.seq.asc()).limit(limit + 1)
        ).all()
        return list(rows[:limit]), len(rows) > limit
    rows = db.session.scalars(stmt.order_by(ChatMessage.seq.desc()).limit(limit + 1)).all()
    return list(reversed(rows[:limit])), len(rows) > limit


MAX_READ_IDS = 500


def mark_read(
    actor: Actor,
    session_id: str,
    *,
    up_to_seq: int | None = None,
    message_ids: list[str] | None = None,
) -> tuple[list[str], Any]:
    """Mark the other side's messages read (read receipts); returns (ids newly read, read-at).

    Only the customer and the assigned agent produce receipts: another agent looking at a chat
    does not tell the customer their message was read.
    """
    session = access_session(actor, session_id)
    if actor.id not in (session.user_id, session.agent_id):
        db.session.commit()
        return [], None
    now = utcnow()
    # The customer reads what support wrote (agent, assistant, notices); the agent reads the
    # customer's messages only - the customer's unread state of the assistant's stays theirs.
    written_by_customer = ChatMessage.sender_type == SenderType.USER
    conditions = [
        ChatMessage.session_id == session.id,
        ~written_by_customer if actor.id == session.user_id else written_by_customer,
        ChatMessage.is_read.is_(False),
    ]
    if up_to_seq is not None:
        conditions.append(ChatMessage.seq <= up_to_seq)
    if message_ids is not None:
        conditions.append(ChatMessage.id.in_(message_ids[:MAX_READ_IDS]))
    rows = db.session.execute(
        sa.update(ChatMessage)
        .where(*conditions)
        .values(is_read=True, read_at=now)
        .returning(ChatMessage.id, ChatMessage.seq)
        .execution_options(synchronize_session=False)
    ).all()
    ids = [row.id for row in sorted(rows, key=lambda r: r.seq)]
    if ids:
        publish(MessagesRead(session.id, actor.id, ids, now.isoformat()))
    db.session.commit()
    return ids, now if ids else None

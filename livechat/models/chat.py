"""Chat aggregate: a session between a customer and support, and its ordered messages."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship

from livechat.extensions import Model
from livechat.models.types import JSONType, UTCDateTime, str_enum, utcnow
from livechat.models.user import User

AI_SENDER_ID = "AI_ASSISTANT"
SYSTEM_SENDER_ID = "SYSTEM"

# Full-text search (services/search.py, docs/api.md "Search"): the six languages the assistant
# speaks, then ``simple`` (names, ids, amounts, words no stemmer knows). Every message and note is
# indexed in all seven, because a message's language is not known when it is stored (agents' and
# the assistant's replies carry none; the assistant reads a customer's only after storing it).
SEARCH_CONFIGS = ("english", "spanish", "french", "german", "portuguese", "italian", "simple")


def search_vector_sql(column: str) -> str:
    """The generated ``tsvector`` of ``column``: its lexemes in every SEARCH_CONFIGS config."""
    return " || ".join(f"to_tsvector('{c}'::regconfig, {column})" for c in SEARCH_CONFIGS)


def new_id() -> str:
    return str(uuid.uuid4())


class SessionStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    WAITING = "WAITING"
    ENDED = "ENDED"


OPEN_STATUSES = (SessionStatus.ACTIVE, SessionStatus.WAITING)


class SessionOutcome(enum.StrEnum):
    """How an agent left a chat: its escalation tickets resolved, or kept for a follow-up."""

    RESOLVED = "resolved"
    FOLLOW_UP = "follow_up"


OUTCOME_NOTE_MAX = 1000

# The sessions list (the Conversations view) counts matching chats up to this many; past it the
# total is this and not exact ("10,000+", ``totalExact: false``), as large help desks show it:
# an exact count of a year's history grows with the history on every page view
# (docs/performance-large-data.md). Page numbers reach this many chats; a cursor reads on.
SESSIONS_TOTAL_CAP = 10_000


class SenderType(enum.StrEnum):
    USER = "USER"
    AGENT = "AGENT"
    AI = "AI"
    SYSTEM = "SYSTEM"


class ChatSession(Model):
    __tablename__ = "chat_sessions"
    __table_args__ = (
        # At most one open session per user, enforced by the database (a partial unique index).
        sa.Index(
            "uq_chat_sessions_one_open_per_user",
            "user_id",
            unique=True,
            postgresql_where=sa.text("status IN ('ACTIVE', 'WAITING')"),
        ),
        sa.Index("ix_chat_sessions_status_waiting_since", "status", "waiting_since"),
        # The Conversations list's order (newest first, then id): deep pages skip inside the
        # index, and a cursor bounds it (services/paging.py).
        sa.Index("ix_chat_sessions_created_at_id", "created_at", "id"),
        # The stats' "ended today" (services/stats.py): a range, not a scan of every ended chat.
        sa.Index("ix_chat_sessions_status_ended_at", "status", "ended_at"),
        # The Conversations list filtered by escalation priority, newest first
        # (services/history.py): the filter and the order in one index.
        sa.Index(
            "ix_chat_sessions_escalation_priority_created_at",
            sa.text("(((metadata -> 'escalation') ->> 'priority'))"),
            "created_at",
        ),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("users.id"), index=True)
    agent_id: Mapped[str | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    status: Mapped[SessionStatus] = mapped_column(
        str_enum(SessionStatus, "session_status"), default=SessionStatus.ACTIVE
    )
    subject: Mapped[str | None] = mapped_column(sa.String(200))
    # "metadata" is reserved on declarative classes, hence the attribute name.
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    # The last hand-over between agents (or back to the queue), with its note: for staff only,
    # so it is kept out of ``meta``, which customers read (schemas/chat.py StaffSessionSchema).
    transfer: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # Highest message sequence number handed out in this session (allocated atomically).
    last_seq: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The queue position last announced to the customer (queue:position): only changes are sent.
    queue_position: Mapped[int | None] = mapped_column(sa.Integer)
    # When the chat waited past SLA_FIRST_RESPONSE_SECONDS; set once, by the one process that
    # announces the breach.
    sla_breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when an agent ends the chat (a customer's own end records none); staff-only on the wire.
    outcome: Mapped[SessionOutcome | None] = mapped_column(
        str_enum(SessionOutcome, "session_outcome")
    )
    outcome_note: Mapped[str | None] = mapped_column(sa.String(OUTCOME_NOTE_MAX))

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    agent: Mapped[User | None] = relationship(foreign_keys=[agent_id], lazy="joined")

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def __repr__(self) -> str:
        return f"<ChatSession {self.id} {self.status}>"


def escalation_field(name: str) -> sa.ColumnElement[str]:
    """``metadata -> 'escalation' ->> name`` on chat_sessions, the keys inline (not bound
    parameters, not subscripts), as ix_chat_sessions_escalation_priority_created_at spells it:
    only that exact expression lets the planner use the index, in custom and generic plans."""
    if not name.isidentifier():
        raise ValueError(f"not an escalation field: {name!r}")
    return ChatSession.meta.op("->")(sa.text("'escalation'")).op("->>", return_type=sa.Text)(
        sa.text(f"'{name}'")
    )


class ChatMessage(Model):
    __tablename__ = "chat_messages"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "seq", name="uq_chat_messages_session_seq"),
        # Idempotent retries: a client message id is stored once per session.
        sa.UniqueConstraint(
            "session_id", "client_message_id", name="uq_chat_messages_session_client_message_id"
        ),
        sa.Index("ix_chat_messages_search_vector", "search_vector", postgresql_using="gin"),
        # Search results and history newest first: a backward scan for frequent words.
        sa.Index("ix_chat_messages_created_at", "created_at"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    session_id: Mapped[str] = mapped_column(sa.ForeignKey("chat_sessions.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(sa.Integer)
    sender_id: Mapped[str] = mapped_column(sa.String(128), index=True)
    sender_type: Mapped[SenderType] = mapped_column(str_enum(SenderType, "sender_type"))
    content: Mapped[str] = mapped_column(sa.Text)
    is_read: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    client_message_id: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Written by PostgreSQL from ``content`` (an erasure's redaction re-indexes it too).
    search_vector: Mapped[Any] = mapped_column(
        TSVECTOR, sa.Computed(search_vector_sql("content"), persisted=True), deferred=True
    )

    def __repr__(self) -> str:
        return f"<ChatMessage {self.session_id}#{self.seq} {self.sender_type}>"


class ChatNote(Model):
    """An internal note: staff write it in a chat for staff. Kept apart from ChatMessage so
    nothing that reads messages (the customer's history, catch-up by ``seq``, the assistant's
    prompt, the idle and SLA clocks) can ever see one, and so a note takes no ``seq``: it
    records ``after_seq`` (the last message it follows) and has its own ``note_seq``, gap-free
    per session, for agents' catch-up (docs/protocol.md, "Internal notes")."""

    __tablename__ = "chat_notes"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "note_seq", name="uq_chat_notes_session_note_seq"),
        sa.UniqueConstraint(
            "session_id", "client_message_id", name="uq_chat_notes_session_client_message_id"
        ),
        sa.Index("ix_chat_notes_search_vector", "search_vector", postgresql_using="gin"),
        sa.Index("ix_chat_notes_created_at", "created_at"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    session_id: Mapped[str] = mapped_column(sa.ForeignKey("chat_sessions.id", ondelete="CASCADE"))
    note_seq: Mapped[int] = mapped_column(sa.Integer)
    after_seq: Mapped[int] = mapped_column(sa.Integer)
    # Not a foreign key, like ChatMessage.sender_id: the trail of who wrote it outlives users.
    author_id: Mapped[str] = mapped_column(sa.String(128), index=True)
    content: Mapped[str] = mapped_column(sa.Text)
    client_message_id: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    search_vector: Mapped[Any] = mapped_column(
        TSVECTOR, sa.Computed(search_vector_sql("content"), persisted=True), deferred=True
    )

    author: Mapped[User | None] = relationship(
        primaryjoin="foreign(ChatNote.author_id) == User.id", lazy="joined", viewonly=True
    )

    def __repr__(self) -> str:
        return f"<ChatNote {self.session_id}~{self.note_seq} after #{self.after_seq}>"

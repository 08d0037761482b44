"""Wire shapes of users, chat sessions and messages."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import sqlalchemy as sa
from marshmallow import fields, validate

from livechat.models import (
    OUTCOME_NOTE_MAX,
    SESSIONS_TOTAL_CAP,
    Role,
    SessionOutcome,
    SessionStatus,
    TicketPriority,
)
from livechat.schemas.base import (
    SEQ_RANGE,
    CamelSchema,
    JsonObject,
    MessageContent,
    PageQuerySchema,
    QuerySchema,
)
from livechat.schemas.tickets import TicketSchema

CLIENT_MESSAGE_ID = fields.String(validate=validate.Length(min=1, max=64), allow_none=True)


class UserBriefSchema(CamelSchema):
    id = fields.String()
    display_name = fields.String(allow_none=True)
    role = fields.Enum(Role, by_value=True)


class AgentOnlineSchema(UserBriefSchema):
    """An agent in queue:updated's agentsOnline."""

    status = fields.String(metadata={"enum": ["available", "away", "offline"]})
    open_chats = fields.Integer()


class UserSchema(UserBriefSchema):
    email = fields.String(allow_none=True)
    profile = fields.Dict()
    created_at = fields.DateTime()
    last_seen_at = fields.DateTime()


class MessageSchema(CamelSchema):
    id = fields.String()
    session_id = fields.String()
    seq = fields.Integer()
    sender_id = fields.String()
    sender_type = fields.String()
    content = fields.String()
    is_read = fields.Boolean()
    read_at = fields.DateTime(allow_none=True)
    metadata = fields.Dict(attribute="meta")
    client_message_id = fields.String(allow_none=True)
    created_at = fields.DateTime()

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Only the plain schema takes the direct path; a field selection goes the generic way.
        self._direct = not (self.only or self.exclude or self.load_only)

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        """The fields above read straight off the message: every stored message is dumped for
        its broadcast and for its ack, and the generic walk cost more than the rest of the send
        path's Python. Same output as the generic dump (tests/test_schema_fast_paths.py)."""
        if not self._direct:
            return super().dump(obj, many=many)
        if self.many if many is None else many:
            return [_message_dict(m) for m in obj]
        return _message_dict(obj)


def _message_dict(m: Any) -> dict[str, Any]:
    """MessageSchema's fields of ``m`` (a ChatMessage or a StoredMessage), as its fields dump
    them: strings as str, None kept, datetimes in ISO 8601, metadata copied."""
    read_at, created_at, meta = m.read_at, m.created_at, m.meta
    return {
        "id": _text(m.id),
        "sessionId": _text(m.session_id),
        "seq": None if m.seq is None else int(m.seq),
        "senderId": _text(m.sender_id),
        "senderType": _text(m.sender_type),
        "content": _text(m.content),
        "isRead": None if m.is_read is None else bool(m.is_read),
        "readAt": None if read_at is None else read_at.isoformat(),
        "metadata": None if meta is None else dict(meta),
        "clientMessageId": _text(m.client_message_id),
        "createdAt": None if created_at is None else created_at.isoformat(),
    }


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def message_json_sql(m: Any) -> sa.ColumnElement[Any]:
    """``_message_dict`` built by PostgreSQL, for ``m`` (``chat_messages``' columns): the same
    keys in the same order, the same values. A join's history is dumped by the database in the
    statement that reads it (services/messages.read_for_join): per message, ~15 µs of the web
    process's Python became a few µs of the database's C. Kept equal to MessageSchema's dump
    by tests/services/test_join_read.py."""
    return sa.func.json_build_object(
        "id", m.id,
        "sessionId", m.session_id,
        "seq", m.seq,
        "senderId", m.sender_id,
        "senderType", m.sender_type,
        "content", m.content,
        "isRead", m.is_read,
        "readAt", _isoformat_sql(m.read_at),
        "metadata", m.metadata,
        "clientMessageId", m.client_message_id,
        "createdAt", _isoformat_sql(m.created_at),
    )  # fmt: skip


def note_json_sql(n: Any, author: Any) -> sa.ColumnElement[Any]:
    """NoteSchema's dump built by PostgreSQL, for ``n`` (``chat_notes``' columns) and
    ``author`` (its author's ``users`` row, outer-joined): see ``message_json_sql``."""
    brief = sa.case(
        (author.id.is_(None), sa.null()),
        else_=sa.func.json_build_object(
            "id", author.id, "displayName", author.display_name, "role", author.role
        ),
    )  # fmt: skip
    return sa.func.json_build_object(
        "id", n.id,
        "sessionId", n.session_id,
        "noteSeq", n.note_seq,
        "afterSeq", n.after_seq,
        "authorId", n.author_id,
        "author", brief,
        "content", n.content,
        "clientMessageId", n.client_message_id,
        "createdAt", _isoformat_sql(n.created_at),
        "internal", sa.true(),
    )  # fmt: skip


def _isoformat_sql(column: Any) -> sa.ColumnElement[Any]:
    """``datetime.isoformat()`` of a UTC timestamp, in SQL: ``2026-12-07T23:24:01.611077+00:00``,
    the fraction left out when it is zero, as Python does (NULL stays NULL)."""
    utc = sa.func.timezone("UTC", column)
    text = sa.func.to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')
    return sa.func.replace(text, ".000000+", "+")


class NoteSchema(CamelSchema):
    """An internal note, as agents and admins get it (never customers: docs/protocol.md)."""

    id = fields.String()
    session_id = fields.String()
    note_seq = fields.Integer(
        metadata={"description": "1, 2, 3... per session, for agents' catch-up (afterNoteSeq)"}
    )
    after_seq = fields.Integer(
        metadata={"description": "The seq of the last message before the note (0: none)"}
    )
    author_id = fields.String()
    author = fields.Nested(UserBriefSchema, allow_none=True)
    content = fields.String()
    client_message_id = fields.String(allow_none=True)
    created_at = fields.DateTime()
    internal = fields.Constant(True, metadata={"description": "Always true: staff only"})


class SessionSchema(CamelSchema):
    id = fields.String()
    user_id = fields.String()
    customer = fields.Nested(UserBriefSchema, attribute="user")
    agent_id = fields.String(allow_none=True)
    agent = fields.Nested(UserBriefSchema, allow_none=True)
    status = fields.Enum(SessionStatus, by_value=True)
    subject = fields.String(allow_none=True)
    metadata = fields.Dict(attribute="meta")
    last_seq = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    waiting_since = fields.DateTime(allow_none=True)
    assigned_at = fields.DateTime(allow_none=True)
    ended_at = fields.DateTime(allow_none=True)


class TransferSchema(CamelSchema):
    """session.transfer, stored with wire (camelCase) keys: the chat's last hand-over."""

    from_agent_id = fields.String(allow_none=True, attribute="fromAgentId")
    to_agent_id = fields.String(
        allow_none=True,
        attribute="toAgentId",
        metadata={"description": "The agent who has the chat now; null: back to the queue"},
    )
    note = fields.String(allow_none=True, metadata={"description": "For agents only"})
    by = fields.String()
    at = fields.String()


class StaffSessionSchema(SessionSchema):
    """A session as agents and admins see it: how the agent who ended it left it, and the last
    transfer with its note. Customers never get these (never use it for what reaches a chat's
    room or a customer)."""

    outcome = fields.Enum(
        SessionOutcome,
        by_value=True,
        allow_none=True,
        metadata={"description": "Set when an agent ended the chat; null otherwise"},
    )
    outcome_note = fields.String(allow_none=True)
    transfer = fields.Nested(TransferSchema, allow_none=True)


def session_schema_for(role: Role) -> SessionSchema:
    """The session's wire shape for a reader of ``role`` (staff see the outcome)."""
    return _STAFF_SESSION if role.is_staff else _SESSION


_SESSION = SessionSchema()
_STAFF_SESSION = StaffSessionSchema()


class SessionWithMessagesSchema(SessionSchema):
    messages = fields.List(fields.Nested(MessageSchema))


class SessionDetailSchema(CamelSchema):
    session = fields.Nested(StaffSessionSchema)
    messages = fields.List(fields.Nested(MessageSchema))
    notes = fields.List(
        fields.Nested(NoteSchema), metadata={"description": "Internal notes, by noteSeq"}
    )
    customer = fields.Nested(UserSchema)
    tickets = fields.List(fields.Nested(TicketSchema))


class SessionPageSchema(CamelSchema):
    """A page of sessions as their customer sees them (no outcome, no transfer note)."""

    items = fields.List(fields.Nested(SessionSchema))
    page = fields.Integer()
    page_size = fields.Integer()
    total = fields.Integer()


class EscalationSchema(CamelSchema):
    """session.metadata["escalation"], which is stored with wire (camelCase) keys."""

    reason = fields.String(allow_none=True)
    priority = fields.String(allow_none=True)
    rule = fields.String(allow_none=True)
    intent = fields.String(allow_none=True)
    sentiment = fields.Dict(allow_none=True)
    ticket_id = fields.String(allow_none=True, attribute="ticketId")
    queue_position = fields.Integer(allow_none=True, attribute="queuePosition")
    summary = fields.String(allow_none=True)
    at = fields.String(allow_none=True)
    by = fields.String(allow_none=True)


class QueueItemSchema(StaffSessionSchema):
    position = fields.Integer(metadata={"description": "1-based place in queue order"})
    priority = fields.String(metadata={"description": "URGENT, HIGH, MEDIUM or LOW"})
    wait_seconds = fields.Integer()
    sla_breached_at = fields.DateTime(
        allow_none=True,
        metadata={"description": "When it waited past SLA_FIRST_RESPONSE_SECONDS, else null"},
    )
    escalation = fields.Nested(EscalationSchema, allow_none=True)


class QueueSchema(CamelSchema):
    items = fields.List(fields.Nested(QueueItemSchema))
    total = fields.Integer(metadata={"description": "Every waiting chat, listed or not"})


class QueueQuerySchema(QuerySchema):
    limit = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1, max=1000),
        metadata={"description": "How many of the first waiting chats to list (default 100)"},
    )


class StaffSessionPageSchema(SessionPageSchema):
    """A page of sessions as agents see them."""

    items = fields.List(fields.Nested(StaffSessionSchema))
    page = fields.Integer(
        allow_none=True, metadata={"description": "The page number; null for a cursor's page"}
    )
    total = fields.Integer(
        metadata={
            "description": f"Matching sessions, counted up to {SESSIONS_TOTAL_CAP:,}: when more "
            f"match, {SESSIONS_TOTAL_CAP:,} with totalExact false (show it as "
            f"{SESSIONS_TOTAL_CAP:,}+)"
        }
    )
    total_exact = fields.Boolean(
        metadata={
            "description": f"Whether total is the exact count: false when more than "
            f"{SESSIONS_TOTAL_CAP:,} match"
        }
    )
    next_cursor = fields.String(
        allow_none=True,
        metadata={
            "description": "The cursor of the chats after this page (pass it as cursor), "
            "null on the last page"
        },
    )


class MessageListSchema(CamelSchema):
    session_id = fields.String()
    items = fields.List(fields.Nested(MessageSchema))
    last_seq = fields.Integer()
    has_more = fields.Boolean()


class NoteListSchema(CamelSchema):
    session_id = fields.String()
    items = fields.List(fields.Nested(NoteSchema))
    has_more = fields.Boolean()


# ---- input -------------------------------------------------------------------------------


class CreateSessionSchema(CamelSchema):
    subject = fields.String(validate=validate.Length(min=1, max=200), allow_none=True)
    metadata = JsonObject(load_default=dict)


class MessagesQuerySchema(QuerySchema):
    after = fields.Integer(load_default=None, validate=SEQ_RANGE)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class SessionsQuerySchema(PageQuerySchema):
    """The Conversations filters (services/history.py); search takes them too."""

    status = fields.Enum(SessionStatus, by_value=True, load_default=None)
    agent_id = fields.String(load_default=None, validate=validate.Length(min=1, max=128))
    user_id = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=128),
        metadata={"description": "The customer"},
    )
    priority = fields.String(
        load_default=None,
        validate=validate.OneOf([p.value for p in TicketPriority]),
        metadata={"description": "The chat's escalation priority"},
    )
    rule = fields.String(
        load_default=None,
        validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,63}$", error="Not a rule code."),
        metadata={"description": "The escalation rule that sent the chat to a human"},
    )
    created_from = fields.AwareDateTime(
        data_key="from",
        default_timezone=UTC,
        load_default=None,
        metadata={"description": "Chats started at or after (ISO 8601; UTC if no offset)"},
    )
    created_to = fields.AwareDateTime(
        data_key="to",
        default_timezone=UTC,
        load_default=None,
        metadata={"description": "Chats started before (ISO 8601; UTC if no offset)"},
    )


class SessionListQuerySchema(SessionsQuerySchema):
    """The Conversations list: the filters, a page number or a cursor."""

    page = fields.Integer(
        load_default=1,
        validate=validate.Range(min=1, max=100_000),
        metadata={
            "description": f"Pages reach the first {SESSIONS_TOTAL_CAP:,} matching chats "
            "(400 page_too_deep past them): read on with cursor"
        },
    )
    cursor = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=200),
        metadata={
            "description": "A page's nextCursor: the chats after that page, at any depth "
            "(400 bad_cursor if it is not one; 400 cursor_with_page with a page past 1)"
        },
    )


class AssignSchema(CamelSchema):
    agent_id = fields.String(validate=validate.Length(min=1, max=128), load_default=None)


class EndSessionSchema(CamelSchema):
    """How an agent ends a chat; a customer sends neither field."""

    outcome = fields.Enum(
        SessionOutcome,
        by_value=True,
        load_default=None,
        metadata={"description": "resolved (default for agents) or follow_up"},
    )
    note = fields.String(load_default=None, validate=validate.Length(max=OUTCOME_NOTE_MAX))


TRANSFER_NOTE_MAX = 1000


class TransferRequestSchema(CamelSchema):
    """Hand a chat over: to ``agentId``, or back to the queue without one."""

    agent_id = fields.String(
        validate=validate.Length(min=1, max=128),
        load_default=None,
        allow_none=True,
        metadata={"description": "The agent who takes the chat; absent or null: the queue"},
    )
    note = fields.String(
        validate=validate.Length(max=TRANSFER_NOTE_MAX),
        load_default=None,
        allow_none=True,
        metadata={"description": "For agents only; the customer never sees it"},
    )


class PostMessageSchema(CamelSchema):
    content = MessageContent(required=True)
    client_message_id = CLIENT_MESSAGE_ID
    metadata = JsonObject(load_default=dict)


class PostNoteSchema(CamelSchema):
    content = MessageContent(required=True)
    client_message_id = CLIENT_MESSAGE_ID


class NotesQuerySchema(QuerySchema):
    after = fields.Integer(
        load_default=None,
        validate=SEQ_RANGE,
        metadata={"description": "Only notes with a higher noteSeq (catch-up)"},
    )
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=500))


class LiveFiguresSchema(CamelSchema):
    waiting_now = fields.Integer()
    median_wait_seconds = fields.Integer()
    longest_wait_seconds = fields.Integer()
    chats_today = fields.Integer()
    ended_today = fields.Integer()
    ai_resolved_share = fields.Float(allow_none=True)
    as_of = fields.DateTime()


class AuditEventSchema(CamelSchema):
    id = fields.Integer()
    at = fields.DateTime()
    actor_id = fields.String()
    action = fields.String()
    session_id = fields.String(allow_none=True)
    subject_user_id = fields.String(allow_none=True)
    details = fields.Dict()


class AuditPageSchema(CamelSchema):
    items = fields.List(fields.Nested(AuditEventSchema))
    page = fields.Integer()
    page_size = fields.Integer()
    total = fields.Integer()


class AuditQuerySchema(PageQuerySchema):
    session_id = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    actor_id = fields.String(load_default=None, validate=validate.Length(min=1, max=128))
    user_id = fields.String(load_default=None, validate=validate.Length(min=1, max=128))


class RequestHumanSchema(CamelSchema):
    """The answer to "Talk to a person" (REST request-human, the session:request_human ack)."""

    session = fields.Nested(SessionSchema)
    # The ticket the request opened; null when nothing changed (already_waiting).
    ticket = fields.Nested(TicketSchema, allow_none=True)
    already_waiting = fields.Boolean(
        metadata={"description": "People already had the chat (WAITING, or an agent): no change"}
    )

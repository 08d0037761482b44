"""Typed SQLAlchemy models, one module per aggregate."""

from livechat.models.audit import AuditEvent
from livechat.models.canned import CannedResponse, CannedScope
from livechat.models.chat import (
    AI_SENDER_ID,
    OPEN_STATUSES,
    OUTCOME_NOTE_MAX,
    SEARCH_CONFIGS,
    SESSIONS_TOTAL_CAP,
    SYSTEM_SENDER_ID,
    ChatMessage,
    ChatNote,
    ChatSession,
    SenderType,
    SessionOutcome,
    SessionStatus,
)
from livechat.models.settings import NotificationSettings
from livechat.models.team import TeamMember
from livechat.models.ticket import (
    Ticket,
    TicketPriority,
    TicketStatus,
)
from livechat.models.types import utcnow
from livechat.models.user import Role, User

__all__ = [
    "AI_SENDER_ID",
    "OPEN_STATUSES",
    "OUTCOME_NOTE_MAX",
    "SEARCH_CONFIGS",
    "SESSIONS_TOTAL_CAP",
    "SYSTEM_SENDER_ID",
    "AuditEvent",
    "CannedResponse",
    "CannedScope",
    "ChatMessage",
    "ChatNote",
    "ChatSession",
    "NotificationSettings",
    "Role",
    "SenderType",
    "SessionOutcome",
    "SessionStatus",
    "TeamMember",
    "Ticket",
    "TicketPriority",
    "TicketStatus",
    "User",
    "utcnow",
]

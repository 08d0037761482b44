"""Past-tense domain events, delivered to listeners only after the transaction commits."""

from livechat.events.bus import EventBus, publish
from livechat.events.types import (
    DomainEvent,
    MessagePosted,
    MessagesRead,
    NotePosted,
    NotificationSettingsChanged,
    SessionAssigned,
    SessionCreated,
    SessionEnded,
    SessionEscalated,
    SessionRequeued,
    SessionSlaBreached,
    SessionTransferred,
    TeamMemberRemoved,
    TeamMemberRoleChanged,
    TicketOpened,
    TicketUpdated,
)

__all__ = [
    "DomainEvent",
    "EventBus",
    "MessagePosted",
    "MessagesRead",
    "NotePosted",
    "NotificationSettingsChanged",
    "SessionAssigned",
    "SessionCreated",
    "SessionEnded",
    "SessionEscalated",
    "SessionRequeued",
    "SessionSlaBreached",
    "SessionTransferred",
    "TeamMemberRemoved",
    "TeamMemberRoleChanged",
    "TicketOpened",
    "TicketUpdated",
    "publish",
]

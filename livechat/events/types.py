"""Domain event types: ids plus the ready-to-send payloads (dumped before commit)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class DomainEvent:
    """Base class; every event names the chat session it concerns (or None: a ticket may have
    none). The session events below narrow it to ``str``."""

    session_id: str | None


@dataclass(frozen=True)
class SessionCreated(DomainEvent):
    session_id: str
    session: dict[str, Any]


@dataclass(frozen=True)
class MessagePosted(DomainEvent):
    session_id: str
    message: dict[str, Any]
    session_status: str
    agent_id: str | None


@dataclass(frozen=True)
class NotePosted(DomainEvent):
    """An internal note: for the staff watching the chat only, never its room as a whole."""

    session_id: str
    note: dict[str, Any]


@dataclass(frozen=True)
class SessionAssigned(DomainEvent):
    """The chat is ``agent_id``'s now (taken, given by an admin or routed); ``by`` made the
    change (``SYSTEM``: the router). ``staff_session`` is the form agents read."""

    session_id: str
    session: dict[str, Any]
    agent_id: str
    previous_status: str
    by: str = ""
    previous_agent_id: str | None = None
    staff_session: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SessionTransferred(DomainEvent):
    """An agent handed the chat to another agent, or back to the queue (``to_agent_id`` None).

    ``session`` is the form the chat's room (its customer) may see; ``staff_session`` adds the
    transfer and its note, for agents only."""

    session_id: str
    session: dict[str, Any]
    staff_session: dict[str, Any]
    from_agent_id: str
    to_agent_id: str | None


@dataclass(frozen=True)
class SessionEscalated(DomainEvent):
    session_id: str
    session: dict[str, Any]
    reason: str
    ticket: dict[str, Any] | None = None
    rule: str | None = None


@dataclass(frozen=True)
class SessionRequeued(DomainEvent):
    """An agent's open chat went back to the queue (the agent went offline)."""

    session_id: str
    session: dict[str, Any]
    agent_id: str
    reason: str


@dataclass(frozen=True)
class SessionEnded(DomainEvent):
    session_id: str
    session: dict[str, Any]
    ended_by: str


@dataclass(frozen=True)
class SessionSlaBreached(DomainEvent):
    """A waiting chat passed SLA_FIRST_RESPONSE_SECONDS with no agent message (once a chat)."""

    session_id: str
    user_id: str
    wait_seconds: int
    priority: str


@dataclass(frozen=True)
class TicketOpened(DomainEvent):
    ticket: dict[str, Any]


@dataclass(frozen=True)
class TicketUpdated(DomainEvent):
    ticket: dict[str, Any]
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MessagesRead(DomainEvent):
    session_id: str
    reader_id: str
    message_ids: list[str]
    read_at: str


@dataclass(frozen=True)
class NotificationSettingsChanged(DomainEvent):
    """A staff member saved their notification settings (``settings``: all of them, dumped)."""

    user_id: str
    settings: dict[str, Any]


@dataclass(frozen=True)
class TeamMemberRemoved(DomainEvent):
    """Someone was taken off the support team: their open sockets are ended (every process),
    each told why with ``error`` (the ready-to-send {code, message})."""

    user_id: str
    error: dict[str, Any]


@dataclass(frozen=True)
class TeamMemberRoleChanged(DomainEvent):
    """A team member's role changed: their sockets, signed in with the old role, are ended."""

    user_id: str
    role: str
    error: dict[str, Any]

"""Domain event types: ids plus the ready-to-send payloads (dumped before commit)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class DomainEvent:
    """Base class; every event names the chat session it concerns (or None)."""

    session_id: str | None


@dataclass(frozen=True)
class SessionCreated(DomainEvent):
    session: dict[str, Any]


@dataclass(frozen=True)
class MessagePosted(DomainEvent):
    message: dict[str, Any]
    session_status: str
    agent_id: str | None


@dataclass(frozen=True)
class SessionAssigned(DomainEvent):
    session: dict[str, Any]
    agent_id: str
    previous_status: str


@dataclass(frozen=True)
class SessionEscalated(DomainEvent):
    session: dict[str, Any]
    reason: str
    ticket: dict[str, Any] | None = None
    rule: str | None = None


@dataclass(frozen=True)
class SessionEnded(DomainEvent):
    session: dict[str, Any]
    ended_by: str


@dataclass(frozen=True)
class TicketOpened(DomainEvent):
    ticket: dict[str, Any]


@dataclass(frozen=True)
class TicketUpdated(DomainEvent):
    ticket: dict[str, Any]
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MessagesRead(DomainEvent):
    reader_id: str
    message_ids: list[str]
    read_at: str

"""Support tickets: opened by escalations or agents, worked through a small state machine."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from livechat.errors import Conflict, InvalidInput, NotFound
from livechat.events import TicketOpened, TicketUpdated, publish
from livechat.extensions import db
from livechat.models import (
    ChatSession,
    SessionOutcome,
    Ticket,
    TicketPriority,
    TicketStatus,
    User,
    utcnow,
)
from livechat.schemas.tickets import TicketSchema
from livechat.services import audit, rules
from livechat.services.access import Actor, require_staff
from livechat.services.paging import page_of_rows

_ticket_schema = TicketSchema()

# Allowed status changes; CLOSED is final (reopen a RESOLVED ticket instead).
TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    TicketStatus.OPEN: frozenset(
        {TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED, TicketStatus.CLOSED}
    ),
    TicketStatus.IN_PROGRESS: frozenset(
        {TicketStatus.OPEN, TicketStatus.RESOLVED, TicketStatus.CLOSED}
    ),
    TicketStatus.RESOLVED: frozenset(
        {TicketStatus.OPEN, TicketStatus.IN_PROGRESS, TicketStatus.CLOSED}
    ),
    TicketStatus.CLOSED: frozenset(),
}

_UNSET: Any = object()

# The category of the tickets escalations open: what ending the chat settles.
ESCALATION_CATEGORY = "chat_escalation"


def _staff_user(user_id: str) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(f"User {user_id} not found.", code="user_not_found")
    if not user.role.is_staff:
        raise InvalidInput(f"User {user_id} is not a support agent.", code="not_an_agent")
    return user


def open_ticket(
    actor: Actor,
    *,
    user_id: str,
    subject: str,
    description: str = "",
    priority: TicketPriority = TicketPriority.MEDIUM,
    category: str | None = None,
    session_id: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> Ticket:
    """An agent opens a ticket for a customer (optionally linked to one of their chats)."""
    require_staff(actor)
    if db.session.get(User, user_id) is None:
        raise NotFound(f"User {user_id} not found.", code="user_not_found")
    if session_id is not None:
        session = db.session.get(ChatSession, session_id)
        if session is None or session.user_id != user_id:
            raise InvalidInput(
                "sessionId must name a chat session of that customer.", code="invalid_session"
            )
    now = utcnow()
    ticket = Ticket(
        user_id=user_id,
        session_id=session_id,
        subject=subject,
        description=description,
        priority=priority,
        status=TicketStatus.OPEN,
        category=category,
        created_by=actor.id,
        meta=metadata or {},
        created_at=now,
        updated_at=now,
    )
    db.session.add(ticket)
    db.session.flush()
    publish(TicketOpened(session_id, _ticket_schema.dump(ticket)))
    db.session.commit()
    return ticket


def list_tickets(
    actor: Actor,
    *,
    status: TicketStatus | None = None,
    priority: TicketPriority | None = None,
    user_id: str | None = None,
    page: int = 1,
    page_size: int = 20,
) -> tuple[list[Ticket], int]:
    require_staff(actor)
    filters = []
    if status is not None:
        filters.append(Ticket.status == status)
    if priority is not None:
        filters.append(Ticket.priority == priority)
    if user_id is not None:
        filters.append(Ticket.user_id == user_id)
    return page_of_rows(
        sa.select(Ticket).where(*filters),
        Ticket.created_at.desc(),
        Ticket.id.desc(),
        page=page,
        page_size=page_size,
    )


def get_ticket(actor: Actor, ticket_id: str, *, lock: bool = False) -> Ticket:
    require_staff(actor)
    stmt = sa.select(Ticket).where(Ticket.id == ticket_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    ticket = db.session.scalars(stmt).first()
    if ticket is None:
        raise NotFound(f"Ticket {ticket_id} not found.", code="ticket_not_found")
    return ticket


def ticket_with_session(actor: Actor, ticket_id: str) -> tuple[Ticket, ChatSession | None]:
    ticket = get_ticket(actor, ticket_id)
    audit.record(
        actor.id,
        "ticket.viewed",
        session_id=ticket.session_id,
        subject_user_id=ticket.user_id,
        details={"ticketId": ticket.id},
    )
    db.session.commit()
    session = db.session.get(ChatSession, ticket.session_id) if ticket.session_id else None
    return ticket, session


def update_ticket(
    actor: Actor,
    ticket_id: str,
    *,
    status: TicketStatus | None = None,
    priority: TicketPriority | None = None,
    assignee_id: str | None = _UNSET,
) -> Ticket:
    """Change status (within TRANSITIONS), priority or assignee; 409 on a forbidden transition."""
    ticket = get_ticket(actor, ticket_id, lock=True)
    changes: dict[str, Any] = {}
    if status is not None and status != ticket.status:
        if status not in TRANSITIONS[ticket.status]:
            raise Conflict(
                f"A {ticket.status.value} ticket cannot become {status.value}.",
                code="invalid_transition",
            )
        _set_status(ticket, status, changes)
    elif ticket.status == TicketStatus.CLOSED and (
        priority is not None or assignee_id is not _UNSET
    ):
        raise Conflict("A CLOSED ticket cannot be changed.", code="ticket_closed")
    if priority is not None and priority != ticket.priority:
        changes["priority"] = [ticket.priority.value, priority.value]
        ticket.priority = priority
    if assignee_id is not _UNSET and assignee_id != ticket.assignee_id:
        if assignee_id is not None:
            _staff_user(assignee_id)
        changes["assigneeId"] = [ticket.assignee_id, assignee_id]
        ticket.assignee_id = assignee_id
    if changes:
        ticket.updated_at = utcnow()
        db.session.flush()
        publish(TicketUpdated(ticket.session_id, _ticket_schema.dump(ticket), changes))
    db.session.commit()
    return ticket


def _set_status(ticket: Ticket, status: TicketStatus, changes: dict[str, Any]) -> None:
    changes["status"] = [ticket.status.value, status.value]
    ticket.status = status
    if status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        ticket.resolved_at = ticket.resolved_at or utcnow()
    else:
        ticket.resolved_at = None


def settle_escalation_tickets(
    actor_id: str | None, session_id: str, outcome: SessionOutcome
) -> list[str]:
    """Apply an end-of-chat ``outcome`` to the unresolved tickets this chat's escalations
    opened: ``resolved`` resolves them, ``follow_up`` assigns them to ``actor_id`` (None: they
    keep their assignee, e.g. an idle close of a chat no agent had).
    The caller (ending the chat) holds the session's lock and commits; returns the ticket ids."""
    found = db.session.scalars(
        sa.select(Ticket)
        .where(
            Ticket.session_id == session_id,
            Ticket.category == ESCALATION_CATEGORY,
            sa.text(rules.ticket_unresolved_sql(Ticket.__tablename__)),
        )
        .order_by(Ticket.created_at, Ticket.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    now = utcnow()
    for ticket in found:
        changes: dict[str, Any] = {}
        if outcome == SessionOutcome.RESOLVED:
            _set_status(ticket, TicketStatus.RESOLVED, changes)
        elif actor_id is not None and ticket.assignee_id != actor_id:
            changes["assigneeId"] = [ticket.assignee_id, actor_id]
            ticket.assignee_id = actor_id
        if changes:
            ticket.updated_at = now
            db.session.flush()
            publish(TicketUpdated(ticket.session_id, _ticket_schema.dump(ticket), changes))
    return [ticket.id for ticket in found]


def my_tickets(actor: Actor) -> list[Ticket]:
    """The calling customer's own tickets, newest first."""
    return list(
        db.session.scalars(
            sa.select(Ticket)
            .where(Ticket.user_id == actor.id)
            .order_by(Ticket.created_at.desc())
            .limit(200)
        ).all()
    )

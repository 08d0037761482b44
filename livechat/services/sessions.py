"""Chat sessions: open, read, list, queue, assign, escalate and end."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from livechat.errors import Conflict, Forbidden, InvalidInput, NotFound
from livechat.events import (
    SessionAssigned,
    SessionCreated,
    SessionEnded,
    publish,
)
from livechat.extensions import db
from livechat.models import (
    OPEN_STATUSES,
    ChatMessage,
    ChatSession,
    Role,
    SessionStatus,
    Ticket,
    User,
    utcnow,
)
from livechat.schemas.base import Augmented
from livechat.schemas.chat import SessionSchema
from livechat.services import audit
from livechat.services.access import Actor, access_session, require_staff
from livechat.services.paging import page_of_rows

_session_schema = SessionSchema()

RECENT_MESSAGES = 50


def dump_session(session: ChatSession) -> dict[str, Any]:
    """The wire form of a session, for event payloads (taken before commit expires it)."""
    return _session_schema.dump(session)


def open_session_of(user_id: str) -> ChatSession | None:
    stmt = sa.select(ChatSession).where(
        ChatSession.user_id == user_id, ChatSession.status.in_(OPEN_STATUSES)
    )
    return db.session.scalars(stmt).unique().first()


def recent_messages(session_id: str, limit: int = RECENT_MESSAGES) -> list[ChatMessage]:
    stmt = (
        sa.select(ChatMessage)
        .where(ChatMessage.session_id == session_id)
        .order_by(ChatMessage.seq.desc())
        .limit(limit)
    )
    return list(reversed(db.session.scalars(stmt).all()))


class AccountChanged(Conflict):
    retryable = True


def open_session(
    actor: Actor, subject: str | None = None, metadata: dict[str, Any] | None = None
) -> tuple[ChatSession, bool]:
    """The actor's open session, creating one if needed; returns (session, created)."""
    existing = open_session_of(actor.id)
    if existing is not None:
        return existing, False
    session = ChatSession(
        user_id=actor.id,
        status=SessionStatus.ACTIVE,
        subject=subject,
        # Client-supplied metadata is kept apart from what the server records (escalation, AI).
        meta={"client": metadata} if metadata else {},
    )
    db.session.add(session)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        # A concurrent request opened one first: the partial unique index said no.
        db.session.rollback()
        existing = open_session_of(actor.id)
        if existing is not None:
            return existing, False
        if db.session.get(User, actor.id) is None:
            # Or the customer was erased (data rights) after this request signed them in: the
            # foreign key said no. Sent again, the request signs in a new, empty customer.
            raise AccountChanged(
                "Your account changed while the chat was opening; try again.",
                code="account_changed",
            ) from None
        raise

    publish(SessionCreated(session.id, dump_session(session)))
    db.session.commit()
    return session, True


def active_session(actor: Actor) -> tuple[ChatSession, list[ChatMessage]]:
    session = open_session_of(actor.id)
    if session is None:
        raise NotFound("You have no open chat session.", code="no_active_session")
    return session, recent_messages(session.id)


def list_sessions(
    actor: Actor,
    *,
    status: SessionStatus | None = None,
    agent_id: str | None = None,
    user_id: str | None = None,
    page: int = 1,
    page_size: int = 20,
) -> tuple[list[ChatSession], int]:
    """A page of sessions, newest first, and the total matching."""
    require_staff(actor)
    filters = []
    if status is not None:
        filters.append(ChatSession.status == status)
    if agent_id is not None:
        filters.append(ChatSession.agent_id == agent_id)
    if user_id is not None:
        filters.append(ChatSession.user_id == user_id)
    return page_of_rows(
        sa.select(ChatSession).where(*filters),
        ChatSession.created_at.desc(),
        ChatSession.id.desc(),
        page=page,
        page_size=page_size,
        unique=True,
    )


def my_sessions(
    actor: Actor, *, page: int = 1, page_size: int = 20
) -> tuple[list[ChatSession], int]:
    """A page of the chats the actor opened as a customer (ended ones included), newest
    first, and their total. Staff get theirs too: those they opened, not those they served."""
    return page_of_rows(
        sa.select(ChatSession).where(ChatSession.user_id == actor.id),
        ChatSession.created_at.desc(),
        ChatSession.id.desc(),
        page=page,
        page_size=page_size,
        unique=True,
    )


def waiting_queue(actor: Actor) -> list[Augmented]:
    """WAITING sessions, longest-waiting first (for staff)."""
    require_staff(actor)
    return queue_entries()


def queue_entries() -> list[Augmented]:
    """WAITING sessions, longest-waiting first (internal: no caller to authorise)."""
    stmt = (
        sa.select(ChatSession)
        .where(ChatSession.status == SessionStatus.WAITING)
        .order_by(ChatSession.waiting_since.asc(), ChatSession.created_at.asc())
    )
    now = utcnow()
    return [
        Augmented(
            s,
            wait_seconds=max(0, int((now - (s.waiting_since or s.updated_at)).total_seconds())),
            escalation=s.meta.get("escalation"),
        )
        for s in db.session.scalars(stmt).unique()
    ]


def session_detail(
    actor: Actor, session_id: str
) -> tuple[ChatSession, list[ChatMessage], User, list[Ticket]]:
    """Everything an agent needs: the session, its messages, the customer and their tickets."""
    require_staff(actor)
    session = access_session(actor, session_id)
    # An agent reading a customer's data is recorded (fintech: who looked at what, when).
    audit.record(
        actor.id, "customer.viewed", session_id=session.id, subject_user_id=session.user_id
    )
    db.session.commit()
    tickets = db.session.scalars(
        sa.select(Ticket)
        .where(Ticket.user_id == session.user_id)
        .order_by(Ticket.created_at.desc())
        .limit(50)
    ).all()
    return session, recent_messages(session.id, 200), session.user, list(tickets)


def assign_agent(actor: Actor, session_id: str, agent_id: str | None = None) -> ChatSession:
    """Give the session to an agent (default: the caller) and make it ACTIVE; a chat that has
    an agent already is refused (``already_assigned``) unless an admin reassigns it."""
    require_staff(actor)
    target_id = agent_id or actor.id
    if target_id != actor.id and actor.role != Role.ADMIN:
        raise Forbidden("Only admins may assign a chat to someone else.")
    target = db.session.get(User, target_id)
    if target is None:
        raise NotFound(f"Agent {target_id} not found.", code="agent_not_found")
    if not target.role.is_staff:
        raise InvalidInput(f"User {target_id} is not a support agent.", code="not_an_agent")
    session = access_session(actor, session_id, lock=True)
    if session.status == SessionStatus.ENDED:
        raise Conflict("This chat session has ended.", code="session_ended")
    if session.agent_id == target_id:
        db.session.commit()
        return session
    previous_agent = session.agent_id
    if previous_agent is not None and actor.role != Role.ADMIN:
        # Agents hand a chat over with a transfer (services/transfer.py); admins may reassign.
        raise Conflict("This chat session already has an agent.", code="already_assigned")
    previous = session.status
    now = utcnow()
    session.agent_id = target_id
    session.agent = target
    session.status = SessionStatus.ACTIVE
    session.assigned_at = now
    session.waiting_since = None
    session.updated_at = now
    audit.record(
        actor.id,
        "session.assigned",
        session_id=session.id,
        subject_user_id=session.user_id,
        details={
            "agentId": target_id,
            "previousStatus": previous.value,
            "previousAgentId": previous_agent,
        },
    )
    publish(SessionAssigned(session.id, dump_session(session), target_id, previous.value))
    db.session.commit()
    return session


def end_session(actor: Actor, session_id: str) -> ChatSession:
    """Close the chat for good; its owner or any staff member may end it."""
    session = access_session(actor, session_id, lock=True)
    if session.status == SessionStatus.ENDED:
        raise Conflict("This chat session has already ended.", code="session_ended")
    finish_session(session, actor.id)
    db.session.commit()
    return session


def finish_session(session: ChatSession, ended_by: str, *, outcome: str | None = None) -> None:
    """End a row-locked, open session inside the caller's transaction (the caller commits):
    the one end path, for people (``end_session``) and the idle sweeper (services/idle.py)."""
    now = utcnow()
    session.status = SessionStatus.ENDED
    session.ended_at = now
    session.waiting_since = None
    session.updated_at = now
    if outcome is not None:
        record_outcome(session, outcome)
    audit.record(ended_by, "session.ended", session_id=session.id, subject_user_id=session.user_id)
    publish(SessionEnded(session.id, dump_session(session), ended_by))


def record_outcome(session: ChatSession, outcome: str) -> None:
    """How the chat ended (``resolved``, ``follow_up``): kept in the session's metadata under
    ``outcome`` until chat_sessions has a column for it (issue 18, branch i18-outcomes)."""
    session.meta = {**session.meta, "outcome": outcome}

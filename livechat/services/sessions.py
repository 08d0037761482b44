"""Chat sessions: open, read, list, queue, assign, escalate and end."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from livechat import writer
from livechat.errors import Conflict, Forbidden, InvalidInput, NotFound
from livechat.events import (
    SessionAssigned,
    SessionCreated,
    SessionEnded,
    SessionRequeued,
    publish,
)
from livechat.extensions import db
from livechat.models import (
    OPEN_STATUSES,
    SESSIONS_TOTAL_CAP,
    SYSTEM_SENDER_ID,
    ChatMessage,
    ChatSession,
    Role,
    SenderType,
    SessionOutcome,
    SessionStatus,
    Ticket,
    User,
    utcnow,
)
from livechat.schemas.base import Augmented
from livechat.schemas.chat import SessionSchema, StaffSessionSchema
from livechat.services import audit, rules, tickets, users
from livechat.services.access import (
    Actor,
    SessionRow,
    access_session,
    require_staff,
    session_rows,
)
from livechat.services.history import session_conditions
from livechat.services.messages import append_message
from livechat.services.notes import NoteRow, page_notes
from livechat.services.paging import (
    Page,
    bad_cursor,
    decode_cursor,
    encode_cursor,
    page_of_rows,
    page_of_rows_capped,
)

_session_schema = SessionSchema()
_staff_session_schema = StaffSessionSchema()

RECENT_MESSAGES = 50


def dump_session(session: ChatSession) -> dict[str, Any]:
    """The wire form of a session, for event payloads (taken before commit expires it)."""
    return _session_schema.dump(session)


def open_session_of(user_id: str) -> ChatSession | None:
    return db.session.scalars(_open_session_statement(), {"user_id": user_id}).unique().first()


@functools.cache
def _open_session_statement() -> sa.Select[ChatSession]:
    """open_session_of's statement, built once with a bound parameter (opening a chat runs it;
    a socket's connect reads the open chat with ``sign_in``)."""
    return sa.select(ChatSession).where(*_open_session_of(ChatSession))


def _open_session_of(columns: Any) -> tuple[sa.ColumnElement[bool], ...]:
    """The one rule for "the user's open chat" (parameter ``user_id``), on the ORM class or on
    its table's columns (``sign_in``'s Core statement)."""
    return columns.user_id == sa.bindparam("user_id"), columns.status.in_(OPEN_STATUSES)


def sign_in(identity: users.Identity) -> SessionRow | None:
    """A chat socket's connect: ``users.record_contact`` and ``open_session_of`` in one
    autocommit statement (one round trip, the connection back in the pool before the caller's
    socket work). The contact's write is a CTE the read does not see: a session's customer
    reads as they were before this sign-in's new name, if the token brought one."""
    params = {**users.contact_params(identity), "user_id": identity.uid}
    with writer.reads_only():
        row = db.session.execute(_sign_in_statement(), params).first()
    return None if row is None else SessionRow.of(row)


@functools.cache
def _sign_in_statement() -> sa.Select[Any]:
    open_session = session_rows().where(*_open_session_of(ChatSession.__table__.c))
    return open_session.add_cte(users.contact_cte())


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
    page: int = 1,
    page_size: int = 20,
    cap: int | None = None,
    cursor: str | None = None,
    **filters: Any,
) -> tuple[Page, str | None]:
    """A page of sessions, newest first (the Conversations view), and the cursor of the rows
    after it (None: none follow). The total is counted up to ``cap`` (SESSIONS_TOTAL_CAP) and
    says whether it is exact; page numbers reach the first ``cap`` chats, and ``cursor`` (a
    page's next cursor) reads on from anywhere at the same cost.
    ``filters`` are history.session_conditions' (status, agent, customer, priority, rule,
    date range)."""
    require_staff(actor)
    result = page_of_rows_capped(
        sa.select(ChatSession).where(*session_conditions(**filters)),
        ChatSession.created_at.desc(),
        ChatSession.id.desc(),
        page=page,
        page_size=page_size,
        cap=cap if cap is not None else SESSIONS_TOTAL_CAP,
        after=_older_than(cursor) if cursor is not None else None,
        unique=True,
    )
    last = result.items[-1] if result.more and result.items else None
    return result, (None if last is None else encode_cursor(last.created_at.isoformat(), last.id))


def _older_than(cursor: str) -> Any:
    """list_sessions' keyset condition: the chats after the cursor's in (created_at, id)
    descending order: a bound of the list's (created_at, id) index."""
    at_text, session_id = decode_cursor(cursor, 2)
    try:
        at = datetime.fromisoformat(at_text)
    except ValueError:
        at = None
    if at is None or at.tzinfo is None or len(session_id) > 36:
        raise bad_cursor()
    return sa.and_(
        ChatSession.created_at <= at,
        sa.or_(ChatSession.created_at < at, ChatSession.id < session_id),
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


# What agents are shown of the queue (REST default, queue:updated): its head, in order, and the
# total. Every waiting chat still gets its own position (services/queue.py), however long the
# queue is; only the list agents read is bounded, so its cost does not grow with the queue.
QUEUE_LIST_LIMIT = 100


def waiting_queue(actor: Actor, limit: int | None = None) -> tuple[list[Augmented], int]:
    """The first ``limit`` (default QUEUE_LIST_LIMIT) WAITING sessions in queue order (for
    staff): see ``queue_entries``; and how many wait in all."""
    require_staff(actor)
    return queue_entries(limit or QUEUE_LIST_LIMIT), waiting_total()


def waiting_total() -> int:
    """How many chats wait for a human (an index range on status)."""
    stmt = (
        sa.select(sa.func.count())
        .select_from(ChatSession)
        .where(ChatSession.status == SessionStatus.WAITING)
    )
    return int(db.session.scalar(stmt) or 0)


def queue_statement(limit: int | None = None) -> sa.Select:
    """WAITING sessions in queue order (rules.queue_order_sql), the first ``limit`` (None: all)."""
    stmt = (
        sa.select(ChatSession)
        .where(ChatSession.status == SessionStatus.WAITING)
        .order_by(sa.text(rules.queue_order_sql(ChatSession.__tablename__)))
    )
    return stmt if limit is None else stmt.limit(limit)


def queue_entries(limit: int | None = None) -> list[Augmented]:
    """WAITING sessions in queue order (rules.queue_order_sql: priority, then the longest wait),
    each with its 1-based position, the first ``limit`` (None: all; internal: no caller to
    authorise)."""
    now = utcnow()
    return [
        Augmented(
            s,
            position=position,
            priority=rules.queue_priority(s.meta),
            wait_seconds=max(0, int((now - (s.waiting_since or s.updated_at)).total_seconds())),
            escalation=s.meta.get("escalation"),
        )
        for position, s in enumerate(db.session.scalars(queue_statement(limit)).unique(), start=1)
    ]


def session_detail(
    actor: Actor, session_id: str
) -> tuple[ChatSession, list[ChatMessage], list[NoteRow], User, list[Ticket]]:
    """Everything an agent needs: the session, its messages and internal notes, the customer
    and their tickets."""
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
    recent = recent_messages(session.id, 200)
    notes, _ = page_notes(session.id)
    return session, recent, notes, session.user, list(tickets)


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
    _hand_over(session, target, actor.id)
    db.session.commit()
    return session


def _hand_over(session: ChatSession, target: User, by: str) -> None:
    """Make the row-locked session ``target``'s and ACTIVE (an admin may reassign it from
    another agent); the caller commits."""
    previous, previous_agent = session.status, session.agent_id
    now = utcnow()
    session.agent_id = target.id
    session.agent = target
    session.status = SessionStatus.ACTIVE
    session.assigned_at = now
    session.waiting_since = None
    session.updated_at = now
    audit.record(
        by,
        "session.assigned",
        session_id=session.id,
        subject_user_id=session.user_id,
        details={
            "agentId": target.id,
            "previousStatus": previous.value,
            "previousAgentId": previous_agent,
        },
    )
    publish(
        SessionAssigned(
            session.id,
            dump_session(session),
            target.id,
            previous.value,
            by=by,
            previous_agent_id=previous_agent,
            staff_session=_staff_session_schema.dump(session),
        )
    )


def _locked_if(session_id: str, *conditions: Any) -> ChatSession | None:
    """The session, row-locked, if it still meets ``conditions`` (else None): the conditional
    write of the router and of returning chats, safe with several processes at once."""
    stmt = (
        sa.select(ChatSession)
        .where(ChatSession.id == session_id, *conditions)
        .with_for_update(of=ChatSession)
        .execution_options(populate_existing=True)
    )
    return db.session.scalars(stmt).unique().first()


def route_to(session_id: str, agent_id: str) -> ChatSession | None:
    """Automatic routing (ROUTING=auto): give a chat to ``agent_id`` only if it is still
    WAITING with no agent, announced as a manual assignment is, plus a notice naming the agent
    to the customer. None (nothing written) if someone took it first. Commits."""
    target = db.session.get(User, agent_id)
    session = _locked_if(
        session_id, ChatSession.status == SessionStatus.WAITING, ChatSession.agent_id.is_(None)
    )
    if session is None or target is None or not target.role.is_staff:
        db.session.rollback()
        return None
    _hand_over(session, target, SYSTEM_SENDER_ID)
    name = target.display_name or "A support agent"
    append_message(
        session,
        sender_id=SYSTEM_SENDER_ID,
        sender_type=SenderType.SYSTEM,
        content=f"{name} joined the chat.",
        metadata={"kind": "agent_assigned", "agentId": target.id},
    )
    db.session.commit()
    return session


def original_wait_start(session: ChatSession, now: datetime) -> datetime:
    """When the chat first started waiting for a person (its escalation), else when an agent
    took it, else now: a chat back in the queue (a transfer, its agent gone offline) keeps
    that, so it waits at the front of its priority band, not behind later arrivals."""
    at = (session.meta.get("escalation") or {}).get("at")
    if isinstance(at, str):
        try:
            started = datetime.fromisoformat(at)
        except ValueError:
            started = None
        if started is not None and started.tzinfo is not None:
            return min(started, now)
    return min(session.assigned_at or now, now)


def return_to_queue(session_id: str, agent_id: str, by: str, reason: str) -> bool:
    """Put ``agent_id``'s open chat back in the queue (WAITING, no agent) at the front of its
    band: it keeps its original wait start (its escalation's, else its assignment's). The
    customer gets a notice; their messages stay. False if the chat is no longer theirs. The
    caller commits."""
    session = _locked_if(
        session_id, ChatSession.agent_id == agent_id, ChatSession.status == SessionStatus.ACTIVE
    )
    if session is None:
        return False
    now = utcnow()
    session.status = SessionStatus.WAITING
    session.agent_id = None
    session.agent = None
    session.waiting_since = original_wait_start(session, now)
    session.assigned_at = None
    session.updated_at = now
    session.meta = {
        **session.meta,
        "requeued": {"agentId": agent_id, "reason": reason, "at": now.isoformat()},
    }
    append_message(
        session,
        sender_id=SYSTEM_SENDER_ID,
        sender_type=SenderType.SYSTEM,
        content=(
            "Your agent is no longer available. You are back at the front of the queue: "
            "the next available agent will continue this chat."
        ),
        metadata={"kind": "requeued", "reason": reason},
    )
    audit.record(
        by,
        "session.requeued",
        session_id=session.id,
        subject_user_id=session.user_id,
        details={"agentId": agent_id, "reason": reason},
    )
    publish(SessionRequeued(session.id, dump_session(session), agent_id, reason))
    return True


def end_session(
    actor: Actor,
    session_id: str,
    *,
    outcome: SessionOutcome | None = None,
    note: str | None = None,
) -> ChatSession:
    """Close the chat for good; its owner or any staff member may end it.

    Staff record an ``outcome`` (default ``resolved``: the tickets this chat's escalations
    opened are resolved; ``follow_up`` keeps them open, assigned to the caller) and an optional
    ``note``. A customer ending their own chat records none and never resolves a ticket.
    """
    note = (note or "").strip() or None
    if actor.role.is_staff:
        return _end(actor, session_id, outcome or SessionOutcome.RESOLVED, note)
    session = access_session(actor, session_id, lock=True)  # a stranger learns nothing more
    if outcome is not None or note is not None:
        raise Forbidden("Only support agents record how a chat ended.", code="outcome_not_allowed")
    return _end(actor, session.id, None, None)


def end_without_outcome(actor: Actor, session_id: str) -> ChatSession:
    """End the chat recording no outcome and settling no ticket (an erasure closes the chats
    it finds open: nobody resolved anything)."""
    return _end(actor, session_id, None, None)


def _end(
    actor: Actor, session_id: str, outcome: SessionOutcome | None, note: str | None
) -> ChatSession:
    session = access_session(actor, session_id, lock=True)
    if session.status == SessionStatus.ENDED:
        raise Conflict("This chat session has already ended.", code="session_ended")
    finish_session(session, actor.id, outcome=outcome, note=note)
    db.session.commit()
    return session


def finish_session(
    session: ChatSession,
    ended_by: str,
    *,
    outcome: SessionOutcome | None = None,
    note: str | None = None,
) -> None:
    """End a row-locked, open session inside the caller's transaction (the caller commits):
    the one end path, for people (``end_session``) and the idle sweeper (services/idle.py).
    With an ``outcome`` the chat's escalation tickets are settled; a ``follow_up`` assigns
    them to whoever owes the customer: the person ending it, or (the sweeper) the chat's
    agent."""
    details: dict[str, Any] = {}
    if outcome is not None:
        session.outcome = outcome
        session.outcome_note = note
        owner = session.agent_id if ended_by == SYSTEM_SENDER_ID else ended_by
        ticket_ids = tickets.settle_escalation_tickets(owner, session.id, outcome)
        details = {"outcome": outcome.value, "note": note, "ticketIds": ticket_ids}
    now = utcnow()
    session.status = SessionStatus.ENDED
    session.ended_at = now
    session.waiting_since = None
    session.updated_at = now
    audit.record(
        ended_by,
        "session.ended",
        session_id=session.id,
        subject_user_id=session.user_id,
        details=details,
    )
    publish(SessionEnded(session.id, dump_session(session), ended_by))

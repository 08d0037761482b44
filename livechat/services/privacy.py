"""Data rights: export everything about a customer, or erase them (admins only, audited).

Erasure keeps the shape of the history (sessions, message sequence, tickets, audit entries, for
reporting and for the other party's records) and removes the person from it: every message of the
customer's chats is redacted (the assistant's and agents' replies quote the customer), the profile
is cleared, free text on sessions and tickets is replaced, and the uid itself is replaced
everywhere by a stable pseudonym (a new sign-in with that uid starts a new, empty customer).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import sqlalchemy as sa

from livechat.errors import Conflict, DomainError, Forbidden, NotFound
from livechat.extensions import db
from livechat.models import (
    OPEN_STATUSES,
    ChatMessage,
    ChatNote,
    ChatSession,
    Role,
    SenderType,
    Ticket,
    TicketPriority,
    User,
    utcnow,
)
from livechat.schemas.base import Augmented, camelcase
from livechat.services import audit, notes, sessions
from livechat.services.access import Actor
from livechat.services.escalation import TICKET_SUBJECTS
from livechat.services.users import Identity

EXPORT_SCHEMA_VERSION = 1
REDACTED = "[erased]"
PSEUDONYM_PREFIX = "erased-"

# The command line acts as this admin; the audit trail records it as actor "cli".
CLI_ADMIN = Identity(uid="cli", role=Role.ADMIN, name="command line")

# Free text is replaced; machine codes (rule, reason, intent: snake_case) are kept for reporting.
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_SAFE_TICKET_SUBJECTS = frozenset(TICKET_SUBJECTS.values())
_ESCALATION_CODES = ("reason", "rule", "intent")
_PRIORITIES = frozenset(p.value for p in TicketPriority)
_ESCALATION_KEPT = ("ticketId", "at", "queuePosition")

# What an erasure changed, in its summary and its audit entry.
_COUNTS = (
    "sessions_ended",
    "sessions",
    "messages_redacted",
    "notes_redacted",
    "tickets_anonymised",
    "audit_entries_pseudonymised",
)

# Attempts at ending the customer's open chats before giving up (they keep opening new ones).
ERASE_ATTEMPTS = 3


def pseudonym_for(uid: str) -> str:
    """Stable (a repeated erasure finds it) and one-way: the uid cannot be read back from it."""
    digest = hashlib.sha256(f"livechat-erasure:{uid}".encode()).hexdigest()
    return PSEUDONYM_PREFIX + digest[:24]


def _require_admin(actor: Actor) -> None:
    if actor.role != Role.ADMIN:
        raise Forbidden("Only admins may export or erase a customer's data.")


def _customer(uid: str, *, lock: bool = False) -> User | None:
    stmt = sa.select(User).where(User.id == uid)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    user = db.session.scalars(stmt).first()
    if user is not None and user.role != Role.USER:
        raise Conflict(
            f"User {uid} is a member of the support team, not a customer.",
            code="not_a_customer",
        )
    return user


def export_customer(actor: Actor, uid: str) -> dict[str, Any]:
    """The customer's profile, every chat with all its messages, their tickets and the audit
    entries about them (dump with schemas.privacy.CustomerExportSchema). An audited read."""
    _require_admin(actor)
    user = _customer(uid)
    if user is None:
        raise NotFound(f"Customer {uid} not found.", code="user_not_found")
    exported_at = utcnow()
    # The read is recorded (and committed) first, like the other reads of customer data: the
    # objects loaded below then stay loaded, instead of being expired by the commit.
    audit.record(
        actor.id,
        "customer.exported",
        subject_user_id=uid,
        details={"schemaVersion": EXPORT_SCHEMA_VERSION},
    )
    db.session.commit()
    user = db.session.get(User, uid)
    if user is None:  # erased between the check and the read
        raise NotFound(f"Customer {uid} not found.", code="user_not_found")
    chats = (
        db.session.scalars(
            sa.select(ChatSession)
            .where(ChatSession.user_id == uid)
            .order_by(ChatSession.created_at, ChatSession.id)
        )
        .unique()
        .all()
    )
    session_ids = [s.id for s in chats]
    by_session: dict[str, list[ChatMessage]] = {sid: [] for sid in session_ids}
    if session_ids:
        for message in db.session.scalars(
            sa.select(ChatMessage)
            .where(ChatMessage.session_id.in_(session_ids))
            .order_by(ChatMessage.session_id, ChatMessage.seq)
        ):
            by_session[message.session_id].append(message)
    internal = notes.notes_of(session_ids)
    tickets = db.session.scalars(
        sa.select(Ticket).where(Ticket.user_id == uid).order_by(Ticket.created_at, Ticket.id)
    ).all()
    return {
        "schema_version": EXPORT_SCHEMA_VERSION,
        "exported_at": exported_at,
        "customer": user,
        # Internal notes go with their chat, marked internal (they were never the customer's).
        "sessions": [Augmented(s, messages=by_session[s.id], notes=internal[s.id]) for s in chats],
        "tickets": list(tickets),
        "audit_events": audit.entries_about(uid, session_ids),
    }


def erase_customer(actor: Actor, uid: str, *, confirm: str) -> dict[str, Any]:
    """Erase a customer (``confirm`` must repeat the uid); idempotent. Returns a summary.

    Their open chats are ended first through the normal path (the room and the customer's
    sockets get session:updated, the assistant stops); then one transaction redacts, anonymises
    and replaces the uid by its pseudonym.
    """
    _require_admin(actor)
    if confirm != uid:
        raise DomainError(
            "Repeat the customer's id in 'confirm' to erase them.", code="confirmation_mismatch"
        )
    pseudonym = pseudonym_for(uid)
    ended = 0
    for _ in range(ERASE_ATTEMPTS):
        user = _customer(uid)
        if user is None:
            return _already_erased(actor, uid, pseudonym)
        if user.erased_at is not None:  # the pseudonym itself was given
            return _already_erased(actor, uid, uid)
        ended += _end_open_sessions(actor, uid)
        summary = _erase(actor, uid, pseudonym, ended)
        if summary is not None:
            return summary
    raise Conflict("The customer keeps opening new chats; try again.", code="customer_busy")


def _already_erased(actor: Actor, uid: str, pseudonym: str) -> dict[str, Any]:
    erased = db.session.get(User, pseudonym)
    if erased is None or erased.erased_at is None:
        raise NotFound(f"Customer {uid} not found.", code="user_not_found")
    audit.record(
        actor.id, "customer.erased", subject_user_id=pseudonym, details={"alreadyErased": True}
    )
    summary = _summary(pseudonym, erased.erased_at, already_erased=True)
    db.session.commit()
    return summary


def _summary(
    pseudonym: str, erased_at: Any, *, already_erased: bool, **counts: int
) -> dict[str, Any]:
    return {
        "erased_id": pseudonym,
        "erased_at": erased_at,
        "already_erased": already_erased,
        **{k: counts.get(k, 0) for k in _COUNTS},
    }


def _end_open_sessions(actor: Actor, uid: str) -> int:
    open_ids = db.session.scalars(
        sa.select(ChatSession.id).where(
            ChatSession.user_id == uid, ChatSession.status.in_(OPEN_STATUSES)
        )
    ).all()
    db.session.commit()
    ended = 0
    for session_id in open_ids:
        try:
            sessions.end_without_outcome(actor, session_id)
            ended += 1
        except Conflict:
            db.session.rollback()  # it ended meanwhile
    return ended


def _erase(actor: Actor, uid: str, pseudonym: str, sessions_ended: int) -> dict[str, Any] | None:
    """The erasure transaction; None (rolled back) if the customer opened a chat meanwhile."""
    user = _customer(uid, lock=True)
    if user is None:
        db.session.commit()
        return _already_erased(actor, uid, pseudonym)
    chats = (
        db.session.scalars(
            sa.select(ChatSession)
            .where(ChatSession.user_id == uid)
            .with_for_update(of=ChatSession)
            .execution_options(populate_existing=True)
        )
        .unique()
        .all()
    )
    if any(s.is_open for s in chats):
        db.session.rollback()
        return None
    now = utcnow()
    erased = db.session.get(User, pseudonym)
    if erased is None:
        # A new row under the pseudonym: the primary key cannot change under the foreign keys.
        erased = User(
            id=pseudonym,
            email=None,
            display_name=None,
            role=Role.USER,
            profile={},
            created_at=user.created_at,
            last_seen_at=now,
            erased_at=now,
        )
        db.session.add(erased)
        db.session.flush()
    # else: the customer came back after an earlier erasure; this data joins the erased record.
    session_ids = [s.id for s in chats]
    for chat in chats:
        chat.user = erased
        chat.subject = None
        chat.meta = _anonymised_session_meta(chat.meta or {}, uid, pseudonym)
        if chat.transfer:
            # An agent's note about the customer is free text: it goes; who handed over stays.
            chat.transfer = {**chat.transfer, "note": None}
    redacted = notes_redacted = 0
    if session_ids:
        redacted = _redact_messages(session_ids, uid, pseudonym)
        notes_redacted = _redact_notes(session_ids)
    tickets = db.session.scalars(
        sa.select(Ticket).where(Ticket.user_id == uid).with_for_update()
    ).all()
    for ticket in tickets:
        _anonymise_ticket(ticket, uid, pseudonym)
        ticket.user_id = pseudonym
    db.session.flush()
    # Only staff are agents or assignees, but a former agent may have become a customer: those
    # references move too, so the old row can go.
    for column in (ChatSession.agent_id, Ticket.assignee_id):
        db.session.execute(
            sa.update(column.class_)
            .where(column == uid)
            .values({column: pseudonym})
            .execution_options(synchronize_session=False)
        )
    audited = audit.pseudonymise(uid, pseudonym)
    db.session.execute(
        sa.delete(User).where(User.id == uid).execution_options(synchronize_session=False)
    )
    db.session.expunge(user)
    summary = _summary(
        pseudonym,
        erased.erased_at or now,
        already_erased=False,
        sessions_ended=sessions_ended,
        sessions=len(chats),
        messages_redacted=redacted,
        notes_redacted=notes_redacted,
        tickets_anonymised=len(tickets),
        audit_entries_pseudonymised=audited,
    )
    counts = {camelcase(k): summary[k] for k in _COUNTS}
    audit.record(actor.id, "customer.erased", subject_user_id=pseudonym, details=counts)
    db.session.commit()
    return summary


def _redact_messages(session_ids: list[str], uid: str, pseudonym: str) -> int:
    """Every message of the customer's chats: the assistant's and agents' quote the customer."""
    result = db.session.execute(
        sa.update(ChatMessage)
        .where(ChatMessage.session_id.in_(session_ids))
        .values(
            content=REDACTED,
            meta={},
            client_message_id=None,
            sender_id=sa.case(
                (ChatMessage.sender_type == SenderType.USER, pseudonym),
                (ChatMessage.sender_id == uid, pseudonym),
                else_=ChatMessage.sender_id,
            ),
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _redact_notes(session_ids: list[str]) -> int:
    """Every internal note of the customer's chats: agents' notes are about the customer."""
    result = db.session.execute(
        sa.update(ChatNote)
        .where(ChatNote.session_id.in_(session_ids))
        .values(content=REDACTED, client_message_id=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _code(value: Any) -> Any:
    return value if isinstance(value, str) and _CODE.match(value) else None


def _anonymised_session_meta(meta: dict[str, Any], uid: str, pseudonym: str) -> dict[str, Any]:
    """Only the escalation's codes, ids and times stay (the queue and the figures use them)."""
    escalation = meta.get("escalation")
    if not isinstance(escalation, dict):
        return {}
    kept: dict[str, Any] = {k: _code(escalation.get(k)) for k in _ESCALATION_CODES}
    kept.update({k: escalation[k] for k in _ESCALATION_KEPT if k in escalation})
    if escalation.get("priority") in _PRIORITIES:
        kept["priority"] = escalation["priority"]
    by = escalation.get("by")  # who escalated: an actor id (the assistant, an agent)
    kept["by"] = pseudonym if by == uid else by
    return {"escalation": kept}


def _anonymise_ticket(ticket: Ticket, uid: str, pseudonym: str) -> None:
    if ticket.subject not in _SAFE_TICKET_SUBJECTS:
        ticket.subject = REDACTED
    ticket.description = REDACTED if ticket.description else ""
    meta = ticket.meta or {}
    ticket.meta = {k: _code(meta.get(k)) for k in ("reason", "rule", "intent") if k in meta}
    ticket.category = _code(ticket.category)
    if ticket.created_by == uid:
        ticket.created_by = pseudonym

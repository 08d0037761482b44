"""Escalation: hand a chat to humans in one transaction (ticket, WAITING, customer notice)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from livechat.errors import Conflict, Forbidden
from livechat.events import SessionEscalated, TicketOpened, publish
from livechat.extensions import db
from livechat.models import (
    ChatSession,
    SenderType,
    SessionStatus,
    Ticket,
    TicketPriority,
    utcnow,
)
from livechat.schemas.tickets import TicketSchema
from livechat.services import audit, queue, rules
from livechat.services.access import Actor, find_session
from livechat.services.messages import append_message
from livechat.services.sessions import dump_session
from livechat.services.tickets import ESCALATION_CATEGORY

_ticket_schema = TicketSchema()

TICKET_SUBJECTS = {
    "human_request": "Customer asked for a human agent",
    "fraud_report": "Fraud report",
    "card_issue": "Card issue",
    "payment_issue": "Payment issue",
    "account_access": "Account access",
    "kyc": "Identity verification (KYC)",
    "fees": "Question about fees",
    "refund": "Refund request",
    "general": "Support request",
}

# (queue position, estimated minutes) -> the notice the customer reads, in their language.
Notice = Callable[[int, int], str]
# The customer's language (ISO 639-1) -> their Notice.
NoticeIn = Callable[[str], Notice]


def queue_position(session: ChatSession) -> int:
    """The session's 1-based place in queue order (priority, then wait: rules.queue_order_sql)."""
    return queue.position_of(session.id) or 1


def escalate(
    session_id: str,
    *,
    reason: str,
    requested_by: str,
    priority: TicketPriority = TicketPriority.MEDIUM,
    rule: str | None = None,
    intent: str | None = None,
    sentiment: dict[str, Any] | None = None,
    summary: str = "",
    notice: Notice | None = None,
    minutes_per_chat: float = 4.0,
) -> tuple[ChatSession, Ticket | None]:
    """Ticket + WAITING + metadata.escalation + the customer's notice, committed together.

    Idempotent: a session already waiting, or with an agent, is returned unchanged (no ticket).
    """
    session = find_session(session_id, lock=True)
    if session.status == SessionStatus.ENDED:
        raise Conflict("This chat session has ended.", code="session_ended")
    if not rules.assistant_may_answer(session.status, session.agent_id):
        # Waiting for a human already, or one has it: nothing to hand over.
        db.session.commit()
        return session, None
    now = utcnow()
    ticket = Ticket(
        user_id=session.user_id,
        session_id=session.id,
        subject=TICKET_SUBJECTS.get(intent or "", f"Chat escalation: {reason}")[:200],
        description=summary,
        priority=priority,
        category=ESCALATION_CATEGORY,
        created_by=requested_by,
        meta={"reason": reason, "rule": rule, "intent": intent, "sentiment": sentiment},
        created_at=now,
        updated_at=now,
    )
    db.session.add(ticket)
    session.status = SessionStatus.WAITING
    session.waiting_since = now
    session.updated_at = now
    # Told nothing yet in this wait: the queue broadcaster announces its position (queue:position).
    session.queue_position = None
    db.session.flush()
    escalation_meta = {
        "reason": reason,
        "rule": rule,
        "intent": intent,
        "sentiment": sentiment,
        "priority": priority.value,
        "ticketId": ticket.id,
        "summary": summary,
        "at": now.isoformat(),
        "by": requested_by,
    }
    session.meta = {**session.meta, "escalation": escalation_meta}
    db.session.flush()  # the queue orders by the escalation's priority: stored before counting
    position = queue_position(session)
    minutes = max(1, round(position * minutes_per_chat))
    session.meta = {**session.meta, "escalation": {**escalation_meta, "queuePosition": position}}
    if notice is not None:
        append_message(
            session,
            sender_id="SYSTEM",
            sender_type=SenderType.SYSTEM,
            content=notice(position, minutes),
            metadata={"kind": "escalation", "queuePosition": position, "waitMinutes": minutes},
        )
    audit.record(
        requested_by,
        "session.escalated",
        session_id=session.id,
        subject_user_id=session.user_id,
        details={"reason": reason, "rule": rule, "ticketId": ticket.id, "priority": priority.value},
    )
    ticket_payload = _ticket_schema.dump(ticket)
    publish(SessionEscalated(session.id, dump_session(session), reason, ticket_payload, rule))
    publish(TicketOpened(session.id, ticket_payload))
    db.session.commit()
    return session, ticket


def request_human(
    actor: Actor, session_id: str, *, notice: NoticeIn | None = None, minutes_per_chat: float = 4.0
) -> tuple[ChatSession, Ticket | None]:
    """The customer asks for a person ("Talk to a person"): escalate their own chat by the rule
    ``customer_request``, with or without the assistant. Returns (session, ticket); the ticket
    is None when nothing changed because people already have the chat (WAITING, or an agent).
    Only the chat's customer may ask (staff assign chats instead); an ended chat refuses."""
    session = find_session(session_id)
    # Checked before the state, so a stranger learns nothing about someone else's chat.
    if session.user_id != actor.id:
        raise Forbidden("This chat session belongs to someone else.")
    language = (session.meta.get("analysis") or {}).get("language")
    return escalate(
        session.id,
        reason="Customer asked for a person",
        requested_by=actor.id,
        priority=TicketPriority.MEDIUM,
        rule="customer_request",
        intent="human_request",
        summary="Handed over: the customer asked to talk to a person.",
        notice=notice(language if isinstance(language, str) and language else "en")
        if notice is not None
        else None,
        minutes_per_chat=minutes_per_chat,
    )

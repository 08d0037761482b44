"""People without the assistant: the customer's "Talk to a person", and, with the assistant
off, every new chat queued for a person on its first customer message.

Both go through services.escalation.escalate (one escalation); this module adds what only the
assistant's side knows: the customer's notice in their language, and the local analysis and
escalation policy that pick a queued chat's priority (fraud jumps the queue) without a reply.
"""

from __future__ import annotations

import logging

from flask import current_app

from livechat.ai import analysis as analysers
from livechat.ai import policy as rules
from livechat.ai.prompts import notice
from livechat.ai.turns import handoff_packet
from livechat.errors import DomainError
from livechat.models import SYSTEM_SENDER_ID, ChatSession, Ticket, TicketPriority
from livechat.services import assistant, escalation
from livechat.services.access import Actor

log = logging.getLogger(__name__)

NO_ASSISTANT_RULE = "no_assistant"


def customer_notice(key: str) -> escalation.NoticeIn:
    """The notice ``key`` (ai/prompts.py NOTICES) in a language, as escalate() takes it."""

    def in_language(language: str) -> escalation.Notice:
        return lambda position, minutes: notice(language, key, position=position, minutes=minutes)

    return in_language


def request_human(actor: Actor, session_id: str) -> tuple[ChatSession, Ticket | None]:
    """The customer pressed "Talk to a person" (session:request_human, REST request-human)."""
    return escalation.request_human(
        actor,
        session_id,
        notice=customer_notice("customer_request"),
        minutes_per_chat=float(current_app.config["QUEUE_MINUTES_PER_CHAT"]),
    )


def queue_without_assistant(
    session_id: str, *, policy: rules.EscalationPolicy, minutes_per_chat: float
) -> bool:
    """The assistant is off and a customer wrote in a chat nobody answers: queue it (rule
    ``no_assistant``), at the priority the seed rules give the message (MEDIUM when none
    matches). Runs in the orchestrator's group, after the message's commit. Returns whether
    it queued the chat (False: people have it already, it ended, or it is unknown)."""
    ctx = assistant.load_turn(session_id)  # None unless ACTIVE without an agent
    if ctx is None or not ctx.pending:
        return False
    local = analysers.analyse("\n".join(text for _, text, _ in ctx.pending))
    decision = rules.decide(local, unresolved_tickets=ctx.unresolved_tickets, policy=policy)
    found = analysers.to_dict(local)
    # Agents see the reading of the message in the sidebar, as when the assistant is on.
    assistant.record_analysis(session_id, ctx.pending[-1][0], found)
    if decision.escalate:
        priority = TicketPriority(decision.priority)
        reason = f"No assistant; {decision.reason}"
    else:
        priority = TicketPriority.MEDIUM
        reason = "No assistant: a person answers every chat"
    try:
        _session, ticket = escalation.escalate(
            session_id,
            reason=reason,
            requested_by=SYSTEM_SENDER_ID,
            priority=priority,
            rule=NO_ASSISTANT_RULE,
            intent=local.intent,
            sentiment=found["sentiment"],
            summary=handoff_packet(ctx, found, NO_ASSISTANT_RULE, reason),
            notice=customer_notice("no_assistant")(local.language),
            minutes_per_chat=minutes_per_chat,
        )
    except DomainError as exc:  # ended meanwhile: nobody to queue
        assistant.discard_failed_work()  # the refusal left its row lock held
        log.info("no queueing for %s: %s", session_id, exc.code)
        return False
    return ticket is not None

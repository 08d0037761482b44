"""The chat's access rules, each written once: its Python form and, beside it, its SQL fragment.

"May the assistant answer this chat?", "who may post in this chat?", "who may write an internal
note?" and "which tickets are unresolved?" are asked by REST, the sockets, the batched message
writer, the assistant, the listeners and the chat's end. Each asks here. The SQL
fragments are what the one-statement writes check on a locked row; the Python forms say the same
thing about a loaded row (and, for posting, *why* not). tests/services/test_rules.py evaluates
both over the same rows and expects the same answers.
"""

from __future__ import annotations

from typing import Any, Protocol

from livechat.errors import Conflict, DomainError, Forbidden
from livechat.models import SenderType, SessionStatus, TicketStatus

_ACTIVE = SessionStatus.ACTIVE.value
_ENDED = SessionStatus.ENDED.value


class SessionRow(Protocol):
    """What the rules read of a session: a ChatSession, or a row of a statement."""

    @property
    def status(self) -> str: ...
    @property
    def user_id(self) -> str: ...
    @property
    def agent_id(self) -> str | None: ...


# ---- May the assistant answer this chat? -------------------------------------------------------


def assistant_may_answer(status: str, agent_id: str | None) -> bool:
    """The assistant answers only while nobody else does: ACTIVE (not waiting for a human, not
    ended) and no agent. An erased customer's chats are ENDED, so the assistant never answers
    them. ``status`` is a SessionStatus or its value (event payloads carry strings)."""
    return status == _ACTIVE and agent_id is None


def assistant_may_answer_sql(session: str) -> str:
    """``assistant_may_answer`` on the chat_sessions row aliased ``session``."""
    return f"({session}.status = '{_ACTIVE}' AND {session}.agent_id IS NULL)"


# ---- Who may post in this chat? ----------------------------------------------------------------


def posting_refusal(actor_id: str, staff: bool, session: SessionRow) -> DomainError | None:
    """Why ``actor_id`` may not post in ``session`` now, or None if they may: the customer who
    owns it, or the agent it is assigned to, while it has not ended. (Checked in this order, so
    a stranger learns nothing about a chat's state.)"""
    owner = actor_id == session.user_id
    if not owner and not staff:
        return Forbidden("This chat session belongs to someone else.")
    if session.status == _ENDED:
        return Conflict("This chat session has ended.", code="session_ended")
    if not owner and session.agent_id != actor_id:
        # Staff write into a customer's chat only once it is theirs.
        return Conflict("Assign this chat to yourself before replying.", code="not_assigned")
    return None


def may_post(actor_id: str, staff: bool, session: SessionRow) -> bool:
    """``posting_refusal`` as a yes/no."""
    return posting_refusal(actor_id, staff, session) is None


def may_post_sql(session: str, actor: str, staff: str) -> str:
    """``may_post`` on the chat_sessions row aliased ``session``, for the SQL expressions
    ``actor`` (the poster's id, text) and ``staff`` (boolean). Never NULL: a chat without an
    agent compares NULL, which coalesce makes the false that Python says."""
    return (
        f"coalesce({session}.status <> '{_ENDED}' AND ({actor} = {session}.user_id"
        f" OR ({staff} AND {actor} = {session}.agent_id)), false)"
    )


def sender_type(actor_id: str, session: SessionRow) -> SenderType:
    """What a permitted poster writes as: the owner as the customer, anyone else as the agent."""
    return SenderType.USER if actor_id == session.user_id else SenderType.AGENT


def sender_type_sql(session: str, actor: str) -> str:
    """``sender_type`` in SQL (the sender_type column's text)."""
    return (
        f"CASE WHEN {actor} = {session}.user_id THEN '{SenderType.USER.value}'"
        f" ELSE '{SenderType.AGENT.value}' END"
    )


# ---- Who may write an internal note? -----------------------------------------------------------


def note_refusal(staff: bool) -> DomainError | None:
    """Why someone who may read a chat may not write an internal note in it, or None: any agent
    or admin may, assigned to the chat or not, open or ended (a note on an ended chat records
    what happened next); a customer never may, not even in their own chat."""
    if not staff:
        return Forbidden(
            "Only support agents and admins may write internal notes.", code="note_not_allowed"
        )
    return None


# ---- In which order does the queue wait? -------------------------------------------------------

# Most urgent first; a chat escalated without a priority waits as MEDIUM (escalate's default).
QUEUE_PRIORITIES = ("URGENT", "HIGH", "MEDIUM", "LOW")
DEFAULT_QUEUE_PRIORITY = "MEDIUM"


def queue_priority(metadata: dict[str, Any] | None) -> str:
    """The priority a waiting chat queues with: its escalation's (session metadata)."""
    escalation = (metadata or {}).get("escalation") or {}
    priority = escalation.get("priority")
    return priority if priority in QUEUE_PRIORITIES else DEFAULT_QUEUE_PRIORITY


def queue_priority_sql(session: str) -> str:
    """``queue_priority`` on the chat_sessions row aliased ``session``: its rank, 0 = URGENT."""
    ranks = " ".join(f"WHEN '{p}' THEN {i}" for i, p in enumerate(QUEUE_PRIORITIES))
    default = QUEUE_PRIORITIES.index(DEFAULT_QUEUE_PRIORITY)
    return f"(CASE {session}.metadata -> 'escalation' ->> 'priority' {ranks} ELSE {default} END)"


def queue_sort_key(
    metadata: dict[str, Any] | None, waiting_since: Any, created_at: Any, session_id: str
) -> tuple[int, Any, Any, str]:
    """Where a waiting chat stands: by priority, then the longest wait first (ties: oldest
    chat, then id, so every process and every path sees one order)."""
    return (QUEUE_PRIORITIES.index(queue_priority(metadata)), waiting_since, created_at, session_id)


def queue_order_sql(session: str) -> str:
    """``queue_sort_key`` as an ORDER BY list on the chat_sessions row aliased ``session``."""
    return (
        f"{queue_priority_sql(session)}, {session}.waiting_since, {session}.created_at,"
        f" {session}.id"
    )


# ---- Which tickets are unresolved? -------------------------------------------------------------

# Still someone's work: what the escalation rule counts and what ending a chat may resolve.
UNRESOLVED_TICKET_STATUSES = (TicketStatus.OPEN, TicketStatus.IN_PROGRESS)


def ticket_unresolved(status: str) -> bool:
    """An OPEN or IN_PROGRESS ticket; RESOLVED and CLOSED ones are done. ``status`` is a
    TicketStatus or its value."""
    return status in UNRESOLVED_TICKET_STATUSES


def ticket_unresolved_sql(ticket: str) -> str:
    """``ticket_unresolved`` on the tickets row aliased ``ticket``."""
    values = ", ".join(f"'{status.value}'" for status in UNRESOLVED_TICKET_STATUSES)
    return f"({ticket}.status IN ({values}))"

"""Which chats a history query means: the filters the Conversations view and search share.

Who may read the history is ``access.require_staff`` (staff see every chat, as
``access_session`` lets them open any): this module only narrows the set.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from livechat.errors import DomainError
from livechat.models import ChatSession, SessionStatus
from livechat.models.chat import escalation_field


def session_conditions(
    *,
    status: SessionStatus | None = None,
    agent_id: str | None = None,
    user_id: str | None = None,
    priority: str | None = None,
    rule: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
) -> list[Any]:
    """WHERE conditions on ChatSession for these filters (None: no filter). ``priority`` and
    ``rule`` are the chat's escalation's (session metadata); ``created_from`` is inclusive,
    ``created_to`` exclusive. A range that ends before it starts is refused (400)."""
    if created_from is not None and created_to is not None and created_to <= created_from:
        raise DomainError(
            "The date range is empty: 'to' must come after 'from'.", code="bad_date_range"
        )
    conditions: list[Any] = []
    if status is not None:
        conditions.append(ChatSession.status == status)
    if agent_id is not None:
        conditions.append(ChatSession.agent_id == agent_id)
    if user_id is not None:
        conditions.append(ChatSession.user_id == user_id)
    if priority is not None:
        conditions.append(escalation_field("priority") == priority)
    if rule is not None:
        conditions.append(escalation_field("rule") == rule)
    if created_from is not None:
        conditions.append(ChatSession.created_at >= created_from)
    if created_to is not None:
        conditions.append(ChatSession.created_at < created_to)
    return conditions

"""The customer's "Talk to a person": one escalation (rule customer_request), refusals change
nothing."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa


def _counts() -> tuple[int, int]:
    from livechat.extensions import db
    from livechat.models import ChatMessage, Ticket

    tickets = db.session.scalar(sa.select(sa.func.count()).select_from(Ticket))
    notices = db.session.scalar(
        sa.select(sa.func.count()).select_from(ChatMessage).where(ChatMessage.sender_id == "SYSTEM")
    )
    return int(tickets or 0), int(notices or 0)


@pytest.fixture()
def chat(ctx: Any, make_user: Any) -> Any:
    from livechat.services import sessions

    session, _ = sessions.open_session(make_user("cust-1"))
    return session


def test_request_human_queues_the_chat_once(chat: Any, make_user: Any) -> None:
    from livechat.models import SessionStatus, TicketPriority
    from livechat.services import escalation
    from livechat.services.users import get_user

    def notice(language: str) -> Any:
        return lambda position, minutes: f"[{language}] #{position} ~{minutes}"

    session, ticket = escalation.request_human(get_user("cust-1"), chat.id, notice=notice)
    assert ticket is not None and ticket.priority == TicketPriority.MEDIUM
    assert ticket.meta["rule"] == "customer_request" and ticket.created_by == "cust-1"
    assert session.status == SessionStatus.WAITING and session.waiting_since is not None
    assert session.meta["escalation"]["rule"] == "customer_request"
    assert session.meta["escalation"]["queuePosition"] == 1
    assert _counts() == (1, 1)
    # Asked again while waiting: nothing changes, and the caller learns so (ticket None).
    again, none = escalation.request_human(get_user("cust-1"), chat.id, notice=notice)
    assert none is None and again.status == SessionStatus.WAITING
    assert _counts() == (1, 1)


def test_request_human_with_an_agent_already_changes_nothing(chat: Any, make_user: Any) -> None:
    from livechat.models import SessionStatus
    from livechat.services import escalation, sessions
    from livechat.services.users import get_user

    sessions.assign_agent(make_user("agent-1", "agent"), chat.id)
    session, ticket = escalation.request_human(get_user("cust-1"), chat.id)
    assert ticket is None and session.status == SessionStatus.ACTIVE
    assert session.agent_id == "agent-1" and _counts() == (0, 0)


@pytest.mark.parametrize(
    ("who", "target", "code"),
    [
        ("cust-2", "chat", "forbidden"),  # someone else's chat
        ("agent-1", "chat", "forbidden"),  # staff assign chats; they do not ask for a person
        ("cust-1", "unknown", "session_not_found"),
        ("cust-1", "ended", "session_ended"),
    ],
)
def test_request_human_refusals_change_nothing(
    chat: Any, make_user: Any, who: str, target: str, code: str
) -> None:
    from livechat.errors import DomainError
    from livechat.extensions import db
    from livechat.models import ChatSession, SessionStatus
    from livechat.services import escalation, sessions
    from livechat.services.users import get_user

    make_user("cust-2")
    make_user("agent-1", "agent")
    if target == "ended":
        sessions.end_session(get_user("cust-1"), chat.id)
    session_id = "no-such-chat" if target == "unknown" else chat.id
    with pytest.raises(DomainError) as refused:
        escalation.request_human(get_user(who), session_id)
    assert refused.value.code == code
    db.session.rollback()
    status = db.session.scalar(sa.select(ChatSession.status).where(ChatSession.id == chat.id))
    assert status == (SessionStatus.ENDED if target == "ended" else SessionStatus.ACTIVE)
    assert _counts() == (0, 0)

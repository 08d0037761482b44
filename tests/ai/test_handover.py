"""With the assistant off, a customer's first message queues the chat for a person, at the
priority the seed rules give that message; nobody answers in the assistant's place."""

from __future__ import annotations

from typing import Any

import pytest


def _post(user_id: str, session_id: str, text: str) -> None:
    from livechat.services import messages
    from livechat.services.users import get_user

    messages.post_message(get_user(user_id), session_id, text)


@pytest.fixture()
def chat(ctx: Any, make_user: Any) -> Any:
    from livechat.services import sessions

    session, _ = sessions.open_session(make_user("cust-1"))
    return session


def _queue(session_id: str) -> bool:
    from livechat.ai.handover import queue_without_assistant
    from livechat.ai.policy import EscalationPolicy

    return queue_without_assistant(session_id, policy=EscalationPolicy(), minutes_per_chat=4.0)


@pytest.mark.parametrize(
    ("text", "priority", "matched"),
    [
        ("I want a human, my card was stolen", "URGENT", "High-priority keywords"),
        ("How do I change the PIN of my card?", "MEDIUM", "a person answers every chat"),
        ("Can I talk to a person please", "MEDIUM", "asked to speak to a person"),
    ],
)
def test_the_first_message_queues_the_chat_at_the_policys_priority(
    chat: Any, text: str, priority: str, matched: str
) -> None:
    from livechat.extensions import db
    from livechat.models import ChatMessage, ChatSession, SenderType, SessionStatus, Ticket

    _post("cust-1", chat.id, text)
    assert _queue(chat.id) is True
    session = db.session.get(ChatSession, chat.id)
    assert session is not None and session.status == SessionStatus.WAITING
    escalation = session.meta["escalation"]
    assert escalation["rule"] == "no_assistant" and escalation["priority"] == priority
    assert matched in escalation["reason"]
    (ticket,) = db.session.query(Ticket).all()
    assert ticket.priority.value == priority and ticket.created_by == "SYSTEM"
    kinds = [m.sender_type for m in db.session.query(ChatMessage).order_by(ChatMessage.seq)]
    assert kinds == [SenderType.USER, SenderType.SYSTEM]  # a queue notice, no reply
    assert session.meta["analysis"]["intent"]  # agents see the reading of the message


def test_the_notice_is_in_the_customers_language(chat: Any) -> None:
    from livechat.extensions import db
    from livechat.models import ChatMessage, SenderType

    _post("cust-1", chat.id, "Hola, ¿cómo puedo cambiar el PIN de mi tarjeta?")
    assert _queue(chat.id)
    notice = db.session.query(ChatMessage).filter_by(sender_type=SenderType.SYSTEM).one()
    assert "persona de nuestro equipo" in notice.content
    assert notice.meta["queuePosition"] == 1


def test_a_chat_people_already_have_is_left_alone(chat: Any, make_user: Any) -> None:
    from livechat.extensions import db
    from livechat.models import ChatSession, SessionStatus, Ticket
    from livechat.services import sessions

    sessions.assign_agent(make_user("agent-1", "agent"), chat.id)
    _post("cust-1", chat.id, "my card was stolen")
    assert _queue(chat.id) is False
    assert db.session.get(ChatSession, chat.id).status == SessionStatus.ACTIVE
    assert db.session.query(Ticket).count() == 0
    assert _queue("no-such-chat") is False


def test_an_ended_chat_is_not_queued(chat: Any) -> None:
    from livechat.extensions import db
    from livechat.models import Ticket
    from livechat.services import sessions
    from livechat.services.users import get_user

    _post("cust-1", chat.id, "hello?")
    sessions.end_session(get_user("cust-1"), chat.id)
    assert _queue(chat.id) is False
    assert db.session.query(Ticket).count() == 0

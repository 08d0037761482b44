"""session:end with an outcome over the chat namespace: agents settle tickets, customers cannot."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from tests.realtime.conftest import events


@pytest.fixture()
def chat(ctx: Any, make_user: Any) -> str:
    """cust-1's chat, escalated (one ticket opened) and taken by agent-1."""
    from livechat.services import escalation, messages, sessions

    customer = make_user("cust-1")
    make_user("cust-2")
    make_user("agent-2", "agent")
    session, _ = sessions.open_session(customer)
    messages.post_message(customer, session.id, "I want a human")
    escalation.escalate(session.id, reason="human_request", requested_by="AI_ASSISTANT")
    sessions.assign_agent(make_user("agent-1", "agent"), session.id)
    return session.id


def _state(session_id: str) -> tuple[Any, ...]:
    from livechat.extensions import db
    from livechat.models import ChatSession, Ticket

    db.session.remove()
    s = db.session.get(ChatSession, session_id)
    tickets = db.session.execute(
        sa.select(Ticket.status, Ticket.assignee_id).where(Ticket.session_id == session_id)
    ).all()
    return s.status.value, s.outcome, s.outcome_note, sorted(tickets)


def test_an_agent_ends_with_follow_up_and_the_customer_sees_no_outcome(chat: str, sio: Any) -> None:
    customer, agent = sio("cust-1"), sio("agent-1", "agent")
    for c in (customer, agent):
        assert c.emit("join:session", chat, callback=True)["ok"]
        c.get_received()
    ack = agent.emit(
        "session:end",
        {"sessionId": chat, "outcome": "follow_up", "note": "Call back on Monday"},
        callback=True,
    )
    assert ack["ok"], ack
    assert (ack["session"]["outcome"], ack["session"]["outcomeNote"]) == (
        "follow_up",
        "Call back on Monday",
    )
    assert _state(chat) == ("ENDED", "follow_up", "Call back on Monday", [("OPEN", "agent-1")])
    [update] = events(customer, "session:updated")
    assert update["session"]["status"] == "ENDED"
    assert "outcome" not in update["session"] and "outcomeNote" not in update["session"]


def test_an_agent_ending_without_an_outcome_resolves(chat: str, sio: Any) -> None:
    ack = sio("agent-1", "agent").emit("session:end", {"sessionId": chat}, callback=True)
    assert ack["ok"] and ack["session"]["outcome"] == "resolved"
    assert _state(chat) == ("ENDED", "resolved", None, [("RESOLVED", None)])


def test_the_customers_own_end_resolves_nothing_and_takes_no_outcome(chat: str, sio: Any) -> None:
    customer = sio("cust-1")
    before = _state(chat)
    ack = customer.emit("session:end", {"sessionId": chat, "outcome": "resolved"}, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "outcome_not_allowed"
    assert _state(chat) == before
    ack = customer.emit("session:end", {"sessionId": chat}, callback=True)
    assert ack["ok"] and "outcome" not in ack["session"]
    assert _state(chat) == ("ENDED", None, None, [("OPEN", None)])


@pytest.mark.parametrize(
    ("uid", "role", "payload", "code"),
    [
        ("agent-1", "agent", {"outcome": "done"}, "validation_error"),
        ("agent-1", "agent", {"outcome": ["resolved"]}, "validation_error"),
        ("agent-1", "agent", {"note": "x" * 1001}, "validation_error"),
        ("agent-1", "agent", {"note": {"a": 1}}, "validation_error"),
        ("agent-1", "agent", {"sessionId": "missing"}, "session_not_found"),
        ("cust-2", "user", {"outcome": "resolved"}, "forbidden"),
        ("cust-2", "user", {}, "forbidden"),
    ],
)
def test_bad_ends_are_refused_and_change_nothing(
    chat: str, sio: Any, uid: str, role: str, payload: dict[str, Any], code: str
) -> None:
    before = _state(chat)
    client = sio(uid, role)
    ack = client.emit("session:end", {"sessionId": chat, **payload}, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == code, ack
    assert _state(chat) == before
    [error] = events(client, "error")
    assert error["code"] == code and error["event"] == "session:end"


def test_ending_an_ended_chat_says_so(chat: str, sio: Any) -> None:
    agent = sio("agent-1", "agent")
    assert agent.emit("session:end", {"sessionId": chat}, callback=True)["ok"]
    before = _state(chat)
    ack = agent.emit("session:end", {"sessionId": chat, "outcome": "follow_up"}, callback=True)
    assert ack["error"]["code"] == "session_ended"
    assert _state(chat) == before

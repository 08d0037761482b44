"""Internal notes on the chat namespace: note:new to the chat's staff sockets, never a customer's."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.realtime.conftest import events, received, wait_event

SECRET = "Customer sounds like a scammer"


@pytest.fixture()
def chat(ctx: Any, make_user: Any) -> str:
    """cust-1's chat taken by agent-1; one message each side (seq 1, 2)."""
    from livechat.services import messages, sessions

    customer = make_user("cust-1")
    agent = make_user("agent-1", "agent", "Ada")
    make_user("agent-2", "agent", "Bea")
    session, _ = sessions.open_session(customer)
    sessions.assign_agent(agent, session.id)
    messages.post_message(customer, session.id, "hello")
    messages.post_message(agent, session.id, "hi")
    return session.id


def _note(sid: str, content: str = SECRET, **extra: Any) -> dict[str, Any]:
    return {"sessionId": sid, "content": content, "internal": True, **extra}


def test_a_note_reaches_the_chats_agents_and_never_its_customer(chat: str, sio: Any) -> None:
    customer, agent, other, outsider = (
        sio("cust-1"),
        sio("agent-1", "agent"),
        sio("agent-2", "agent"),
        sio("agent-2", "agent"),  # an agent socket that did not join this chat
    )
    for c in (customer, agent, other):
        assert c.emit("join:session", chat, callback=True)["ok"]
    for c in (customer, agent, other, outsider):
        c.get_received()

    ack = other.emit("message:send", _note(chat, clientMessageId="n-1"), callback=True)
    assert ack["ok"] and ack["duplicate"] is False, ack
    note = ack["note"]
    assert (note["noteSeq"], note["afterSeq"], note["internal"]) == (1, 2, True)
    assert wait_event(agent, "note:new") == note
    assert wait_event(other, "note:new") == note  # the sender's own sockets too (dedupe by id)
    # The customer's socket in the very same room heard nothing at all.
    customer.emit("typing:start", {"sessionId": chat}, callback=True)  # a round trip after it
    assert SECRET not in json.dumps(received(customer))
    assert events(outsider, "note:new") == []

    # A resend of the same clientMessageId is the stored note, announced once.
    again = other.emit("message:send", _note(chat, clientMessageId="n-1"), callback=True)
    assert again["ok"] and again["duplicate"] is True and again["note"]["id"] == note["id"]
    assert events(agent, "note:new") == []

    # After leave:session the agent's socket no longer gets the chat's notes.
    assert agent.emit("leave:session", {"sessionId": chat}, callback=True)["ok"]
    other.emit("message:send", _note(chat, "later"), callback=True)
    wait_event(other, "note:new")
    assert events(agent, "note:new") == []


def test_a_customer_sending_a_note_is_refused_and_nothing_is_stored(chat: str, sio: Any) -> None:
    from livechat.services import notes

    customer = sio("cust-1")
    customer.get_received()
    ack = customer.emit("message:send", _note(chat), callback=True)
    assert ack == {
        "ok": False,
        "error": {
            "code": "note_not_allowed",
            "message": "Only support agents and admins may write internal notes.",
        },
    }
    (error,) = events(customer, "error")
    assert error["code"] == "note_not_allowed" and error["event"] == "message:send"
    assert notes.page_notes(chat) == ([], False)


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"content": " "}, "validation_error"),
        ({"content": "x" * 4001}, "message_too_long"),
        ({"content": "a", "metadata": {"k": 1}}, "validation_error"),
        ({"content": "a", "internal": "yes please"}, "validation_error"),
    ],
)
def test_bad_notes_are_refused_like_messages(
    chat: str, sio: Any, payload: dict[str, Any], code: str
) -> None:
    from livechat.services import notes

    ack = sio("agent-1", "agent").emit("message:send", {**_note(chat), **payload}, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == code, ack
    assert notes.page_notes(chat) == ([], False)


def test_join_history_has_notes_for_staff_only_and_catches_up_by_note_seq(
    chat: str, sio: Any
) -> None:
    from livechat.services import messages, notes
    from livechat.services.users import get_user

    notes.post_note(get_user("agent-1"), chat, SECRET)
    messages.post_message(get_user("cust-1"), chat, "still there?")
    notes.post_note(get_user("agent-2"), chat, "second note")

    # The customer: session:current, a full join, a catch-up after every seq: never a note.
    customer = sio("cust-1")
    for payload in (chat, {"sessionId": chat, "afterSeq": 0}, {"sessionId": chat, "afterSeq": 2}):
        ack = customer.emit("join:session", payload, callback=True)
        assert ack["ok"] and ack["lastSeq"] == 3
    history = [p for name, p in received(customer) if name == "session:history"]
    assert len(history) == 3
    assert all("notes" not in h for h in history)
    assert [m["seq"] for m in history[0]["messages"]] == [1, 2, 3]  # no hole
    assert [m["seq"] for m in history[2]["messages"]] == [3]
    assert SECRET not in json.dumps(history)
    customer.emit("join:session", {"sessionId": chat, "afterNoteSeq": 0}, callback=True)
    assert "notes" not in events(customer, "session:history")[0]

    agent = sio("agent-1", "agent")
    agent.get_received()
    assert agent.emit("join:session", chat, callback=True)["ok"]
    (full,) = events(agent, "session:history")
    assert [(n["noteSeq"], n["afterSeq"]) for n in full["notes"]] == [(1, 2), (2, 3)]
    assert full["hasMoreNotes"] is False
    agent.emit("join:session", {"sessionId": chat, "afterSeq": 3, "afterNoteSeq": 1}, callback=True)
    (caught_up,) = events(agent, "session:history")
    assert caught_up["messages"] == []
    assert [n["content"] for n in caught_up["notes"]] == ["second note"]

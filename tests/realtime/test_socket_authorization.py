"""Every chat socket event x every role and ownership: who may, who may not, and that a refusal
changes nothing and tells the room nothing (the REST side is tests/api/test_authorization_matrix)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from tests.realtime.conftest import received

ACTORS = {
    "owner": ("cust-1", "user"),
    "stranger": ("cust-2", "user"),
    "assigned_agent": ("agent-1", "agent"),
    "other_agent": ("agent-2", "agent"),
    "admin": ("admin-1", "admin"),
}
OK = "ok"
# event -> expected outcome per actor (an error code, or OK)
MATRIX: dict[str, dict[str, str]] = {
    "join:session": {
        "owner": OK,
        "stranger": "forbidden",
        "assigned_agent": OK,
        "other_agent": OK,
        "admin": OK,
    },
    "message:send": {
        "owner": OK,
        "stranger": "forbidden",
        "assigned_agent": OK,
        "other_agent": "not_assigned",
        "admin": "not_assigned",
    },
    # An internal note (message:send with internal: true): any agent or admin, never a customer.
    "message:send#internal": {
        "owner": "note_not_allowed",
        "stranger": "forbidden",
        "assigned_agent": OK,
        "other_agent": OK,
        "admin": OK,
    },
    "typing:start": {
        "owner": OK,
        "stranger": "forbidden",
        "assigned_agent": OK,
        "other_agent": OK,
        "admin": OK,
    },
    "typing:stop": {
        "owner": OK,
        "stranger": "forbidden",
        "assigned_agent": OK,
        "other_agent": OK,
        "admin": OK,
    },
    "message:read": {
        "owner": OK,
        "stranger": "forbidden",
        "assigned_agent": OK,
        "other_agent": OK,
        "admin": OK,
    },
    # Leaving a room you are not in is a harmless no-op that reveals nothing.
    "leave:session": {actor: OK for actor in ACTORS},
    # Only the customer asks for a person (here their chat has an agent: ok, alreadyWaiting).
    "session:request_human": {
        "owner": OK,
        "stranger": "forbidden",
        "assigned_agent": "forbidden",
        "other_agent": "forbidden",
        "admin": "forbidden",
    },
    # Back to the queue (no agentId): the chat's agent and admins only.
    "session:transfer": {
        "owner": "forbidden",
        "stranger": "forbidden",
        "assigned_agent": OK,
        "other_agent": "forbidden",
        "admin": OK,
    },
    "session:end": {
        "owner": OK,
        "stranger": "forbidden",
        "assigned_agent": OK,
        "other_agent": OK,
        "admin": OK,
    },
}


def _payload(event: str, session_id: str, n: int) -> Any:
    if event == "message:send":
        return {"sessionId": session_id, "content": f"hello {n}", "clientMessageId": f"m-{n}"}
    if event == "message:send#internal":
        return {"sessionId": session_id, "content": f"note {n}", "internal": True}
    if event == "message:read":
        return {"sessionId": session_id, "upToSeq": 1000}
    return {"sessionId": session_id}


@pytest.fixture()
def chat(ctx: Any, make_user: Any) -> str:
    from livechat.services import messages, sessions
    from livechat.services.users import get_user

    for uid, role in ACTORS.values():
        make_user(uid, role)
    session, _ = sessions.open_session(get_user("cust-1"))
    sessions.assign_agent(get_user("agent-1"), session.id)
    messages.post_message(get_user("cust-1"), session.id, "first")
    messages.post_message(get_user("agent-1"), session.id, "reply")
    return session.id


def _state(session_id: str) -> tuple[Any, ...]:
    from livechat.extensions import db
    from livechat.models import ChatMessage, ChatNote, ChatSession

    db.session.remove()
    session = db.session.get(ChatSession, session_id)
    rows = db.session.execute(
        sa.select(ChatMessage.id, ChatMessage.is_read).where(ChatMessage.session_id == session_id)
    ).all()
    notes = db.session.scalars(sa.select(ChatNote.id).where(ChatNote.session_id == session_id))
    return session.status, session.agent_id, session.last_seq, sorted(rows), sorted(notes)


def test_the_matrix_covers_every_chat_event(app: Any) -> None:
    from livechat.realtime.chat import ChatNamespace

    handlers = {
        name[3:].replace("_", ":", 1)
        for name in dir(ChatNamespace)
        if name.startswith("on_")
        # auth:refresh is about the socket, not a chat: tests/realtime/test_auth_refresh.py.
        and name not in ("on_connect", "on_disconnect", "on_unknown_event", "on_auth_refresh")
    }
    assert handlers == {event.split("#")[0] for event in MATRIX}


@pytest.mark.parametrize("actor", list(ACTORS))
@pytest.mark.parametrize("event", [e for e in MATRIX if e != "session:end"])
def test_event_access(chat: str, sio: Any, actor: str, event: str) -> None:
    uid, role = ACTORS[actor]
    watcher = sio("cust-1")  # the owner, in the room, hears what reaches it
    assert watcher.emit("join:session", chat, callback=True)["ok"]
    watcher.get_received()
    before = _state(chat)

    client = sio(uid, role)
    ack = client.emit(event.split("#")[0], _payload(event, chat, 1), callback=True)
    expected = MATRIX[event][actor]
    if expected == OK:
        assert ack["ok"] is True, ack
        if event == "message:send#internal":  # stored, and the customer in the room heard nothing
            assert ack["note"]["internal"] is True and _state(chat)[2] == before[2]
            assert received(watcher) == []
        return
    assert ack["ok"] is False and ack["error"]["code"] == expected, ack
    # A refusal changes nothing and the room hears nothing of it.
    assert _state(chat) == before
    assert received(watcher) == []
    if actor == "stranger":
        # Not even after trying to join: typing from the stranger never reaches the room.
        client.emit("join:session", chat, callback=True)
        client.emit("typing:start", {"sessionId": chat}, callback=True)
        assert received(watcher) == []


@pytest.mark.parametrize("actor", list(ACTORS))
def test_ending_a_chat(chat: str, sio: Any, actor: str) -> None:
    uid, role = ACTORS[actor]
    before = _state(chat)
    ack = sio(uid, role).emit("session:end", {"sessionId": chat}, callback=True)
    if MATRIX["session:end"][actor] == OK:
        assert ack["ok"] and _state(chat)[0].value == "ENDED"
    else:
        assert ack["error"]["code"] == MATRIX["session:end"][actor]
        assert _state(chat) == before


def test_customers_cannot_open_the_agents_namespace(app: Any, token: Any) -> None:
    socketio = app.extensions["socketio"]
    client = socketio.test_client(app, namespace="/support", auth={"token": token("cust-1")})
    assert not client.is_connected("/support")

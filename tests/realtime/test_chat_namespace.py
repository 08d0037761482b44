"""The chat namespace's contract through Flask-SocketIO's test client (the fast layer)."""

from __future__ import annotations

from typing import Any

import pytest

from livechat import runtime
from tests.realtime.conftest import events, received, wait_event


@pytest.fixture()
def chat(ctx: Any, make_user: Any) -> Any:
    from livechat.services import sessions

    session, _ = sessions.open_session(make_user("cust-1", name="Cora"))
    make_user("agent-1", "agent", name="Ada")
    return session


def test_connect_requires_a_valid_token(app: Any) -> None:
    socketio = app.extensions["socketio"]
    for auth in (None, {}, {"token": ""}, {"token": "garbage"}, {"token": 5}, "not-a-dict"):
        client = socketio.test_client(app, auth=auth)
        assert not client.is_connected(), auth


def test_connect_accepts_an_authorization_header(app: Any, token: Any) -> None:
    client = app.extensions["socketio"].test_client(
        app, headers={"Authorization": f"Bearer {token('cust-9')}"}
    )
    assert client.is_connected()
    client.disconnect()


def test_connect_tells_the_user_their_open_chat_or_none(
    chat: Any, sio: Any, make_user: Any
) -> None:
    from livechat.services import sessions
    from livechat.services.users import get_user

    (current,) = events(sio("cust-1"), "session:current")
    assert current["session"]["id"] == chat.id and current["session"]["status"] == "ACTIVE"
    assert current["assistant"] is False  # AI_ENABLED is off under testing
    none = {"session": None, "assistant": False}
    make_user("cust-2")
    assert events(sio("cust-2"), "session:current") == [none]
    assert events(sio("agent-1", "agent"), "session:current") == [none]
    sessions.end_session(get_user("cust-1"), chat.id)
    assert events(sio("cust-1"), "session:current") == [none]


def test_join_gives_history_and_tells_the_others(chat: Any, sio: Any) -> None:
    from livechat.services import messages
    from livechat.services.users import get_user

    for i in range(55):
        messages.post_message(get_user("cust-1"), chat.id, f"m{i}")
    agent = sio("agent-1", "agent")
    assert agent.emit("join:session", chat.id, callback=True)["ok"]
    history = events(agent, "session:history")[0]
    assert history["sessionId"] == chat.id and history["session"]["id"] == chat.id
    assert [m["seq"] for m in history["messages"]] == list(range(6, 56))
    assert history["hasMore"] is True

    customer = sio("cust-1")
    ack = customer.emit("join:session", {"sessionId": chat.id, "afterSeq": 52}, callback=True)
    assert ack == {"ok": True, "sessionId": chat.id, "lastSeq": 55}
    assert [m["seq"] for m in events(customer, "session:history")[0]["messages"]] == [53, 54, 55]
    assert events(agent, "user:joined") == [
        {"sessionId": chat.id, "userId": "cust-1", "role": "user"}
    ]
    assert events(customer, "user:joined") == []


def test_someone_elses_session_is_forbidden(chat: Any, sio: Any) -> None:
    intruder = sio("cust-2")
    ack = intruder.emit("join:session", chat.id, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "forbidden"
    errors = events(intruder, "error")
    assert errors == [{**ack["error"], "event": "join:session"}]
    for event, payload in [
        ("message:send", {"sessionId": chat.id, "content": "hi"}),
        ("typing:start", {"sessionId": chat.id}),
        ("message:read", {"sessionId": chat.id, "upToSeq": 10}),
    ]:
        ack = intruder.emit(event, payload, callback=True)
        assert ack["error"]["code"] == "forbidden", event
    # Nobody in the room heard anything from the intruder.
    owner = sio("cust-1")
    owner.emit("join:session", chat.id, callback=True)
    owner.get_received()
    intruder.emit("typing:start", {"sessionId": chat.id}, callback=True)
    assert received(owner) == []


def test_send_is_stored_then_broadcast_to_the_room_and_other_tabs(chat: Any, sio: Any) -> None:
    tab1, tab2 = sio("cust-1"), sio("cust-1")
    agent = sio("agent-1", "agent")
    for c in (tab1, tab2, agent):
        c.emit("join:session", chat.id, callback=True)
        c.get_received()

    ack = tab1.emit(
        "message:send",
        {"sessionId": chat.id, "content": "My card", "clientMessageId": "c-1"},
        callback=True,
    )
    assert ack["ok"] and ack["duplicate"] is False
    stored = ack["message"]
    assert stored["seq"] == 1 and stored["senderType"] == "USER" and stored["content"] == "My card"
    for c in (tab1, tab2, agent):
        assert events(c, "message:new") == [stored]

    # A retry of the same clientMessageId: same message, no new broadcast.
    again = tab1.emit(
        "message:send",
        {"sessionId": chat.id, "content": "My card", "clientMessageId": "c-1"},
        callback=True,
    )
    assert again["ok"] and again["duplicate"] is True and again["message"]["id"] == stored["id"]
    assert events(agent, "message:new") == []

    from livechat.services import messages
    from livechat.services.users import get_user

    _, items, _ = messages.list_messages(get_user("cust-1"), chat.id)
    assert [m.content for m in items] == ["My card"]


def test_agent_must_be_assigned_and_ended_sessions_refuse(chat: Any, sio: Any) -> None:
    agent = sio("agent-1", "agent")
    ack = agent.emit("message:send", {"sessionId": chat.id, "content": "hi"}, callback=True)
    assert ack["error"]["code"] == "not_assigned"

    from livechat.services import sessions
    from livechat.services.users import get_user

    sessions.assign_agent(get_user("agent-1"), chat.id)
    ack = agent.emit("message:send", {"sessionId": chat.id, "content": "Hello"}, callback=True)
    assert ack["ok"] and ack["message"]["senderType"] == "AGENT"

    sessions.end_session(get_user("agent-1"), chat.id)
    customer = sio("cust-1")
    ack = customer.emit("message:send", {"sessionId": chat.id, "content": "wait"}, callback=True)
    assert ack["error"]["code"] == "session_ended"


def test_session_updates_reach_room_and_owner_from_rest(
    chat: Any, sio: Any, client: Any, auth: Any
) -> None:
    customer_in_room = sio("cust-1")
    customer_in_room.emit("join:session", chat.id, callback=True)
    customer_elsewhere = sio("cust-1")  # another tab that has not joined the room
    agent = sio("agent-1", "agent")
    agent.emit("join:session", chat.id, callback=True)
    for c in (customer_in_room, customer_elsewhere, agent):
        c.get_received()

    resp = client.post(
        f"/api/support/chat/sessions/{chat.id}/assign", headers=auth("agent-1", "agent")
    )
    assert resp.status_code == 200
    for c in (customer_in_room, customer_elsewhere, agent):
        updates = events(c, "session:updated")
        assert len(updates) == 1
        assert updates[0]["session"]["agentId"] == "agent-1"
        assert updates[0]["session"]["agent"]["displayName"] == "Ada"

    resp = client.post(
        f"/api/support/chat/sessions/{chat.id}/messages",
        json={"content": "Hi, Ada here"},
        headers=auth("agent-1", "agent"),
    )
    assert resp.status_code == 201
    assert events(customer_in_room, "message:new") == [resp.get_json()]

    client.post(f"/api/support/chat/sessions/{chat.id}/end", headers=auth("agent-1", "agent"))
    assert events(customer_elsewhere, "session:updated")[0]["session"]["status"] == "ENDED"


def test_typing_is_relayed_expires_and_stops_on_message(app: Any, chat: Any, sio: Any) -> None:
    customer, agent = sio("cust-1"), sio("agent-1", "agent")
    for c in (customer, agent):
        c.emit("join:session", chat.id, callback=True)
        c.get_received()
    tracker = runtime.typing_tracker(app)
    ttl, tracker.ttl = tracker.ttl, 0.2
    try:
        assert customer.emit("typing:start", {"sessionId": chat.id}, callback=True)["ok"]
        customer.emit("typing:start", {"sessionId": chat.id}, callback=True)  # refresh: no repeat
        expected = {"sessionId": chat.id, "userId": "cust-1", "role": "user"}
        assert events(agent, "typing:start") == [expected]
        assert events(customer, "typing:start") == []
        assert wait_event(agent, "typing:stop") == expected  # once the TTL has run out

        customer.emit("typing:start", {"sessionId": chat.id}, callback=True)
        customer.emit("message:send", {"sessionId": chat.id, "content": "done"}, callback=True)
        names = [name for name, _ in received(agent)]
        assert names == ["typing:start", "typing:stop", "message:new"]
        # The expiry timer was cancelled: once the tracker's timers have all ended (killed, or
        # expired and spoken), nothing more was said.
        assert tracker._group.join(timeout=5)
        assert events(agent, "typing:stop") == []

        customer.emit("typing:start", {"sessionId": chat.id}, callback=True)
        assert customer.emit("typing:stop", {"sessionId": chat.id}, callback=True)["ok"]
        assert [n for n, _ in received(agent)] == ["typing:start", "typing:stop"]
    finally:
        tracker.ttl = ttl


def test_read_receipts(chat: Any, sio: Any) -> None:
    from livechat.services import messages, sessions
    from livechat.services.users import get_user

    sessions.assign_agent(get_user("agent-1"), chat.id)
    m1, _ = messages.post_message(get_user("agent-1"), chat.id, "one")
    m2, _ = messages.post_message(get_user("agent-1"), chat.id, "two")
    mine, _ = messages.post_message(get_user("cust-1"), chat.id, "mine")
    customer, agent = sio("cust-1"), sio("agent-1", "agent")
    for c in (customer, agent):
        c.emit("join:session", chat.id, callback=True)
        c.get_received()

    ack = customer.emit("message:read", {"sessionId": chat.id, "upToSeq": 3}, callback=True)
    assert ack["ok"] and ack["messageIds"] == [m1.id, m2.id]  # not the reader's own message
    receipt = events(agent, "message:read")[0]
    assert receipt["readerId"] == "cust-1" and receipt["messageIds"] == [m1.id, m2.id]
    assert receipt["readAt"] == ack["readAt"]
    # Already read: nothing new, no receipt.
    again = customer.emit("message:read", {"sessionId": chat.id, "upToSeq": 3}, callback=True)
    assert again["messageIds"] == [] and events(agent, "message:read") == []

    ack = agent.emit("message:read", {"sessionId": chat.id, "messageIds": [mine.id]}, callback=True)
    assert ack["messageIds"] == [mine.id]
    history = customer.emit("join:session", chat.id, callback=True)
    assert history["ok"]
    msgs = events(customer, "session:history")[0]["messages"]
    assert all(m["isRead"] and m["readAt"] for m in msgs)


def test_leave_and_disconnect_announce_only_the_last_socket(chat: Any, sio: Any) -> None:
    agent = sio("agent-1", "agent")
    agent.emit("join:session", chat.id, callback=True)
    tab1, tab2 = sio("cust-1"), sio("cust-1")
    tab1.emit("join:session", chat.id, callback=True)
    tab2.emit("join:session", chat.id, callback=True)
    assert len(events(agent, "user:joined")) == 1

    tab1.emit("leave:session", {"sessionId": chat.id}, callback=True)
    assert events(agent, "user:left") == []
    tab2.disconnect()
    assert events(agent, "user:left") == [
        {"sessionId": chat.id, "userId": "cust-1", "role": "user"}
    ]


BAD_PAYLOADS = {
    "join:session": [
        None,
        5,
        [],
        {},
        {"sessionId": 5},
        {"sessionId": "x", "afterSeq": -1},
        {"sessionId": "x" * 65},
        {"sessionId": "s", "extra": 1},
    ],
    "leave:session": [None, "x", {}, {"sessionId": None}],
    "message:send": [
        None,
        "hi",
        {},
        {"sessionId": "S"},
        {"sessionId": "S", "content": ""},
        {"sessionId": "S", "content": "   "},
        {"sessionId": "S", "content": 7},
        {"sessionId": "S", "content": "ok", "clientMessageId": ""},
        {"sessionId": "S", "content": "ok", "metadata": {"a": "x" * 9000}},
    ],
    "typing:start": [None, {}, {"sessionId": 1}],
    "session:end": [None, {}, {"sessionId": 5}, "id"],
    "typing:stop": [None, [], {"sessionId": ""}],
    "message:read": [
        None,
        {"sessionId": "S"},
        {"sessionId": "S", "upToSeq": "x"},
        {"sessionId": "S", "upToSeq": 1, "messageIds": ["a"]},
        {"sessionId": "S", "messageIds": []},
        {"sessionId": "S", "messageIds": "a"},
    ],
}


@pytest.mark.parametrize(
    ("event", "payload"),
    [(e, p) for e, payloads in BAD_PAYLOADS.items() for p in payloads],
)
def test_bad_payloads_get_validation_errors_and_the_socket_survives(
    chat: Any, sio: Any, event: str, payload: Any
) -> None:
    if isinstance(payload, dict) and payload.get("sessionId") == "S":
        payload = {**payload, "sessionId": chat.id}
    customer = sio("cust-1")
    ack = customer.emit(event, payload, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "validation_error", ack
    assert events(customer, "error")[0]["event"] == event
    assert customer.is_connected()
    assert customer.emit("join:session", chat.id, callback=True)["ok"]


def test_a_message_over_the_limit_gets_message_too_long(chat: Any, sio: Any) -> None:
    customer = sio("cust-1")
    for content in ("x" * 4001, " " * 10 + "x" * 4001):
        ack = customer.emit(
            "message:send", {"sessionId": chat.id, "content": content}, callback=True
        )
        assert ack["ok"] is False and ack["error"]["code"] == "message_too_long", ack
        assert ack["error"]["details"] == {"limit": 4000}
        assert events(customer, "error")[0]["event"] == "message:send"
    # The limit is on the trimmed text.
    padded = " " * 10 + "x" * 4000 + "\n"
    assert customer.emit("message:send", {"sessionId": chat.id, "content": padded}, callback=True)[
        "ok"
    ]


def test_unknown_sessions_and_events(chat: Any, sio: Any) -> None:
    customer = sio("cust-1")
    for event, payload in [
        ("join:session", "no-such-session"),
        ("message:send", {"sessionId": "no-such-session", "content": "x"}),
        ("typing:start", {"sessionId": "no-such-session"}),
        ("message:read", {"sessionId": "no-such-session", "upToSeq": 1}),
    ]:
        ack = customer.emit(event, payload, callback=True)
        assert ack["error"]["code"] == "session_not_found", event
    for name in ("bogus", "message:delete", "connect", "disconnect", "join_session"):
        ack = customer.emit(name, {"sessionId": chat.id}, callback=True)
        assert ack["error"]["code"] == "unknown_event", name
    assert customer.is_connected()
    # A client-sent "disconnect" did not disconnect anyone or leave any room.
    assert customer.emit("join:session", chat.id, callback=True)["ok"]


def test_customer_ends_their_chat(chat: Any, sio: Any) -> None:
    intruder = sio("cust-2")
    ack = intruder.emit("session:end", {"sessionId": chat.id}, callback=True)
    assert ack["error"]["code"] == "forbidden"
    customer, agent = sio("cust-1"), sio("agent-1", "agent")
    for c in (customer, agent):
        c.emit("join:session", chat.id, callback=True)
        c.get_received()
    ack = customer.emit("session:end", {"sessionId": chat.id}, callback=True)
    assert ack["ok"] and ack["session"]["status"] == "ENDED"
    assert events(agent, "session:updated")[0]["session"]["status"] == "ENDED"
    again = customer.emit("session:end", {"sessionId": chat.id}, callback=True)
    assert again["error"]["code"] == "session_ended"


def test_expired_tokens_end_the_sockets_rights(
    app: Any, chat: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time
    import types

    from livechat.realtime import base

    verifier = runtime.verifier(app)
    socketio = app.extensions["socketio"]
    # This test runs the sweep itself: the periodic one (every 15 s) must not race it.
    sweeper = runtime.token_sweeper(app)
    sweeper.shutdown()
    monkeypatch.setattr(sweeper, "_interval", 0)
    short = socketio.test_client(app, auth={"token": verifier.issue("cust-1", ttl=1)})
    idle = socketio.test_client(app, auth={"token": verifier.issue("cust-1", ttl=1)})
    fresh = socketio.test_client(app, auth={"token": verifier.issue("cust-1", ttl=600)})
    assert short.is_connected() and idle.is_connected()
    # Two seconds later for the sockets' rights (a clock moved on, not a sleep).
    later = time.time() + 2
    monkeypatch.setattr(base, "time", types.SimpleNamespace(time=lambda: later))
    ack = short.emit("join:session", chat.id, callback=True)
    assert ack["error"]["code"] == "token_expired"
    assert not short.is_connected()
    # A silent socket is ended by the sweeper.
    assert runtime.token_sweeper(app).sweep() >= 1
    assert not idle.is_connected()
    assert fresh.is_connected() and fresh.emit("join:session", chat.id, callback=True)["ok"]
    fresh.disconnect()


def test_an_erased_customers_sockets_are_ended_by_the_sweep(
    app: Any, chat: Any, sio: Any, make_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from livechat.services import privacy

    sweeper = runtime.token_sweeper(app)
    sweeper.shutdown()  # the test sweeps itself
    monkeypatch.setattr(sweeper, "_interval", 0)
    customer, other_tab = sio("cust-1"), sio("cust-1")
    bystander, agent = sio("cust-2"), sio("agent-1", "agent")
    assert customer.emit("join:session", chat.id, callback=True)["ok"]
    assert agent.emit("join:session", chat.id, callback=True)["ok"]
    assert sweeper.sweep() == 0  # nobody erased: nobody ended
    privacy.erase_customer(make_user("admin-1", "admin"), "cust-1", confirm="cust-1")
    assert sweeper.sweep() == 2
    for tab in (customer, other_tab):
        assert not tab.is_connected()
        # Told why first (read from the test client's buffer: it refuses once disconnected).
        notices = [p["args"][0] for p in tab.queue if p["name"] == "error"]
        assert [n["code"] for n in notices] == ["account_erased"]
    assert bystander.is_connected() and agent.is_connected()
    assert sweeper.sweep() == 0


def test_binary_payloads_are_refused_and_replies_are_plain_json(
    app: Any, chat: Any, sio: Any
) -> None:
    from socketio import packet

    customer = sio("cust-1")
    assert customer.emit("join:session", chat.id, callback=True)["ok"]
    ack = customer.emit(
        "message:send", {"sessionId": chat.id, "content": b"\x00\x01 bytes"}, callback=True
    )
    assert ack["ok"] is False and ack["error"]["code"] == "validation_error"
    assert customer.is_connected()
    # What the server sends is never a BINARY_EVENT: the payload scan for bytes is off.
    server = app.extensions["socketio"].server
    pkt = server.packet_class(packet.EVENT, data=["message:new", {"content": "x"}])
    assert pkt.packet_type == packet.EVENT
    ok = customer.emit("message:send", {"sessionId": chat.id, "content": "text"}, callback=True)
    assert ok["ok"] and ok["message"]["content"] == "text"


def test_a_refused_join_leaves_the_socket_in_no_room_of_that_chat(
    app: Any, chat: Any, sio: Any
) -> None:
    """Staff, and a customer's own chat, join the rooms before the one read that checks (the
    read comes after, so nothing committed meanwhile is missed); a refusal undoes it."""
    from livechat.realtime.rooms import session_room, session_staff_room

    server = app.extensions["socketio"].server
    agent = sio("agent-rooms", "agent")
    ack = agent.emit("join:session", "no-such-session", callback=True)
    assert ack["error"]["code"] == "session_not_found"
    sid = server.manager.sid_from_eio_sid(agent.eio_sid, "/")
    rooms = set(server.manager.get_rooms(sid, "/"))
    assert not rooms & {session_room("no-such-session"), session_staff_room("no-such-session")}
    # The same socket then joins a real chat as usual.
    assert agent.emit("join:session", chat.id, callback=True)["ok"]
    assert session_room(chat.id) in set(server.manager.get_rooms(sid, "/"))

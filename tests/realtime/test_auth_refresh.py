"""auth:refresh: a socket takes its user's fresh token and keeps going (same rooms, new expiry);
anything else is refused with a code, and a demoted agent loses the staff connection."""

from __future__ import annotations

import time
import types
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest

from livechat import runtime
from livechat.realtime import base
from tests.realtime.conftest import events, wait_event


@pytest.fixture()
def chat(ctx: Any, make_user: Any) -> Any:
    from livechat.services import sessions

    session, _ = sessions.open_session(make_user("cust-1", name="Cora"))
    make_user("agent-1", "agent", name="Ada")
    return session


def _connect(app: Any, token: str, namespace: str = "/") -> Any:
    """A test client signed in with exactly ``token`` (the ``sio`` fixture issues its own)."""
    client = app.extensions["socketio"].test_client(app, namespace=namespace, auth={"token": token})
    assert client.is_connected(namespace)
    return client


def _expires_at(app: Any, namespace: str, client: Any) -> float | None:
    """When the server takes this test client's socket on ``namespace`` to expire."""
    server = app.extensions["socketio"].server
    sid = server.manager.sid_from_eio_sid(client.eio_sid, namespace)
    return server.namespace_handlers[namespace].clients[sid].expires_at


@pytest.mark.parametrize("namespace", ["/", "/support"])
def test_a_fresh_token_moves_the_expiry_without_a_reconnect(
    app: Any, chat: Any, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    verifier = runtime.verifier(app)
    # This test moves the clock itself: the periodic sweep (every 15 s) must not race it.
    sweeper = runtime.token_sweeper(app)
    sweeper.shutdown()
    monkeypatch.setattr(sweeper, "_interval", 0)
    agent = _connect(app, verifier.issue("agent-1", role="agent", ttl=60), namespace)
    if namespace == "/":
        assert agent.emit("join:session", chat.id, callback=True)["ok"]
    agent.get_received(namespace)

    fresh = verifier.issue("agent-1", role="agent", ttl=3600)
    ack = agent.emit("auth:refresh", {"token": fresh}, namespace=namespace, callback=True)
    assert ack["ok"], ack
    # The new token's expiry, to the second (the first one's was an hour earlier).
    exp = jwt.decode(fresh, options={"verify_signature": False})["exp"]
    assert datetime.fromisoformat(ack["expiresAt"]) == datetime.fromtimestamp(exp, UTC)
    assert _expires_at(app, namespace, agent) == exp

    # Two minutes on, the first token has run out; the socket lives on the new one.
    later = time.time() + 120
    monkeypatch.setattr(base, "time", types.SimpleNamespace(time=lambda: later))
    ns = app.extensions["socketio"].server.namespace_handlers[namespace]
    assert ns.sweep_expired() == 0
    assert agent.is_connected(namespace)
    if namespace == "/support":
        assert agent.emit("queue:get", None, namespace=namespace, callback=True)["ok"]
        agent.disconnect(namespace=namespace)
        return
    # Still in the chat's room: the customer's next message reaches it, no join needed.
    customer = _connect(app, verifier.issue("cust-1"))
    sent = customer.emit(
        "message:send", {"sessionId": chat.id, "content": "still there?"}, callback=True
    )
    assert sent["ok"], sent
    got = wait_event(agent, "message:new", until=lambda m: m["content"] == "still there?")
    assert got["sessionId"] == chat.id
    customer.disconnect()
    agent.disconnect()


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (None, "validation_error"),
        ("a-token-as-a-bare-string", "validation_error"),
        ({}, "validation_error"),
        ({"token": 42}, "validation_error"),
        ({"token": ""}, "validation_error"),
        ({"token": "garbage"}, "invalid_token"),
        ({"token": "x" * 9000}, "invalid_token"),
    ],
)
def test_bad_refreshes_are_refused_with_a_code_and_change_nothing(
    app: Any, chat: Any, payload: Any, code: str
) -> None:
    agent = _connect(app, runtime.verifier(app).issue("agent-1", role="agent", ttl=600))
    before = _expires_at(app, "/", agent)
    ack = agent.emit("auth:refresh", payload, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == code, ack
    assert ack["error"]["message"]
    assert [e["code"] for e in events(agent, "error")] == [code]
    assert agent.is_connected() and _expires_at(app, "/", agent) == before
    assert agent.emit("join:session", chat.id, callback=True)["ok"]
    agent.disconnect()


def test_another_users_or_an_expired_token_is_refused(app: Any, chat: Any) -> None:
    verifier = runtime.verifier(app)
    agent = _connect(app, verifier.issue("agent-1", role="agent", ttl=600), "/support")
    before = _expires_at(app, "/support", agent)
    for token, code in (
        (verifier.issue("agent-2", role="agent", ttl=3600), "uid_mismatch"),
        (verifier.issue("agent-1", role="agent", ttl=-60), "token_expired"),
    ):
        ack = agent.emit("auth:refresh", {"token": token}, namespace="/support", callback=True)
        assert ack["ok"] is False and ack["error"]["code"] == code, ack
    assert agent.is_connected("/support") and _expires_at(app, "/support", agent) == before
    assert agent.emit("queue:get", None, namespace="/support", callback=True)["ok"]
    agent.disconnect(namespace="/support")


@pytest.mark.parametrize("namespace", ["/support", "/"])
def test_a_demoted_agents_socket_is_ended(app: Any, chat: Any, namespace: str) -> None:
    verifier = runtime.verifier(app)
    agent = _connect(app, verifier.issue("agent-1", role="agent", ttl=600), namespace)
    if namespace == "/":
        assert agent.emit("join:session", chat.id, callback=True)["ok"]
    agent.get_received(namespace)
    ack = agent.emit(
        "auth:refresh",
        {"token": verifier.issue("agent-1", role="user", ttl=3600)},
        namespace=namespace,
        callback=True,
    )
    assert ack["ok"] is False and ack["error"]["code"] == "forbidden", ack
    assert not agent.is_connected(namespace)
    # Told why before it was closed (the test client's buffer: it refuses reads once closed).
    notices = [p["args"][0] for p in agent.queue if p["name"] == "error"]
    assert notices and notices[0]["code"] == "forbidden"


def test_a_customer_refreshes_on_the_chat_namespace(app: Any, chat: Any, sio: Any) -> None:
    verifier = runtime.verifier(app)
    customer = sio("cust-1")
    ack = customer.emit("auth:refresh", {"token": verifier.issue("cust-1")}, callback=True)
    assert ack["ok"], ack
    assert customer.emit("join:session", chat.id, callback=True)["ok"]

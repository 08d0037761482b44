"""A way to a person, with or without the assistant, against the real server over websocket:
session:request_human (and its REST twin), and AI_ENABLED=false queueing the first message."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import server_env
from tests.support.server import ServerProcess

pytestmark = pytest.mark.timeout(120)
BASE = "/api/support/chat"


def _server(app: Any, pg_url: str, path: Any, **env: str) -> ServerProcess:
    return ServerProcess(server_env(app, pg_url, **env), path)


@pytest.fixture(scope="module")
def no_ai(app: Any, pg_url: str, tmp_path_factory: Any) -> Iterator[ServerProcess]:
    """The assistant off, as a team without one runs it (queueing on, unlike under testing)."""
    server = _server(
        app,
        pg_url,
        tmp_path_factory.mktemp("no-ai") / "server.log",
        AI_ENABLED="false",
        QUEUE_WITHOUT_ASSISTANT="true",
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def with_ai(app: Any, pg_url: str, tmp_path_factory: Any) -> Iterator[ServerProcess]:
    server = _server(
        app,
        pg_url,
        tmp_path_factory.mktemp("ai") / "server.log",
        AI_ENABLED="true",
        AI_PROVIDER="offline",
        AI_OFFLINE_CHUNK_DELAY="0",
    )
    yield server
    server.stop()


def _chat(server: Any, connect: Any, token: Any, uid: str) -> tuple[Any, str]:
    """A customer's socket, joined to their new chat."""
    client = connect(server, uid)
    status, body = server.request("POST", f"{BASE}/sessions/user", token(uid), {})
    assert status == 201, body
    assert client.call("join:session", body["id"])["ok"]
    return client, body["id"]


@pytest.mark.parametrize(
    ("text", "priority"),
    [("I want a human, my card was stolen", "URGENT"), ("How do I change my PIN?", "MEDIUM")],
)
def test_without_the_assistant_the_first_message_queues_the_chat(
    no_ai: Any, connect: Any, token: Any, text: str, priority: str
) -> None:
    uid = f"noai-{priority.lower()}"
    agent = connect(no_ai, "noai-agent", "agent", namespaces=["/support"])
    customer, sid = _chat(no_ai, connect, token, uid)
    assert ("session:current", {"session": None, "assistant": False}) in customer.history
    assert customer.call("message:send", {"sessionId": sid, "content": text})["ok"]

    escalated = agent.wait_for("session:escalated", lambda p: p["session"]["id"] == sid)
    assert escalated["ticket"]["priority"] == priority
    # The notice is stored with the escalation, and so announced first.
    notice = customer.wait_for("message:new", lambda m: m["senderType"] == "SYSTEM")
    assert "A person from our team will answer here" in notice["content"]
    updated = customer.wait_for("session:updated", lambda p: p["session"]["status"] == "WAITING")
    assert updated["session"]["metadata"]["escalation"]["rule"] == "no_assistant"
    status, queue = no_ai.request("GET", f"{BASE}/queue", token("noai-agent", "agent"))
    assert status == 200
    (entry,) = [e for e in queue["items"] if e["id"] == sid]
    assert entry["escalation"]["priority"] == priority
    # Nobody answers in the assistant's place: the chat holds the message and the notice only.
    customer.sync()
    senders = [p["senderType"] for e, p in customer.history if e == "message:new"]
    assert senders == ["USER", "SYSTEM"]
    assert not [e for e, _ in customer.history if e.startswith("ai:")]


@pytest.mark.parametrize("assistant", [True, False])
def test_request_human_queues_the_chat_once(
    with_ai: Any, no_ai: Any, connect: Any, token: Any, assistant: bool
) -> None:
    server = with_ai if assistant else no_ai
    uid = f"ask-{assistant}"
    customer, sid = _chat(server, connect, token, uid)
    assert ("session:current", {"session": None, "assistant": assistant}) in customer.history

    ack = customer.call("session:request_human", {"sessionId": sid})
    assert ack["ok"] and ack["alreadyWaiting"] is False, ack
    assert ack["ticket"]["priority"] == "MEDIUM" and ack["session"]["status"] == "WAITING"
    assert ack["session"]["metadata"]["escalation"]["rule"] == "customer_request"
    notice = customer.wait_for("message:new", lambda m: m["senderType"] == "SYSTEM")
    assert "a person from our team will take over" in notice["content"]
    customer.wait_for("session:updated", lambda p: p["session"]["status"] == "WAITING")

    # Again, over the socket and REST: nothing changes, and the answer says so.
    again = customer.call("session:request_human", {"sessionId": sid})
    assert again["ok"] and again["alreadyWaiting"] is True and again["ticket"] is None
    status, body = server.request("POST", f"{BASE}/sessions/{sid}/request-human", token(uid))
    assert status == 200 and body["alreadyWaiting"] is True and body["ticket"] is None
    # A message while waiting: still one ticket, no reply from the assistant.
    assert customer.call("message:send", {"sessionId": sid, "content": "hello?"})["ok"]
    customer.sync()
    status, tickets = server.request("GET", f"{BASE}/queue", token("ask-agent", "agent"))
    assert [e["id"] for e in tickets["items"]].count(sid) == 1
    assert not [e for e, _ in customer.history if e in ("ai:processing", "ai:delta")]


def test_request_human_over_rest(no_ai: Any, token: Any) -> None:
    status, chat = no_ai.request("POST", f"{BASE}/sessions/user", token("rest-ask"), {})
    assert status == 201
    status, body = no_ai.request(
        "POST", f"{BASE}/sessions/{chat['id']}/request-human", token("rest-ask")
    )
    assert status == 200, body
    assert body["alreadyWaiting"] is False and body["ticket"]["priority"] == "MEDIUM"
    assert body["session"]["status"] == "WAITING"


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (None, "validation_error"),
        ({}, "validation_error"),
        ({"sessionId": ""}, "validation_error"),
        ({"sessionId": 5}, "validation_error"),
        ("not-an-object", "validation_error"),
        ({"sessionId": "no-such-chat"}, "session_not_found"),
        ({"sessionId": "OTHER"}, "forbidden"),
        ({"sessionId": "ENDED"}, "session_ended"),
    ],
)
def test_request_human_refusals_change_nothing(
    no_ai: Any, connect: Any, token: Any, payload: Any, code: str
) -> None:
    customer, sid = _chat(no_ai, connect, token, "bad-ask")
    _, other = no_ai.request("POST", f"{BASE}/sessions/user", token("bad-other"), {})
    if payload == {"sessionId": "ENDED"}:
        assert customer.call("session:end", {"sessionId": sid})["ok"]
    target = {"OTHER": other["id"], "ENDED": sid}
    if isinstance(payload, dict) and payload.get("sessionId") in target:
        payload = {"sessionId": target[payload["sessionId"]]}

    ack = customer.call("session:request_human", payload)
    assert ack["ok"] is False and ack["error"]["code"] == code, ack
    assert customer.wait_for("error")["code"] == code
    if (
        isinstance(payload, dict)
        and isinstance(payload.get("sessionId"), str)
        and payload["sessionId"]
    ):
        status, body = no_ai.request(
            "POST", f"{BASE}/sessions/{payload['sessionId']}/request-human", token("bad-ask")
        )
        assert body["error"]["code"] == code
        assert status == {"session_not_found": 404, "forbidden": 403, "session_ended": 409}[code]
    status, queue = no_ai.request("GET", f"{BASE}/queue", token("bad-agent", "agent"))
    assert status == 200 and queue["items"] == []

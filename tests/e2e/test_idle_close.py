"""Idle chats end by themselves on the real server, seen by the customer's and agent's sockets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import server_env
from tests.support.server import ServerProcess

pytestmark = pytest.mark.timeout(90)
BASE = "/api/support/chat"


@pytest.fixture(scope="module")
def idle_server(app: Any, pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    env = server_env(
        app,
        pg_url,
        AI_ENABLED="true",
        AI_PROVIDER="offline",
        AI_OFFLINE_CHUNK_DELAY="0",
        IDLE_CLOSE_SECONDS="2",
        IDLE_WARN_SECONDS="1",
        IDLE_SWEEP_SECONDS="0.2",
    )
    server = ServerProcess(env, tmp_path_factory.mktemp("idle") / "server.log")
    yield server
    server.stop()


def _open(server: Any, token: Any, uid: str) -> str:
    status, body = server.request("POST", f"{BASE}/sessions/user", token(uid), {})
    assert status == 201, body
    return str(body["id"])


def _kind(message: dict[str, Any]) -> Any:
    return (message.get("metadata") or {}).get("kind")


def _ended(sid: str) -> Any:
    return lambda d: d["session"]["id"] == sid and d["session"]["status"] == "ENDED"


def test_an_ai_chat_closes_while_a_waiting_one_stays(
    idle_server: Any, connect: Any, token: Any
) -> None:
    # Waiting for a human: older than the AI chat below, so the sweep that closes that one has
    # looked at this one too.
    waiting_sid = _open(idle_server, token, "idle-waiting")
    waiting = connect(idle_server, "idle-waiting")
    waiting.call("join:session", waiting_sid)
    waiting.call(
        "message:send", {"sessionId": waiting_sid, "content": "I want to talk to a human agent"}
    )
    waiting.wait_for("session:updated", lambda d: d["session"]["status"] == "WAITING")

    sid = _open(idle_server, token, "idle-ai")
    customer = connect(idle_server, "idle-ai")
    customer.call("join:session", sid)
    customer.call("message:send", {"sessionId": sid, "content": "How do I freeze my card?"})
    customer.wait_for("message:new", lambda m: m["senderType"] == "AI")
    notice = customer.wait_for("message:new", lambda m: _kind(m) == "idle_closed")
    assert notice["senderType"] == "SYSTEM" and notice["metadata"]["outcome"] == "resolved"
    update = customer.wait_for("session:updated", _ended(sid))
    assert "outcome" not in update["session"]  # staff-only: the customer sees the notice
    ack = customer.call("message:send", {"sessionId": sid, "content": "still there?"})
    assert ack["ok"] is False and ack["error"]["code"] == "session_ended"

    waiting.sync()
    kinds = [_kind(d) for e, d in waiting.history if e == "message:new"]
    assert "escalation" in kinds and not [k for k in kinds if str(k).startswith("idle_")]
    status, body = idle_server.request("GET", f"{BASE}/sessions/active", token("idle-waiting"))
    assert status == 200 and body["status"] == "WAITING"


def test_an_agents_chat_is_warned_then_closed(idle_server: Any, connect: Any, token: Any) -> None:
    sid = _open(idle_server, token, "idle-cust")
    agent_token = token("idle-agent", "agent")
    status, _ = idle_server.request("POST", f"{BASE}/sessions/{sid}/assign", agent_token)
    assert status == 200
    customer = connect(idle_server, "idle-cust")
    agent = connect(idle_server, "idle-agent", "agent")
    customer.call("join:session", sid)
    agent.call("join:session", sid)
    agent.call("message:send", {"sessionId": sid, "content": "Is there anything else?"})

    customer.wait_for("session:updated", _ended(sid))
    agent.wait_for("session:updated", _ended(sid))
    kinds = [_kind(d) for e, d in customer.history if e == "message:new" and _kind(d)]
    assert kinds == ["idle_warning", "idle_closed"]  # warned once, first
    warning = next(d for e, d in customer.history if e == "message:new" and _kind(d))
    assert warning["content"].startswith("Are you still there?")

    # A new conversation can be opened right away.
    status, body = idle_server.request("POST", f"{BASE}/sessions/user", token("idle-cust"), {})
    assert status == 201 and body["id"] != sid

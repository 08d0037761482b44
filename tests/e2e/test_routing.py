"""Automatic routing, agent status and offline agents' chats, on the real server over sockets
(ROUTING=auto, AGENT_CAPACITY=2, a short offline grace)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from tests.e2e.conftest import server_env
from tests.support.server import ServerProcess

pytestmark = pytest.mark.timeout(90)
BASE = "/api/support/chat"


@pytest.fixture(scope="module")
def routed(app: Any, pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    env = server_env(
        app,
        pg_url,
        ROUTING="auto",
        AGENT_CAPACITY="2",
        AGENT_OFFLINE_GRACE_SECONDS="0.5",
    )
    server = ServerProcess(env, tmp_path_factory.mktemp("routing") / "server.log")
    yield server
    server.stop()


def _waiting_customer(server: Any, connect: Any, token: Any, uid: str) -> tuple[Any, str]:
    """A customer whose chat asked for a person, joined to it."""
    status, body = server.request("POST", f"{BASE}/sessions/user", token(uid), {})
    assert status == 201, body
    sid = str(body["id"])
    customer = connect(server, uid)
    assert customer.call("join:session", sid)["ok"]
    ack = customer.call("session:request_human", {"sessionId": sid})
    assert ack["ok"], ack
    return customer, sid


def _assigned_to(sid: str, agent: str) -> Any:
    return lambda d: d["session"]["id"] == sid and d["session"].get("agentId") == agent


def _agent(d: dict[str, Any], uid: str) -> dict[str, Any]:
    return next(a for a in d["agentsOnline"] if a["id"] == uid)


def _at(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def test_capacity_holds_the_third_chat_until_one_ends(
    routed: Any, connect: Any, token: Any
) -> None:
    agent = connect(routed, "rt-agent", "agent", namespaces=["/", "/support"])
    one, sid1 = _waiting_customer(routed, connect, token, "rt-c1")
    two, sid2 = _waiting_customer(routed, connect, token, "rt-c2")
    one.wait_for("session:updated", _assigned_to(sid1, "rt-agent"))
    notice = one.wait_for(
        "message:new",
        lambda m: (
            m["senderType"] == "SYSTEM"
            and (m.get("metadata") or {}).get("kind") == "agent_assigned"
        ),
    )
    assert notice["metadata"]["agentId"] == "rt-agent"
    two.wait_for("session:updated", _assigned_to(sid2, "rt-agent"))
    three, sid3 = _waiting_customer(routed, connect, token, "rt-c3")
    # The agent is full: the third chat is in the queue while they hold two.
    agent.wait_for(
        "queue:updated",
        lambda d: (
            [w["id"] for w in d["waiting"]] == [sid3] and _agent(d, "rt-agent")["openChats"] == 2
        ),
    )
    status, ended = routed.request(
        "POST", f"{BASE}/sessions/{sid1}/end", token("rt-agent", "agent")
    )
    assert status == 200, ended
    update = three.wait_for("session:updated", _assigned_to(sid3, "rt-agent"))
    # Routed only once a slot was free: after the first chat ended, never before.
    assert _at(update["session"]["assignedAt"]) >= _at(ended["endedAt"])
    routed.request("POST", f"{BASE}/sessions/{sid2}/end", token("rt-agent", "agent"))
    routed.request("POST", f"{BASE}/sessions/{sid3}/end", token("rt-agent", "agent"))


def test_an_away_agent_is_not_routed_to(routed: Any, connect: Any, token: Any) -> None:
    agent = connect(routed, "rt-away", "agent", namespaces=["/", "/support"])
    ack = agent.call("agent:status", {"status": "away"}, namespace="/support")
    assert ack == {"ok": True, "status": "away"}
    bad = agent.call("agent:status", {"status": "lunch"}, namespace="/support")
    assert bad["ok"] is False and bad["error"]["code"] == "validation_error"
    customer, sid = _waiting_customer(routed, connect, token, "rt-c4")
    agent.wait_for(
        "queue:updated",
        lambda d: (
            sid in [w["id"] for w in d["waiting"]] and _agent(d, "rt-away")["status"] == "away"
        ),
    )
    back = time.time()
    assert agent.call("agent:status", {"status": "available"}, namespace="/support")["ok"]
    update = customer.wait_for("session:updated", _assigned_to(sid, "rt-away"))
    # Given to them only once they were available again.
    assert _at(update["session"]["assignedAt"]) >= back - 0.01
    routed.request("POST", f"{BASE}/sessions/{sid}/end", token("rt-away", "agent"))


def test_an_offline_agents_chats_go_back_to_the_queue(
    routed: Any, connect: Any, token: Any
) -> None:
    watcher = connect(routed, "rt-watch", "agent", namespaces=["/support"])
    assert watcher.call("agent:status", {"status": "away"}, namespace="/support")["ok"]
    leaver = connect(routed, "rt-leaver", "agent", namespaces=["/", "/support"])
    customer, sid = _waiting_customer(routed, connect, token, "rt-c5")
    customer.wait_for("session:updated", _assigned_to(sid, "rt-leaver"))
    assert customer.call("message:send", {"sessionId": sid, "content": "still blocked"})["ok"]
    leaver.close()
    notice = customer.wait_for(
        "message:new", lambda m: (m.get("metadata") or {}).get("kind") == "requeued"
    )
    assert notice["senderType"] == "SYSTEM"
    update = customer.wait_for(
        "session:updated",
        lambda d: d["session"]["id"] == sid and d["session"]["status"] == "WAITING",
    )
    assert update["session"].get("agentId") is None
    # The watching agent sees it back in the queue, the one who left no longer online.
    watcher.wait_for(
        "queue:updated",
        lambda d: (
            sid in [w["id"] for w in d["waiting"]]
            and "rt-leaver" not in [a["id"] for a in d["agentsOnline"]]
        ),
    )
    status, page = routed.request("GET", f"{BASE}/sessions/{sid}/messages", token("rt-c5"))
    assert status == 200 and "still blocked" in [m["content"] for m in page["items"]]
    routed.request("POST", f"{BASE}/sessions/{sid}/end", token("rt-watch", "agent"))


def test_a_dead_processs_agent_is_swept_by_the_next_process(
    app: Any, pg_url: str, connect: Any, token: Any, tmp_path: Any
) -> None:
    env = server_env(
        app,
        pg_url,
        AGENT_OFFLINE_GRACE_SECONDS="0.5",
        AGENT_OFFLINE_SWEEP_SECONDS="1",
    )
    first = ServerProcess(env, tmp_path / "first.log")
    try:
        connect(first, "sw-agent", "agent", namespaces=["/", "/support"])
        customer, sid = _waiting_customer(first, connect, token, "sw-c1")
        status, _ = first.request(
            "POST", f"{BASE}/sessions/{sid}/assign", token("sw-agent", "agent")
        )
        assert status == 200
        customer.wait_for("session:updated", _assigned_to(sid, "sw-agent"))
    finally:
        first.kill()  # SIGKILL while the agent is connected: no disconnect, no offline check
        first.stop()  # (closes its log)
    second = ServerProcess(env, tmp_path / "second.log")
    try:
        # The watcher's first queue:updated is the queue as it is when it connects, so it sees
        # the chat come back whether the sweep ran before or after.
        watcher = connect(second, "sw-watch", "agent", namespaces=["/support"])
        watcher.wait_for(
            "queue:updated",
            lambda d: sid in [w["id"] for w in d["waiting"]],
            timeout=15,
        )
        status, page = second.request("GET", f"{BASE}/sessions/{sid}/messages", token("sw-c1"))
        assert status == 200
        kinds = [(m.get("metadata") or {}).get("kind") for m in page["items"]]
        assert "requeued" in kinds
    finally:
        second.stop()

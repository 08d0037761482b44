"""Two server processes sharing Redis behave as one."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.timeout(120)
BASE = "/api/support/chat"


def test_customer_and_agent_on_different_processes(
    server_pair: tuple[Any, Any], connect: Any, token: Any
) -> None:
    a, b = server_pair
    status, session = a.request("POST", f"{BASE}/sessions/user", token("mp-cust"), {})
    assert status == 201
    sid = session["id"]
    agent_token = token("mp-agent", "agent")

    customer = connect(a, "mp-cust")
    agent = connect(b, "mp-agent", "agent", namespaces=["/", "/support"])
    agent.wait_for("queue:updated")
    assert customer.call("join:session", sid)["ok"]
    assert agent.call("join:session", sid)["ok"]
    assert customer.wait_for("user:joined")["userId"] == "mp-agent"  # presence across processes

    # Assigning on B tells the customer on A.
    status, _ = b.request("POST", f"{BASE}/sessions/{sid}/assign", agent_token)
    assert status == 200
    assert customer.wait_for("session:updated")["session"]["agentId"] == "mp-agent"

    # Socket both ways.
    sent = customer.call("message:send", {"sessionId": sid, "content": "hello from A"})
    assert agent.wait_for("message:new", lambda m: m["id"] == sent["message"]["id"])
    reply = agent.call("message:send", {"sessionId": sid, "content": "hello from B"})
    assert customer.wait_for("message:new", lambda m: m["id"] == reply["message"]["id"])

    # A REST-posted agent message on B reaches the customer's socket on A, once.
    status, posted = b.request(
        "POST", f"{BASE}/sessions/{sid}/messages", agent_token, {"content": "via REST on B"}
    )
    assert status == 201
    got = customer.wait_for("message:new", lambda m: m["id"] == posted["id"])
    assert got == posted
    # Once: B says something after it (the agent types), which A relays to the customer only
    # after anything B published before it; then a round trip on the customer's socket.
    assert agent.call("typing:start", {"sessionId": sid})["ok"]
    customer.wait_for("typing:start")
    customer.sync()
    assert [d["id"] for e, d in customer.history if e == "message:new"].count(posted["id"]) == 1
    assert agent.call("typing:stop", {"sessionId": sid})["ok"]

    # A change made on A reaches B's agents room (queue:updated is emitted by A, via Redis).
    agent.drain()
    status, _ = a.request("POST", f"{BASE}/sessions/{sid}/end", agent_token)
    assert status == 200
    assert customer.wait_for("session:updated")["session"]["status"] == "ENDED"
    assert agent.wait_for("session:updated")["session"]["status"] == "ENDED"
    assert agent.wait_for("queue:updated") is not None

"""An agent removed mid-chat, across two processes sharing Redis: the admin removes them on one
process, their sockets on the other are told why (a coded ``error``) and closed, the chat goes
back to the queue, and their old, still-unexpired token is refused on reconnect and on REST."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.server import refused_connect
from tests.support.waiting import wait_until

pytestmark = pytest.mark.timeout(120)
BASE = "/api/support/chat"


def test_agent_removed_mid_chat(server_pair: tuple[Any, Any], connect: Any, token: Any) -> None:
    a, b = server_pair
    admin_token = token("tm-admin", "admin")
    agent_token = token("tm-agent", "agent")
    status, _ = a.request("GET", "/api/support/agents", admin_token)
    assert status == 200
    status, session = a.request("POST", f"{BASE}/sessions/user", token("tm-cust"), {})
    assert status == 201
    sid = session["id"]

    customer = connect(a, "tm-cust")
    agent = connect(b, "tm-agent", "agent", namespaces=["/", "/support"])
    agent.wait_for("queue:updated")
    assert customer.call("join:session", sid)["ok"]
    status, _ = b.request("POST", f"{BASE}/sessions/{sid}/assign", agent_token)
    assert status == 200
    assert agent.call("join:session", sid)["ok"]
    assert customer.wait_for("session:updated")["session"]["agentId"] == "tm-agent"

    status, removed = a.request("DELETE", "/api/support/agents/tm-agent", admin_token)
    assert status == 200, removed
    assert removed["releasedSessionIds"] == [sid]

    # Their sockets on B (both namespaces) are told why, then closed.
    why = agent.wait_for("error", lambda e: e["code"] == "staff_access_revoked")
    assert why["event"] is None and why["message"]
    wait_until(lambda: not agent.sio.connected, timeout=10, what="the agent's socket closed")
    codes = [d["code"] for e, d in agent.history if e == "error"]
    assert codes == ["staff_access_revoked", "staff_access_revoked"]

    # The chat is back in the queue, and the customer is told.
    updated = customer.wait_for("session:updated", lambda u: u["session"]["status"] == "WAITING")
    assert updated["session"]["agentId"] is None

    # The old token is still unexpired, and refused everywhere.
    for server in (a, b):
        refusal = refused_connect(server.url, {"token": agent_token})
        assert refusal["data"]["reason"] == "staff_access_revoked", refusal
        status, body = server.request("GET", f"{BASE}/queue", agent_token)
        assert status == 401 and body["error"]["code"] == "staff_access_revoked"
    # Signed in again without the role, they are a customer.
    status, _ = b.request("GET", f"{BASE}/queue", token("tm-agent"))
    assert status == 403

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


def test_cli_removal_reaches_the_servers_sockets(
    server_pair: tuple[Any, Any], connect: Any, token: Any
) -> None:
    """`flask livechat agents remove` is a process of its own: it holds no socket, and the
    Redis relay carries the removal to the server that holds the agent's."""
    import subprocess
    import sys

    from tests.support.server import ROOT

    a, _ = server_pair
    agent = connect(a, "cli-agent", "agent", namespaces=["/", "/support"])
    agent.wait_for("queue:updated")
    env = {k: v for k, v in a.env.items() if k not in ("PORT", "HOST")}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "wsgi",
            "livechat",
            "agents",
            "remove",
            "cli-agent",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "removed cli-agent" in proc.stdout
    assert "Cannot publish" not in proc.stderr  # the relay connected at the first try
    agent.wait_for("error", lambda e: e["code"] == "staff_access_revoked")
    wait_until(lambda: not agent.sio.connected, timeout=10, what="the agent's socket closed")
    refusal = refused_connect(a.url, {"token": token("cli-agent", "agent")})
    assert refusal["data"]["reason"] == "staff_access_revoked"

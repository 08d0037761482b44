"""Issue 18: tickets resolved when an agent ends the chat stop counting against the customer.

The real server with the offline assistant, websocket clients: three chats each escalated by
"I want a human" and ended ``resolved`` by an agent; the fourth chat's plain question is answered
by the assistant, not escalated by ``unresolved_tickets``, and opens no ticket.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import server_env
from tests.support.server import ServerProcess

pytestmark = pytest.mark.timeout(120)
BASE = "/api/support/chat"
CUSTOMER, AGENT = "outcome-cust", "outcome-agent"


@pytest.fixture()
def ai_server(app: Any, pg_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    env = server_env(
        app,
        pg_url,
        AI_ENABLED="true",
        AI_PROVIDER="offline",
    )
    server = ServerProcess(env, tmp_path / "server.log")
    yield server
    server.stop()


def _chat(server: ServerProcess, connect: Any, token: Any) -> tuple[Any, str]:
    status, session = server.request("POST", f"{BASE}/sessions/user", token(CUSTOMER), {})
    assert status == 201, session
    customer = connect(server, CUSTOMER)
    assert customer.call("join:session", session["id"])["ok"]
    return customer, session["id"]


def _tickets(server: ServerProcess, token: Any) -> list[dict[str, Any]]:
    status, page = server.request(
        "GET", f"/api/support/tickets?userId={CUSTOMER}", token(AGENT, "agent")
    )
    assert status == 200, page
    return page["items"]


def test_resolved_escalations_no_longer_escalate_a_plain_question(
    ai_server: ServerProcess, connect: Any, token: Any
) -> None:
    agent = connect(ai_server, AGENT, "agent")
    for n in range(1, 4):
        customer, sid = _chat(ai_server, connect, token)
        sent = customer.call("message:send", {"sessionId": sid, "content": "I want a human"})
        assert sent["ok"], sent
        waiting = customer.wait_for(
            "session:updated", lambda d: d["session"]["status"] == "WAITING"
        )
        assert waiting["session"]["metadata"]["escalation"]["rule"] == "human_request"
        status, _ = ai_server.request(
            "POST", f"{BASE}/sessions/{sid}/assign", token(AGENT, "agent"), {}
        )
        assert status == 200
        ended = agent.call("session:end", {"sessionId": sid, "outcome": "resolved"})
        assert ended["ok"] and ended["session"]["outcome"] == "resolved", ended
        customer.wait_for("session:updated", lambda d: d["session"]["status"] == "ENDED")
        tickets = _tickets(ai_server, token)
        assert [t["status"] for t in tickets] == ["RESOLVED"] * n
        customer.close()

    customer, sid = _chat(ai_server, connect, token)
    sent = customer.call("message:send", {"sessionId": sid, "content": "How do I freeze my card?"})
    assert sent["ok"], sent
    reply = customer.wait_for("message:new", lambda m: m["senderType"] == "AI", timeout=30)
    assert reply["sessionId"] == sid and reply["content"]
    status, page = ai_server.request("GET", f"{BASE}/sessions/{sid}", token(AGENT, "agent"))
    assert status == 200
    assert page["session"]["status"] == "ACTIVE"
    assert "escalation" not in page["session"]["metadata"]
    assert [t["status"] for t in _tickets(ai_server, token)] == ["RESOLVED"] * 3
    # Nothing on the customer's socket said otherwise meanwhile.
    customer.sync()
    assert not [e for e, d in customer.history if e == "session:updated"]

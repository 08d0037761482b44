"""Internal notes across two server processes sharing Redis: agents on either get them, customers
on either never do."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytestmark = pytest.mark.timeout(120)
BASE = "/api/support/chat"
SECRET = "internal: refund approved by finance"


def test_a_note_crosses_processes_to_agents_only(
    server_pair: tuple[Any, Any], connect: Any, token: Any
) -> None:
    a, b = server_pair
    status, session = a.request("POST", f"{BASE}/sessions/user", token("np-cust"), {})
    assert status == 201
    sid = session["id"]
    agent_token = token("np-agent", "agent")
    status, _ = a.request("POST", f"{BASE}/sessions/{sid}/assign", agent_token)
    assert status == 200

    customer_a, customer_b = connect(a, "np-cust"), connect(b, "np-cust")
    agent_a, agent_b = connect(a, "np-agent", "agent"), connect(b, "np-other", "agent")
    for client in (customer_a, customer_b, agent_a, agent_b):
        assert client.call("join:session", sid)["ok"]

    # A note over the socket on A reaches the agent on B; a REST note on B reaches A's agent.
    ack = agent_a.call("message:send", {"sessionId": sid, "content": SECRET, "internal": True})
    assert ack["ok"], ack
    assert agent_b.wait_for("note:new", lambda n: n["id"] == ack["note"]["id"]) == ack["note"]
    status, posted = b.request(
        "POST", f"{BASE}/sessions/{sid}/notes", token("np-other", "agent"), {"content": SECRET}
    )
    assert status == 201 and posted["noteSeq"] == 2
    assert agent_a.wait_for("note:new", lambda n: n["id"] == posted["id"]) == posted

    # Then a message, which both customers get; everything before it has arrived by then.
    reply = agent_a.call("message:send", {"sessionId": sid, "content": "all sorted"})
    assert reply["ok"] and reply["message"]["seq"] == 1  # the notes took no seq
    for customer in (customer_a, customer_b):
        customer.wait_for("message:new", lambda m: m["id"] == reply["message"]["id"])
        customer.sync()
        assert SECRET not in json.dumps(customer.history)
        assert not [e for e, _ in customer.history if e == "note:new"]

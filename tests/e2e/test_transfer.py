"""Transfers over real sockets: to another agent (who can then reply, the old one cannot) and
back to the queue (first in its band); the note reaches agents and never the customer."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.timeout(120)
BASE = "/api/support/chat"


def _waiting_chat(server: Any, connect: Any, token: Any, uid: str) -> tuple[Any, str]:
    """A customer's socket, joined to their new chat, which waits for a person."""
    client = connect(server, uid)
    status, body = server.request("POST", f"{BASE}/sessions/user", token(uid), {})
    assert status == 201, body
    assert client.call("join:session", body["id"])["ok"]
    assert client.call("session:request_human", {"sessionId": body["id"]})["ok"]
    return client, body["id"]


def _agent(server: Any, connect: Any, uid: str, name: str) -> Any:
    return connect(server, uid, "agent", namespaces=["/", "/support"], claims={"name": name})


def test_transfer_to_another_agent(server: Any, connect: Any, token: Any) -> None:
    ann = _agent(server, connect, "tr-ann", "Ann")
    bea = _agent(server, connect, "tr-bea", "Bea")
    customer, sid = _waiting_chat(server, connect, token, "tr-cust")
    status, _ = server.request("POST", f"{BASE}/sessions/{sid}/assign", token("tr-ann", "agent"))
    assert status == 200
    assert ann.call("join:session", sid)["ok"]

    ack = ann.call("session:transfer", {"sessionId": sid, "agentId": "tr-bea", "note": "VIP!"})
    assert ack["ok"], ack
    assert ack["session"]["agentId"] == "tr-bea" and ack["session"]["transfer"]["note"] == "VIP!"
    moved = bea.wait_for("session:transferred", lambda p: p["session"]["id"] == sid)
    assert moved["transfer"]["note"] == "VIP!" and moved["transfer"]["fromAgentId"] == "tr-ann"
    notice = customer.wait_for(
        "message:new", lambda m: (m["metadata"] or {}).get("kind") == "transfer"
    )
    assert notice["senderType"] == "SYSTEM" and "Bea" in notice["content"]
    updated = customer.wait_for("session:updated", lambda p: p["session"]["agentId"] == "tr-bea")
    assert "transfer" not in updated["session"]

    # The new agent replies; the old one no longer can.
    assert bea.call("join:session", sid)["ok"]
    assert bea.call("message:send", {"sessionId": sid, "content": "Bea here"})["ok"]
    refused = ann.call("message:send", {"sessionId": sid, "content": "still me?"})
    assert refused["ok"] is False and refused["error"]["code"] == "not_assigned"
    customer.wait_for("message:new", lambda m: m["content"] == "Bea here")
    customer.sync()
    assert "VIP!" not in repr(customer.history)


def test_transfer_back_to_the_queue_goes_first_in_its_band(
    server: Any, connect: Any, token: Any
) -> None:
    ann = _agent(server, connect, "tq-ann", "Ann")
    first, sid = _waiting_chat(server, connect, token, "tq-first")
    status, _ = server.request("POST", f"{BASE}/sessions/{sid}/assign", token("tq-ann", "agent"))
    assert status == 200
    _, later = _waiting_chat(server, connect, token, "tq-later")

    ack = ann.call("session:transfer", {"sessionId": sid, "note": "needs billing"})
    assert ack["ok"], ack
    assert ack["session"]["status"] == "WAITING" and ack["session"]["agentId"] is None
    # Wait for the update that carries the transfer: an earlier one (sent when the chat first
    # queued, before it was assigned) may still be buffered and also lists the chat.
    update = ann.wait_for(
        "queue:updated",
        lambda p: any(w["id"] == sid and w.get("transfer") for w in p["waiting"]),
    )
    ids = [w["id"] for w in update["waiting"] if w["id"] in (sid, later)]
    assert ids == [sid, later]
    (entry,) = [w for w in update["waiting"] if w["id"] == sid]
    assert entry["transfer"]["note"] == "needs billing" and entry["transfer"]["toAgentId"] is None
    notice = first.wait_for(
        "message:new", lambda m: (m["metadata"] or {}).get("kind") == "transfer"
    )
    assert "back in the queue" in notice["content"]
    first.wait_for("session:updated", lambda p: p["session"]["status"] == "WAITING")
    refused = ann.call("message:send", {"sessionId": sid, "content": "hello?"})
    assert refused["error"]["code"] == "not_assigned"


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"sessionId": "S", "agentId": "tb-offline"}, "agent_offline"),
        ({"sessionId": "S", "agentId": "tb-nobody"}, "agent_not_found"),
        ({"sessionId": "S", "agentId": "tb-cust"}, "not_an_agent"),
        ({"sessionId": "S", "note": "x" * 1001}, "validation_error"),
        ({"sessionId": "S", "agentId": None, "note": 5}, "validation_error"),
        ("S", "validation_error"),
        ({"agentId": "tb-ann"}, "validation_error"),
    ],
)
def test_bad_transfers_are_refused(
    server: Any, connect: Any, token: Any, payload: Any, code: str
) -> None:
    ann = _agent(server, connect, "tb-ann", "Ann")
    connect(server, "tb-offline", "agent").close()  # a known agent, now offline
    _, sid = _waiting_chat(server, connect, token, "tb-cust")
    server.request("POST", f"{BASE}/sessions/{sid}/assign", token("tb-ann", "agent"))
    if isinstance(payload, dict) and "sessionId" in payload:
        payload = {**payload, "sessionId": sid}
    ack = ann.call("session:transfer", payload)
    assert ack["ok"] is False and ack["error"]["code"] == code, ack
    status, body = server.request("GET", f"{BASE}/sessions/{sid}", token("tb-ann", "agent"))
    assert (
        status == 200
        and body["session"]["agentId"] == "tb-ann"
        and body["session"]["transfer"] is None
    )

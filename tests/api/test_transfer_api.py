"""POST .../sessions/<id>/transfer: the note reaches agents only; bad input changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

BASE = "/api/support/chat"


@pytest.fixture()
def chat(ctx: Any, make_user: Any) -> Iterator[str]:
    """cust-1's chat, taken by agent-1; agent-2 is available (agent:status)."""
    from livechat import runtime
    from livechat.services import sessions

    make_user("agent-2", "agent", "Bea")
    make_user("agent-3", "agent")
    session, _ = sessions.open_session(make_user("cust-1"))
    sessions.assign_agent(make_user("agent-1", "agent"), session.id)
    runtime.agent_router().statuses.set("agent-2", "available")
    yield session.id
    runtime.agent_router().statuses.set("agent-2", "offline")


def test_transfer_with_a_note_for_agents_only(client: Any, auth: Any, chat: str) -> None:
    resp = client.post(
        f"{BASE}/sessions/{chat}/transfer",
        json={"agentId": "agent-2", "note": "Refund pending"},
        headers=auth("agent-1", "agent"),
    )
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["agentId"] == "agent-2" and body["transfer"]["note"] == "Refund pending"
    # The receiving agent lists it with the note; the customer never sees the note.
    mine = client.get(
        f"{BASE}/sessions?agentId=agent-2&status=ACTIVE", headers=auth("agent-2", "agent")
    ).get_json()
    assert [(s["id"], s["transfer"]["note"]) for s in mine["items"]] == [(chat, "Refund pending")]
    detail = client.get(f"{BASE}/sessions/{chat}", headers=auth("agent-2", "agent")).get_json()
    assert detail["session"]["transfer"]["fromAgentId"] == "agent-1"
    customer = auth("cust-1")
    for path in ("/sessions/active", "/sessions/mine", f"/sessions/{chat}/messages"):
        text = client.get(BASE + path, headers=customer).get_data(as_text=True)
        assert "Refund pending" not in text and '"transfer":' not in text
    notice = client.get(f"{BASE}/sessions/active", headers=customer).get_json()["messages"][-1]
    assert notice["senderType"] == "SYSTEM" and "Bea" in notice["content"]


@pytest.mark.parametrize(
    ("uid", "body", "status", "code"),
    [
        ("agent-1", {"agentId": "agent-3"}, 409, "agent_offline"),
        ("agent-1", {"agentId": "ghost"}, 404, "agent_not_found"),
        ("agent-1", {"agentId": "cust-1"}, 422, "not_an_agent"),
        ("agent-1", {"agentId": "agent-1"}, 409, "already_assigned"),
        ("agent-2", {}, 403, "forbidden"),
        ("agent-1", {"note": "x" * 1001}, 422, "validation_error"),
        ("agent-1", {"agentId": ""}, 422, "validation_error"),
        ("agent-1", {"agentId": 7}, 422, "validation_error"),
        ("agent-1", {"note": ["x"]}, 422, "validation_error"),
        ("agent-1", {"agentId": "agent-2", "extra": 1}, 422, "validation_error"),
        ("agent-1", ["agent-2"], 422, "validation_error"),
    ],
)
def test_bad_transfers_change_nothing(
    client: Any, auth: Any, chat: str, uid: str, body: Any, status: int, code: str
) -> None:
    headers = auth(uid, "agent")
    before = client.get(f"{BASE}/sessions/{chat}", headers=headers).get_json()
    resp = client.post(f"{BASE}/sessions/{chat}/transfer", json=body, headers=headers)
    assert resp.status_code == status, resp.get_json()
    assert resp.get_json()["error"]["code"] == code
    after = client.get(f"{BASE}/sessions/{chat}", headers=headers).get_json()
    assert after["session"] == before["session"] and after["messages"] == before["messages"]


def test_transfer_of_an_ended_or_unknown_chat(client: Any, auth: Any, chat: str) -> None:
    agent = auth("agent-1", "agent")
    resp = client.post(f"{BASE}/sessions/nope/transfer", json={}, headers=agent)
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "session_not_found"
    client.post(f"{BASE}/sessions/{chat}/end", headers=agent)
    resp = client.post(f"{BASE}/sessions/{chat}/transfer", json={}, headers=agent)
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "session_ended"
    resp = client.post(f"{BASE}/sessions/{chat}/transfer", data="{", headers=agent)
    assert resp.status_code == 400

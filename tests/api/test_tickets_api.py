"""Tickets: agents list, read and work them; customers see their own."""

from __future__ import annotations

from typing import Any

BASE = "/api/support/tickets"


def _ticket(ctx: Any, make_user: Any, uid: str = "cust-1", **kw: Any) -> Any:
    from livechat.services import tickets

    make_user(uid)
    agent = make_user("agent-0", "agent")
    return tickets.open_ticket(agent, user_id=uid, subject=kw.pop("subject", "Refund"), **kw)


def test_agent_creates_lists_and_reads_tickets(
    client: Any, auth: Any, ctx: Any, make_user: Any
) -> None:
    from livechat.models import TicketPriority
    from livechat.services import sessions

    make_user("cust-1")
    session, _ = sessions.open_session(make_user("cust-1"))
    h = auth("agent-1", "agent")
    resp = client.post(
        BASE,
        json={
            "userId": "cust-1",
            "subject": "Chargeback",
            "priority": "URGENT",
            "sessionId": session.id,
            "category": "disputes",
        },
        headers=h,
    )
    assert resp.status_code == 201
    created = resp.get_json()
    assert created["status"] == "OPEN" and created["createdBy"] == "agent-1"
    _ticket(ctx, make_user, "cust-2", priority=TicketPriority.LOW)

    listed = client.get(f"{BASE}?priority=URGENT", headers=h).get_json()
    assert [t["id"] for t in listed["items"]] == [created["id"]]
    assert listed["total"] == 1
    all_ = client.get(f"{BASE}?pageSize=1&page=2", headers=h).get_json()
    assert all_["total"] == 2 and len(all_["items"]) == 1

    detail = client.get(f"{BASE}/{created['id']}", headers=h).get_json()
    assert detail["session"]["id"] == session.id
    assert client.get(f"{BASE}/nope", headers=h).status_code == 404

    bad = client.post(
        BASE, json={"userId": "cust-2", "subject": "x", "sessionId": session.id}, headers=h
    )
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "invalid_session"


def test_ticket_transitions(client: Any, auth: Any, ctx: Any, make_user: Any) -> None:
    ticket = _ticket(ctx, make_user)
    h = auth("agent-1", "agent")
    url = f"{BASE}/{ticket.id}"

    resp = client.patch(url, json={"status": "IN_PROGRESS", "assigneeId": "agent-1"}, headers=h)
    assert resp.status_code == 200
    assert resp.get_json()["status"] == "IN_PROGRESS"
    assert resp.get_json()["assigneeId"] == "agent-1"

    resp = client.patch(url, json={"status": "RESOLVED", "priority": "HIGH"}, headers=h)
    body = resp.get_json()
    assert body["status"] == "RESOLVED" and body["resolvedAt"] and body["priority"] == "HIGH"

    resp = client.patch(url, json={"status": "OPEN"}, headers=h)  # reopen
    assert resp.get_json()["status"] == "OPEN" and resp.get_json()["resolvedAt"] is None

    assert client.patch(url, json={"status": "CLOSED"}, headers=h).status_code == 200
    resp = client.patch(url, json={"status": "OPEN"}, headers=h)
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "invalid_transition"
    resp = client.patch(url, json={"priority": "LOW"}, headers=h)
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "ticket_closed"


def test_ticket_patch_rejects_bad_input(client: Any, auth: Any, ctx: Any, make_user: Any) -> None:
    ticket = _ticket(ctx, make_user)
    make_user("cust-9")
    h = auth("agent-1", "agent")
    url = f"{BASE}/{ticket.id}"
    for payload in ({}, {"status": "DONE"}, {"priority": 3}, {"bogus": 1}):
        resp = client.patch(url, json=payload, headers=h)
        assert resp.status_code == 422, payload
        assert resp.get_json()["error"]["code"] == "validation_error"
    resp = client.patch(url, json={"assigneeId": "cust-9"}, headers=h)
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "not_an_agent"
    resp = client.patch(url, json={"assigneeId": None}, headers=h)
    assert resp.status_code == 200 and resp.get_json()["assigneeId"] is None


def test_customers_see_only_their_own_tickets(
    client: Any, auth: Any, ctx: Any, make_user: Any
) -> None:
    mine = _ticket(ctx, make_user, "cust-1", subject="Mine")
    _ticket(ctx, make_user, "cust-2", subject="Theirs")
    resp = client.get(f"{BASE}/mine", headers=auth("cust-1"))
    assert resp.status_code == 200
    assert [t["id"] for t in resp.get_json()["items"]] == [mine.id]
    assert client.get(f"{BASE}/{mine.id}", headers=auth("cust-1")).status_code == 403
    assert (
        client.patch(
            f"{BASE}/{mine.id}", json={"status": "CLOSED"}, headers=auth("cust-1")
        ).status_code
        == 403
    )

"""Support-team endpoints: listing, queue, detail, assign, end, agent replies."""

from __future__ import annotations

import base64
from typing import Any

import pytest

BASE = "/api/support/chat"


def _waiting_session(make_user: Any, uid: str, reason: str = "human_requested") -> Any:
    from livechat.models import TicketPriority
    from livechat.services import escalation, messages, sessions

    user = make_user(uid)
    session, _ = sessions.open_session(user)
    messages.post_message(user, session.id, "I want a human")
    escalation.escalate(
        session.id,
        reason=reason,
        priority=TicketPriority.HIGH,
        summary="wants a human",
        requested_by="AI_ASSISTANT",
    )
    return session


def test_queue_lists_waiting_oldest_first_with_reason(
    client: Any, auth: Any, ctx: Any, make_user: Any
) -> None:
    first = _waiting_session(make_user, "cust-a", "human_requested")
    second = _waiting_session(make_user, "cust-b", "negative_sentiment")
    from livechat.services import sessions

    sessions.open_session(make_user("cust-c"))  # ACTIVE, not in the queue

    resp = client.get(f"{BASE}/queue", headers=auth("agent-1", "agent"))
    assert resp.status_code == 200
    body = resp.get_json()
    assert [i["id"] for i in body["items"]] == [first.id, second.id]
    assert body["total"] == 2
    item = body["items"][0]
    assert item["status"] == "WAITING"
    assert item["escalation"]["reason"] == "human_requested"
    assert item["escalation"]["priority"] == "HIGH"
    assert item["escalation"]["ticketId"]
    assert isinstance(item["waitSeconds"], int) and item["waitSeconds"] >= 0
    assert item["customer"]["id"] == "cust-a"


def test_list_sessions_filters_and_paginates(
    client: Any, auth: Any, ctx: Any, make_user: Any
) -> None:
    from livechat.services import sessions

    ids = [sessions.open_session(make_user(f"cust-{i}"))[0].id for i in range(5)]
    _waiting_session(make_user, "cust-w")
    h = auth("agent-1", "agent")

    page1 = client.get(f"{BASE}/sessions?page=1&pageSize=2&status=ACTIVE", headers=h).get_json()
    assert page1["total"] == 5
    assert page1["page"] == 1 and page1["pageSize"] == 2
    assert [s["id"] for s in page1["items"]] == ids[::-1][:2]  # newest first
    page3 = client.get(f"{BASE}/sessions?page=3&pageSize=2&status=ACTIVE", headers=h).get_json()
    assert [s["id"] for s in page3["items"]] == [ids[0]]

    waiting = client.get(f"{BASE}/sessions?status=WAITING", headers=h).get_json()
    assert waiting["total"] == 1
    by_user = client.get(f"{BASE}/sessions?userId=cust-3", headers=h).get_json()
    assert [s["id"] for s in by_user["items"]] == [ids[3]]


def test_detail_has_messages_customer_and_tickets(
    client: Any, auth: Any, ctx: Any, make_user: Any
) -> None:
    session = _waiting_session(make_user, "cust-d")
    from livechat.services.users import update_profile

    update_profile("cust-d", {"plan": "premium", "kycStatus": "verified"})
    resp = client.get(f"{BASE}/sessions/{session.id}", headers=auth("agent-1", "agent"))
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["session"]["id"] == session.id
    assert [m["content"] for m in body["messages"]] == ["I want a human"]
    assert body["customer"]["profile"] == {"plan": "premium", "kycStatus": "verified"}
    assert len(body["tickets"]) == 1
    assert body["tickets"][0]["sessionId"] == session.id
    assert body["tickets"][0]["priority"] == "HIGH"


def test_assign_end_and_reply_flow(client: Any, auth: Any, ctx: Any, make_user: Any) -> None:
    session = _waiting_session(make_user, "cust-e")
    agent = auth("agent-1", "agent", name="Ada")
    other = auth("agent-2", "agent")

    # Not yet assigned: replying is refused.
    resp = client.post(
        f"{BASE}/sessions/{session.id}/messages", json={"content": "hi"}, headers=agent
    )
    assert resp.status_code == 409
    assert resp.get_json()["error"]["code"] == "not_assigned"

    resp = client.post(f"{BASE}/sessions/{session.id}/assign", json={}, headers=agent)
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["status"] == "ACTIVE"
    assert body["agentId"] == "agent-1"
    assert body["agent"]["displayName"] == "Ada"
    assert body["assignedAt"] and body["waitingSince"] is None

    # Assigning again to the same agent is harmless; to another is a conflict.
    assert client.post(f"{BASE}/sessions/{session.id}/assign", headers=agent).status_code == 200
    resp = client.post(f"{BASE}/sessions/{session.id}/assign", json={}, headers=other)
    assert resp.status_code == 409
    assert resp.get_json()["error"]["code"] == "already_assigned"

    # Only the assigned agent replies.
    resp = client.post(
        f"{BASE}/sessions/{session.id}/messages", json={"content": "x"}, headers=other
    )
    assert resp.status_code == 409
    resp = client.post(
        f"{BASE}/sessions/{session.id}/messages",
        json={"content": "  Hello, I'm Ada.  ", "clientMessageId": "a-1"},
        headers=agent,
    )
    assert resp.status_code == 201
    msg = resp.get_json()
    assert msg["senderType"] == "AGENT" and msg["senderId"] == "agent-1"
    assert msg["content"] == "Hello, I'm Ada."
    assert msg["seq"] == 2

    # Idempotent retry: same message back, nothing new stored.
    resp = client.post(
        f"{BASE}/sessions/{session.id}/messages",
        json={"content": "Hello, I'm Ada.", "clientMessageId": "a-1"},
        headers=agent,
    )
    assert resp.status_code == 200
    assert resp.get_json()["id"] == msg["id"]
    history = client.get(f"{BASE}/sessions/{session.id}/messages", headers=agent).get_json()
    assert [m["seq"] for m in history["items"]] == [1, 2]

    resp = client.post(f"{BASE}/sessions/{session.id}/end", headers=agent)
    assert resp.status_code == 200
    assert resp.get_json()["status"] == "ENDED" and resp.get_json()["endedAt"]
    resp = client.post(f"{BASE}/sessions/{session.id}/end", headers=agent)
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "session_ended"
    resp = client.post(f"{BASE}/sessions/{session.id}/assign", headers=other)
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "session_ended"
    resp = client.post(
        f"{BASE}/sessions/{session.id}/messages", json={"content": "x"}, headers=agent
    )
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "session_ended"

    # After the end, the customer can open a new session.
    new = client.post(f"{BASE}/sessions/user", headers=auth("cust-e"))
    assert new.status_code == 201 and new.get_json()["id"] != session.id


def test_assigning_someone_else_needs_admin(
    client: Any, auth: Any, ctx: Any, make_user: Any
) -> None:
    session = _waiting_session(make_user, "cust-f")
    make_user("agent-2", "agent")
    make_user("cust-g")
    resp = client.post(
        f"{BASE}/sessions/{session.id}/assign",
        json={"agentId": "agent-2"},
        headers=auth("agent-1", "agent"),
    )
    assert resp.status_code == 403
    admin = auth("boss", "admin")
    resp = client.post(
        f"{BASE}/sessions/{session.id}/assign", json={"agentId": "cust-g"}, headers=admin
    )
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "not_an_agent"
    resp = client.post(
        f"{BASE}/sessions/{session.id}/assign", json={"agentId": "ghost"}, headers=admin
    )
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "agent_not_found"
    resp = client.post(
        f"{BASE}/sessions/{session.id}/assign", json={"agentId": "agent-2"}, headers=admin
    )
    assert resp.status_code == 200 and resp.get_json()["agentId"] == "agent-2"


def test_unknown_session_ids_are_404(client: Any, auth: Any) -> None:
    h = auth("agent-1", "agent")
    for method, path in [
        ("get", "/sessions/00000000-0000-0000-0000-000000000000"),
        ("post", "/sessions/missing/assign"),
        ("post", "/sessions/missing/end"),
    ]:
        resp = getattr(client, method)(f"{BASE}{path}", headers=h)
        assert resp.status_code == 404, path
        assert resp.get_json()["error"]["code"] == "session_not_found"
    resp = client.post(f"{BASE}/sessions/missing/messages", json={"content": "x"}, headers=h)
    assert resp.status_code == 404


def test_live_figures(client: Any, auth: Any, ctx: Any, make_user: Any) -> None:
    from livechat.services import sessions
    from livechat.services.users import get_user

    _waiting_session(make_user, "cust-s1")
    _waiting_session(make_user, "cust-s2")
    ai_only, _ = sessions.open_session(make_user("cust-s3"))
    sessions.end_session(get_user("cust-s3"), ai_only.id)
    handled = _waiting_session(make_user, "cust-s4")
    agent = make_user("agent-s", "agent")
    sessions.assign_agent(agent, handled.id)
    sessions.end_session(agent, handled.id)

    body = client.get(f"{BASE}/stats", headers=auth("agent-s", "agent")).get_json()
    assert body["waitingNow"] == 2
    assert body["chatsToday"] == 4
    assert body["endedToday"] == 2
    assert body["aiResolvedShare"] == 0.5
    assert body["medianWaitSeconds"] >= 0 and body["asOf"]


def test_audit_trail_records_assignments_ends_escalations_and_reads(
    client: Any, auth: Any, ctx: Any, make_user: Any
) -> None:
    session = _waiting_session(make_user, "cust-au")
    agent = auth("agent-au", "agent")
    client.get(f"{BASE}/sessions/{session.id}", headers=agent)
    client.post(f"{BASE}/sessions/{session.id}/assign", headers=agent)
    client.post(f"{BASE}/sessions/{session.id}/end", headers=agent)

    resp = client.get("/api/support/audit?userId=cust-au", headers=auth("boss", "admin"))
    assert resp.status_code == 200
    actions = [(e["action"], e["actorId"]) for e in resp.get_json()["items"]]
    assert actions == [
        ("session.ended", "agent-au"),
        ("session.assigned", "agent-au"),
        ("customer.viewed", "agent-au"),
        ("session.escalated", "AI_ASSISTANT"),
    ]
    assert all(e["sessionId"] == session.id for e in resp.get_json()["items"])
    assert client.get("/api/support/audit", headers=agent).status_code == 403
    # An agent reads one chat's entries (the Conversations view shows them), nothing wider.
    one_chat = client.get(f"/api/support/audit?sessionId={session.id}", headers=agent)
    assert one_chat.status_code == 200
    assert [e["action"] for e in one_chat.get_json()["items"]] == [a for a, _ in actions]
    for wider in (f"sessionId={session.id}&userId=cust-au", "userId=cust-au", "actorId=agent-au"):
        assert client.get(f"/api/support/audit?{wider}", headers=agent).status_code == 403
    missing = client.get("/api/support/audit?sessionId=no-such-chat", headers=agent)
    assert missing.status_code == 404
    customer = auth("cust-au")
    assert (
        client.get(f"/api/support/audit?sessionId={session.id}", headers=customer).status_code
        == 403
    )
    bad = client.get("/api/support/audit?pageSize=0", headers=auth("boss", "admin"))
    assert bad.status_code == 422


def test_the_queue_lists_its_head_and_counts_every_waiting_chat(
    client: Any, auth: Any, ctx: Any, make_user: Any
) -> None:
    """``limit`` bounds the list (default 100), never ``total`` or the positions."""
    for i in range(3):
        _waiting_session(make_user, f"cust-qh{i}")
    agent = auth("agent-qh", "agent")
    every = client.get(f"{BASE}/queue", headers=agent).get_json()
    assert every["total"] == 3 and [q["position"] for q in every["items"]] == [1, 2, 3]
    head = client.get(f"{BASE}/queue?limit=2", headers=agent).get_json()
    assert head["total"] == 3
    assert [q["id"] for q in head["items"]] == [q["id"] for q in every["items"][:2]]


@pytest.mark.parametrize("limit", ["0", "1001", "-1", "many", ""])
def test_a_bad_queue_limit_is_a_clear_422(client: Any, auth: Any, limit: str) -> None:
    resp = client.get(f"{BASE}/queue?limit={limit}", headers=auth("agent-ql", "agent"))
    assert resp.status_code == 422
    assert resp.get_json()["error"]["code"] == "validation_error"


def test_the_last_pages_read_backwards_give_the_same_rows(
    client: Any, auth: Any, ctx: Any, make_user: Any
) -> None:
    """A page in the back half of the list is read from the other end: same rows, same order."""
    from livechat.services import sessions

    for i in range(7):
        customer = make_user(f"cust-pg{i}")
        sessions.end_session(customer, sessions.open_session(customer)[0].id)
    agent = auth("agent-pg", "agent")
    whole = client.get(f"{BASE}/sessions?pageSize=100", headers=agent).get_json()["items"]
    assert len(whole) == 7
    pages = [
        client.get(f"{BASE}/sessions?pageSize=2&page={p}", headers=agent).get_json()
        for p in range(1, 6)
    ]
    assert [s["id"] for page in pages for s in page["items"]] == [s["id"] for s in whole]
    assert [page["total"] for page in pages] == [7] * 5
    assert pages[4]["items"] == []


def test_the_total_is_exact_up_to_the_cap(
    client: Any, auth: Any, ctx: Any, make_user: Any, monkeypatch: Any
) -> None:
    """Up to the cap the total is the count; one more and it is the cap, not exact."""
    from livechat.services import sessions

    for i in range(4):
        sessions.open_session(make_user(f"cust-cap{i}"))
    agent = auth("agent-cap", "agent")
    monkeypatch.setattr(sessions, "SESSIONS_TOTAL_CAP", 4)
    body = client.get(f"{BASE}/sessions?pageSize=2", headers=agent).get_json()
    assert (body["total"], body["totalExact"]) == (4, True)
    sessions.open_session(make_user("cust-cap4"))
    body = client.get(f"{BASE}/sessions?pageSize=2", headers=agent).get_json()
    assert (body["total"], body["totalExact"]) == (4, False)
    assert len(body["items"]) == 2
    filtered = client.get(f"{BASE}/sessions?userId=cust-cap4", headers=agent).get_json()
    assert (filtered["total"], filtered["totalExact"]) == (1, True)


def test_pages_reach_the_cap_and_cursors_read_on_at_any_depth(
    client: Any, auth: Any, ctx: Any, make_user: Any, monkeypatch: Any
) -> None:
    """Page numbers reach the first SESSIONS_TOTAL_CAP chats (OFFSET walks what it skips);
    each page's nextCursor reads on from there, to the last chat, in the same order."""
    from livechat.services import sessions

    for i in range(9):
        customer = make_user(f"cust-cp{i}")
        sessions.end_session(customer, sessions.open_session(customer)[0].id)
    agent = auth("agent-cp", "agent")
    whole = client.get(f"{BASE}/sessions?pageSize=100", headers=agent).get_json()
    assert (whole["total"], whole["totalExact"], whole["nextCursor"]) == (9, True, None)
    monkeypatch.setattr(sessions, "SESSIONS_TOTAL_CAP", 4)
    pages = [
        client.get(f"{BASE}/sessions?pageSize=2&page={p}", headers=agent).get_json() for p in (1, 2)
    ]
    assert [(p["total"], p["totalExact"]) for p in pages] == [(4, False)] * 2
    assert [s["id"] for p in pages for s in p["items"]] == [s["id"] for s in whole["items"][:4]]
    too_deep = client.get(f"{BASE}/sessions?pageSize=2&page=3", headers=agent)
    assert too_deep.status_code == 400
    assert too_deep.get_json()["error"]["code"] == "page_too_deep"
    assert too_deep.get_json()["error"]["details"] == {"limit": 4}

    # From page 2's cursor to the end: every chat once, newest first, then no cursor.
    seen, cursor = [s["id"] for p in pages for s in p["items"]], pages[1]["nextCursor"]
    while cursor is not None:
        body = client.get(f"{BASE}/sessions?pageSize=2&cursor={cursor}", headers=agent).get_json()
        seen += [s["id"] for s in body["items"]]
        cursor = body["nextCursor"]
        assert (body["total"], body["totalExact"]) == (4, False)
    assert seen == [s["id"] for s in whole["items"]]


def test_next_cursor_follows_filters_and_ends_on_the_last_page(
    client: Any, auth: Any, ctx: Any, make_user: Any
) -> None:
    from livechat.services import sessions

    for i in range(5):
        customer = make_user(f"cust-nc{i}")
        sessions.end_session(customer, sessions.open_session(customer)[0].id)
    sessions.open_session(make_user("cust-nc-open"))
    agent = auth("agent-nc", "agent")
    ended = client.get(f"{BASE}/sessions?status=ENDED&pageSize=100", headers=agent).get_json()
    first = client.get(f"{BASE}/sessions?status=ENDED&pageSize=3", headers=agent).get_json()
    assert first["nextCursor"] is not None
    rest = client.get(
        f"{BASE}/sessions?status=ENDED&pageSize=3&cursor={first['nextCursor']}", headers=agent
    ).get_json()
    ids = [s["id"] for s in first["items"] + rest["items"]]
    assert ids == [s["id"] for s in ended["items"]] and rest["nextCursor"] is None
    # Page numbers too: the back half of an exact total is read backwards, same rows.
    last = client.get(f"{BASE}/sessions?status=ENDED&pageSize=3&page=2", headers=agent)
    assert last.get_json()["items"] == rest["items"] and last.get_json()["nextCursor"] is None
    # A chat that ends meanwhile shifts the page numbers, not what the cursor reads.
    late = make_user("cust-nc-late")
    sessions.end_session(late, sessions.open_session(late)[0].id)
    again = client.get(
        f"{BASE}/sessions?status=ENDED&pageSize=3&cursor={first['nextCursor']}", headers=agent
    ).get_json()
    assert again["items"] == rest["items"]
    assert (first["page"], again["page"]) == (1, None)  # a cursor's page has no number
    page2 = client.get(f"{BASE}/sessions?status=ENDED&pageSize=3&page=2", headers=agent)
    assert page2.get_json()["items"][0]["id"] == first["items"][2]["id"]  # shifted by one


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("cursor=not-a-cursor", 400, "bad_cursor"),
        ("cursor=" + base64.urlsafe_b64encode(b'{"a":1}').decode(), 400, "bad_cursor"),
        ("cursor=" + base64.urlsafe_b64encode(b'["x"]').decode(), 400, "bad_cursor"),
        ("cursor=" + base64.urlsafe_b64encode(b'["yesterday","id"]').decode(), 400, "bad_cursor"),
        (  # a time without its offset is not one a page gave
            "cursor=" + base64.urlsafe_b64encode(b'["2026-12-01T10:00:00","id"]').decode(),
            400,
            "bad_cursor",
        ),
        (
            "cursor="
            + base64.urlsafe_b64encode(b'["2026-12-01T10:00:00+00:00","' + b"i" * 37 + b'"]')
            .decode()
            .rstrip("="),
            400,
            "bad_cursor",
        ),
        (  # NUL and a lone surrogate cannot reach the database as text
            "cursor="
            + base64.urlsafe_b64encode(b'["2026-12-01T10:00:00+00:00","a\\u0000"]').decode(),
            400,
            "bad_cursor",
        ),
        (
            "cursor="
            + base64.urlsafe_b64encode(b'["2026-12-01T10:00:00+00:00","\\ud800"]').decode(),
            400,
            "bad_cursor",
        ),
        ("cursor=" + base64.urlsafe_b64encode(b"\xff\xfe").decode(), 400, "bad_cursor"),
        ("cursor=" + "c" * 201, 422, "validation_error"),
        ("cursor=", 422, "validation_error"),
        (  # a rule across fields: 400, as bad_date_range
            "page=2&cursor="
            + base64.urlsafe_b64encode(b'["2026-12-01T10:00:00+00:00","id"]').decode(),
            400,
            "cursor_with_page",
        ),
        ("page=100001", 422, "validation_error"),
    ],
)
def test_bad_cursors_and_pages_are_refused(
    client: Any, auth: Any, ctx: Any, query: str, status: int, code: str
) -> None:
    response = client.get(f"{BASE}/sessions?{query}", headers=auth("agent-bc", "agent"))
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code


def test_the_mine_list_has_no_cap_flag(client: Any, auth: Any, ctx: Any, make_user: Any) -> None:
    from livechat.services import sessions

    sessions.open_session(make_user("cust-mine-cap"))
    body = client.get(f"{BASE}/sessions/mine", headers=auth("cust-mine-cap")).get_json()
    assert body["total"] == 1 and "totalExact" not in body

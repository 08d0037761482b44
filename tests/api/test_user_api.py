"""Customer endpoints: open a chat (once), fetch it, read its history."""

from __future__ import annotations

from typing import Any

BASE = "/api/support/chat"


def test_create_session_then_same_one_is_returned(client: Any, auth: Any) -> None:
    h = auth("cust-1", email="c1@example.com", name="Cora")
    first = client.post(f"{BASE}/sessions/user", json={"subject": "Card declined"}, headers=h)
    assert first.status_code == 201
    body = first.get_json()
    assert body["status"] == "ACTIVE"
    assert body["userId"] == "cust-1"
    assert body["subject"] == "Card declined"
    assert body["messages"] == []
    for key in ("createdAt", "updatedAt", "agentId", "lastSeq", "metadata"):
        assert key in body

    again = client.post(f"{BASE}/sessions/user", headers=h)
    assert again.status_code == 200
    assert again.get_json()["id"] == body["id"]


def test_client_metadata_is_kept_apart(client: Any, auth: Any) -> None:
    h = auth("cust-1")
    resp = client.post(
        f"{BASE}/sessions/user",
        json={"metadata": {"page": "/cards", "escalation": "fake"}},
        headers=h,
    )
    assert resp.status_code == 201
    assert resp.get_json()["metadata"] == {"client": {"page": "/cards", "escalation": "fake"}}


def test_active_session_404_then_found_with_messages(
    client: Any, auth: Any, ctx: Any, make_user: Any
) -> None:
    h = auth("cust-2")
    resp = client.get(f"{BASE}/sessions/active", headers=h)
    assert resp.status_code == 404
    assert resp.get_json()["error"]["code"] == "no_active_session"

    from livechat.services import messages, sessions

    user = make_user("cust-2")
    session, _ = sessions.open_session(user)
    messages.post_message(user, session.id, "hello")
    messages.post_message(user, session.id, "anyone?")

    resp = client.get(f"{BASE}/sessions/active", headers=h)
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["id"] == session.id
    assert [m["content"] for m in body["messages"]] == ["hello", "anyone?"]
    assert [m["seq"] for m in body["messages"]] == [1, 2]
    assert body["messages"][0]["senderId"] == "cust-2"
    assert body["messages"][0]["senderType"] == "USER"
    assert body["messages"][0]["isRead"] is False


def test_history_after_and_limit(client: Any, auth: Any, ctx: Any, make_user: Any) -> None:
    from livechat.services import messages, sessions

    user = make_user("cust-3")
    session, _ = sessions.open_session(user)
    for i in range(1, 8):
        messages.post_message(user, session.id, f"m{i}")
    h = auth("cust-3")

    resp = client.get(f"{BASE}/sessions/{session.id}/messages?after=3&limit=2", headers=h)
    body = resp.get_json()
    assert resp.status_code == 200
    assert [m["seq"] for m in body["items"]] == [4, 5]
    assert body["hasMore"] is True
    assert body["lastSeq"] == 7

    latest = client.get(f"{BASE}/sessions/{session.id}/messages?limit=3", headers=h).get_json()
    assert [m["content"] for m in latest["items"]] == ["m5", "m6", "m7"]
    assert latest["hasMore"] is True

    rest = client.get(f"{BASE}/sessions/{session.id}/messages?after=5", headers=h).get_json()
    assert [m["seq"] for m in rest["items"]] == [6, 7]
    assert rest["hasMore"] is False


def test_history_of_someone_elses_session_is_forbidden(
    client: Any, auth: Any, ctx: Any, make_user: Any
) -> None:
    from livechat.services import sessions

    owner = make_user("cust-4")
    session, _ = sessions.open_session(owner)
    resp = client.get(f"{BASE}/sessions/{session.id}/messages", headers=auth("intruder"))
    assert resp.status_code == 403
    assert resp.get_json()["error"]["code"] == "forbidden"
    unknown = client.get(f"{BASE}/sessions/nope/messages", headers=auth("cust-4"))
    assert unknown.status_code == 404
    assert unknown.get_json()["error"]["code"] == "session_not_found"


def test_users_are_upserted_from_token_claims(client: Any, auth: Any, ctx: Any) -> None:
    from livechat.extensions import db
    from livechat.models import Role, User

    client.get(f"{BASE}/sessions/active", headers=auth("new-1", email="n@x.io", name="Nia"))
    user = db.session.get(User, "new-1")
    assert user is not None
    assert (user.email, user.display_name, user.role) == ("n@x.io", "Nia", Role.USER)

    # The role follows the token's custom claim.
    client.get(f"{BASE}/queue", headers=auth("new-1", role="agent"))
    db.session.expire_all()
    assert db.session.get(User, "new-1").role == Role.AGENT


def test_my_sessions_lists_own_chats_newest_first_paginated(
    client: Any, auth: Any, ctx: Any, make_user: Any
) -> None:
    from livechat.services import sessions

    customer = make_user("cust-1")
    ids = []
    for _ in range(3):
        session, _ = sessions.open_session(customer)
        ids.append(session.id)
        sessions.end_session(customer, session.id)
    open_one, _ = sessions.open_session(customer)
    sessions.open_session(make_user("cust-2"))  # someone else's: never listed

    resp = client.get(f"{BASE}/sessions/mine?pageSize=3", headers=auth("cust-1"))
    assert resp.status_code == 200
    body = resp.get_json()
    assert (body["page"], body["pageSize"], body["total"]) == (1, 3, 4)
    assert [s["id"] for s in body["items"]] == [open_one.id, ids[2], ids[1]]
    assert [s["status"] for s in body["items"]] == ["ACTIVE", "ENDED", "ENDED"]
    second = client.get(f"{BASE}/sessions/mine?page=2&pageSize=3", headers=auth("cust-1"))
    assert [s["id"] for s in second.get_json()["items"]] == [ids[0]]
    # A past chat's messages are read as before.
    past = client.get(f"{BASE}/sessions/{ids[0]}/messages", headers=auth("cust-1"))
    assert past.status_code == 200


def test_my_sessions_of_staff_are_the_chats_they_opened(client: Any, auth: Any) -> None:
    resp = client.get(f"{BASE}/sessions/mine", headers=auth("agent-1", "agent"))
    assert resp.status_code == 200
    assert resp.get_json() == {"items": [], "page": 1, "pageSize": 20, "total": 0}

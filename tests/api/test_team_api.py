"""/api/support/agents: admins manage the team over REST; each refusal has its code; every change
is in the audit trail; a removed agent's still-valid token is refused at once."""

from __future__ import annotations

from typing import Any

import pytest

BASE = "/api/support/agents"


@pytest.fixture()
def admin_h(auth: Any, client: Any) -> dict[str, str]:
    headers = auth("admin-1", "admin", name="Root")
    assert client.get(BASE, headers=headers).status_code == 200  # on the team from now on
    return headers


def _add(client: Any, headers: Any, **body: Any) -> Any:
    return client.post(BASE, json=body, headers=headers)


def test_add_list_patch_delete(client: Any, auth: Any, admin_h: dict[str, str]) -> None:
    resp = _add(client, admin_h, email="Ann@Example.test", role="agent", name="Ann")
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    uid = body["member"]["uid"]
    assert body["member"]["email"] == "ann@example.test" and body["member"]["name"] == "Ann"
    assert body["added"] is True and body["createdAccount"] is True and body["invitation"]
    # The invitation (a dev token here) signs Ann in as an agent.
    invited = {"Authorization": f"Bearer {body['invitation']}"}
    assert client.get("/api/support/chat/queue", headers=invited).status_code == 200

    again = _add(client, admin_h, email="ann@example.test", role="agent")
    assert again.status_code == 200 and again.get_json()["member"]["uid"] == uid

    listed = client.get(BASE, headers=admin_h).get_json()["items"]
    assert [(m["uid"], m["role"], m["status"], m["openChats"]) for m in listed] == [
        ("admin-1", "admin", "offline", 0),
        (uid, "agent", "offline", 0),
    ]

    patched = client.patch(f"{BASE}/{uid}", json={"role": "admin"}, headers=admin_h)
    assert patched.status_code == 200 and patched.get_json()["role"] == "admin"
    stale = client.get("/api/support/chat/queue", headers=invited)
    assert stale.status_code == 401 and stale.get_json()["error"]["code"] == "role_changed"

    removed = client.delete(f"{BASE}/{uid}", headers=admin_h)
    assert removed.status_code == 200
    assert removed.get_json() == {"uid": uid, "releasedSessionIds": []}
    old_admin = auth(uid, "admin")
    refused = client.get(BASE, headers=old_admin)
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "staff_access_revoked"
    everyone = client.get(f"{BASE}?includeRemoved=true", headers=admin_h).get_json()["items"]
    assert [m["removedBy"] for m in everyone] == [None, "admin-1"]

    audit = client.get("/api/support/audit", headers=admin_h).get_json()["items"]
    assert [
        (e["action"], e["subjectUserId"]) for e in audit if e["action"].startswith("team.")
    ] == [
        ("team.member_removed", uid),
        ("team.member_updated", uid),
        ("team.member_added", uid),
    ]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"email": "nope", "role": "agent"}, 422, "bad_email"),
        ({"email": "a@example.test", "role": "owner"}, 422, "bad_role"),
        ({"email": "a@example.test", "role": "user"}, 422, "bad_role"),
        ({"email": "a@example.test", "role": "agent", "name": " "}, 422, "bad_name"),
        ({"email": "a@example.test"}, 422, "validation_error"),
        ({"role": "agent"}, 422, "validation_error"),
        ({"email": 7, "role": "agent"}, 422, "validation_error"),
        ({"email": "a@example.test", "role": "agent", "extra": 1}, 422, "validation_error"),
        ({"email": "a\x00@example.test", "role": "agent"}, 422, "validation_error"),
    ],
)
def test_add_bad_input(
    client: Any, admin_h: dict[str, str], body: dict[str, Any], status: int, code: str
) -> None:
    resp = _add(client, admin_h, **body)
    assert resp.status_code == status, resp.get_json()
    assert resp.get_json()["error"]["code"] == code


def test_bad_json_and_unknown_members(client: Any, admin_h: dict[str, str]) -> None:
    resp = client.post(BASE, data="{", headers={**admin_h, "Content-Type": "application/json"})
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "invalid_json"
    for resp in (
        client.patch(f"{BASE}/nobody", json={"role": "agent"}, headers=admin_h),
        client.delete(f"{BASE}/nobody", headers=admin_h),
        client.delete(f"{BASE}/bad%00id", headers=admin_h),
    ):
        assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "agent_not_found"
    resp = client.patch(f"{BASE}/admin-1", json={"role": "superuser"}, headers=admin_h)
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "bad_role"
    resp = client.patch(f"{BASE}/admin-1", json={"name": 5}, headers=admin_h)
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "validation_error"
    resp = client.get(f"{BASE}?includeRemoved=perhaps", headers=admin_h)
    assert resp.status_code == 422


def test_yourself_and_the_last_admin_are_refused(
    client: Any, auth: Any, admin_h: dict[str, str]
) -> None:
    resp = client.delete(f"{BASE}/admin-1", headers=admin_h)
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "cannot_remove_self"
    resp = client.patch(f"{BASE}/admin-1", json={"role": "agent"}, headers=admin_h)
    assert resp.status_code == 409
    assert resp.get_json()["error"]["code"] == "cannot_change_own_role"
    second = _add(client, admin_h, email="b@example.test", role="admin").get_json()
    b_headers = {"Authorization": f"Bearer {second['invitation']}"}
    # b removes admin-1 (two admins: fine); admin-1's token is refused from then on.
    assert client.delete(f"{BASE}/admin-1", headers=b_headers).status_code == 200
    assert client.get(BASE, headers=admin_h).status_code == 401
    # b is the last admin: nobody can demote or remove them (b themselves: yourself first).
    resp = client.delete(f"{BASE}/{second['member']['uid']}", headers=b_headers)
    assert resp.get_json()["error"]["code"] == "cannot_remove_self"


def test_agents_and_customers_get_403(client: Any, auth: Any) -> None:
    for headers in (auth("agent-1", "agent"), auth("cust-1")):
        assert client.get(BASE, headers=headers).status_code == 403
        resp = _add(client, headers, email="a@example.test", role="admin")
        assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "forbidden"


def test_removed_mid_chat_over_rest(
    client: Any, auth: Any, admin_h: dict[str, str], ctx: Any, make_user: Any
) -> None:
    from livechat.services import sessions

    agent_h = auth("agent-1", "agent")
    assert client.get("/api/support/chat/queue", headers=agent_h).status_code == 200
    session, _ = sessions.open_session(make_user("cust-1"))
    sessions.assign_agent(make_user("agent-1", "agent"), session.id)
    resp = client.delete(f"{BASE}/agent-1", headers=admin_h)
    assert resp.get_json()["releasedSessionIds"] == [session.id]
    got = client.get(f"/api/support/chat/sessions/{session.id}", headers=admin_h).get_json()
    assert got["session"]["status"] == "WAITING" and got["session"]["agentId"] is None
    refused = client.post(
        f"/api/support/chat/sessions/{session.id}/messages",
        json={"content": "still here?"},
        headers=agent_h,
    )
    assert refused.status_code == 401

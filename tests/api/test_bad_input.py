"""Bad input gets a clear 4xx JSON error, never a 500, and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from livechat import runtime

BASE = "/api/support/chat"


@pytest.fixture()
def assigned(ctx: Any, make_user: Any) -> str:
    from livechat.services import sessions

    owner = make_user("owner")
    session, _ = sessions.open_session(owner)
    sessions.assign_agent(make_user("agent-1", "agent"), session.id)
    return session.id


def _count_messages() -> int:
    import sqlalchemy as sa

    from livechat.extensions import db
    from livechat.models import ChatMessage

    return db.session.scalar(sa.select(sa.func.count()).select_from(ChatMessage))


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "content"),
        ({"content": ""}, "content"),
        ({"content": "   \n\t "}, "content"),
        ({"content": 42}, "content"),
        ({"content": None}, "content"),
        ({"content": ["a"]}, "content"),
        ({"content": "ok", "clientMessageId": ""}, "clientMessageId"),
        ({"content": "ok", "clientMessageId": "x" * 65}, "clientMessageId"),
        ({"content": "ok", "clientMessageId": 7}, "clientMessageId"),
        ({"content": "ok", "metadata": "nope"}, "metadata"),
        ({"content": "ok", "metadata": {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}}, "metadata"),
        ({"content": "ok", "metadata": {"blob": "x" * 9000}}, "metadata"),
        ({"content": "ok", "surprise": True}, "surprise"),
    ],
)
def test_agent_message_validation(
    client: Any, auth: Any, assigned: str, payload: dict[str, Any], field: str
) -> None:
    before = _count_messages()
    resp = client.post(
        f"{BASE}/sessions/{assigned}/messages", json=payload, headers=auth("agent-1", "agent")
    )
    assert resp.status_code == 422, resp.get_json()
    error = resp.get_json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["details"]
    assert _count_messages() == before


def test_content_of_exactly_4000_characters_is_accepted(
    client: Any, auth: Any, assigned: str
) -> None:
    resp = client.post(
        f"{BASE}/sessions/{assigned}/messages",
        json={"content": "é" * 4000},
        headers=auth("agent-1", "agent"),
    )
    assert resp.status_code == 201


def test_malformed_and_non_object_bodies(client: Any, auth: Any, assigned: str) -> None:
    h = {**auth("agent-1", "agent"), "Content-Type": "application/json"}
    url = f"{BASE}/sessions/{assigned}/messages"
    resp = client.post(url, data="{not json", headers=h)
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "invalid_json"
    resp = client.post(url, data=b"\xff\xfe", headers=h)
    assert resp.status_code == 400
    for body in ("[1, 2]", '"text"', "12"):
        resp = client.post(url, data=body, headers=h)
        assert resp.status_code == 422, body
        assert resp.get_json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize("length", [4001, 64 * 1024])
def test_a_message_over_the_limit_is_message_too_long(
    client: Any, auth: Any, assigned: str, app: Any, length: int
) -> None:
    """Over 4000 characters, or so long the body is over MAX_BODY_BYTES: the same JSON error
    as a socket's ack, with the limit."""
    before = _count_messages()
    resp = client.post(
        f"{BASE}/sessions/{assigned}/messages",
        data='{"content": "' + "x" * length + '"}',
        headers={**auth("agent-1", "agent"), "Content-Type": "application/json"},
    )
    assert resp.status_code == 413
    error = resp.get_json()["error"]
    assert error["code"] == "message_too_long" and error["details"] == {"limit": 4000}
    assert _count_messages() == before


def test_oversized_body_is_413(client: Any, auth: Any, app: Any) -> None:
    limit = app.config["MAX_CONTENT_LENGTH"]
    resp = client.post(
        f"{BASE}/sessions/user",
        data='{"subject": "' + "x" * limit + '"}',
        headers={**auth("owner"), "Content-Type": "application/json"},
    )
    assert resp.status_code == 413
    assert resp.get_json()["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/sessions?page=0", "page"),
        ("/sessions?page=abc", "page"),
        ("/sessions?pageSize=1000", "pageSize"),
        ("/sessions/mine?page=0", "page"),
        ("/sessions/mine?page=2.5", "page"),
        ("/sessions/mine?pageSize=0", "pageSize"),
        ("/sessions/mine?pageSize=101", "pageSize"),
        ("/sessions/mine?pageSize=many", "pageSize"),
        ("/sessions?status=OPEN", "status"),
        ("/sessions/{sid}/messages?after=-1", "after"),
        ("/sessions/{sid}/messages?limit=0", "limit"),
        ("/sessions/{sid}/messages?after=x", "after"),
    ],
)
def test_bad_query_parameters(client: Any, auth: Any, assigned: str, path: str, field: str) -> None:
    resp = client.get(BASE + path.format(sid=assigned), headers=auth("agent-1", "agent"))
    assert resp.status_code == 422
    assert field in resp.get_json()["error"]["details"]


@pytest.mark.parametrize(
    "payload",
    [{"subject": ""}, {"subject": "x" * 201}, {"subject": 5}, {"metadata": []}, {"foo": 1}],
)
def test_create_session_validation(client: Any, auth: Any, payload: dict[str, Any]) -> None:
    resp = client.post(f"{BASE}/sessions/user", json=payload, headers=auth("cust-1"))
    assert resp.status_code == 422
    assert client.get(f"{BASE}/sessions/active", headers=auth("cust-1")).status_code == 404


def test_assign_validation(client: Any, auth: Any, assigned: str) -> None:
    url = f"{BASE}/sessions/{assigned}/assign"
    for payload in ({"agentId": 5}, {"agentId": ""}, {"agent": "x"}):
        resp = client.post(url, json=payload, headers=auth("admin-1", "admin"))
        assert resp.status_code == 422, payload


def test_unknown_routes_and_methods_answer_json(client: Any, auth: Any) -> None:
    resp = client.get("/api/nothing-here", headers=auth("cust-1"))
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not_found"
    resp = client.delete(f"{BASE}/queue", headers=auth("agent-1", "agent"))
    assert resp.status_code == 405 and resp.get_json()["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer ", "Basic abc", "token", "Bearer " + "a" * 9000, "Bearer a.b.c"],
)
def test_malformed_authorization_headers(client: Any, header: str) -> None:
    resp = client.get(f"{BASE}/sessions/active", headers={"Authorization": header})
    assert resp.status_code == 401
    assert resp.get_json()["error"]["code"] in {"unauthorized", "invalid_token"}


def test_expired_and_tampered_dev_tokens(client: Any, app: Any, token: Any) -> None:
    verifier = runtime.verifier(app)
    expired = verifier.issue("cust-1", ttl=-10)
    resp = client.get(f"{BASE}/sessions/active", headers={"Authorization": f"Bearer {expired}"})
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "token_expired"

    good = token("cust-1")
    head, payload, sig = good.split(".")
    tampered = ".".join([head, payload, sig[:-2] + ("AA" if sig[-2:] != "AA" else "BB")])
    resp = client.get(f"{BASE}/sessions/active", headers={"Authorization": f"Bearer {tampered}"})
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "invalid_token"

    from livechat.auth import DevTokenVerifier

    foreign = DevTokenVerifier("another-secret").issue("cust-1")
    resp = client.get(f"{BASE}/sessions/active", headers={"Authorization": f"Bearer {foreign}"})
    assert resp.status_code == 401


@pytest.mark.parametrize("uid", ["AI_ASSISTANT", "SYSTEM", "x" * 129])
def test_reserved_or_invalid_uids_cannot_sign_in(client: Any, token: Any, uid: str) -> None:
    resp = client.get(f"{BASE}/sessions/active", headers={"Authorization": f"Bearer {token(uid)}"})
    assert resp.status_code == 401

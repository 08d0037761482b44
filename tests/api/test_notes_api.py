"""Internal notes over REST: staff write and read them; customers never write or see one."""

from __future__ import annotations

from typing import Any

import pytest

BASE = "/api/support/chat"
SECRET = "Suspected account takeover, do not refund"


@pytest.fixture()
def chat(ctx: Any, make_user: Any) -> str:
    """cust-1's chat taken by agent-1, with one message each side (seq 1 and 2)."""
    from livechat.services import messages, sessions

    make_user("agent-2", "agent")
    make_user("admin-1", "admin")
    customer = make_user("cust-1")
    make_user("cust-2")
    session, _ = sessions.open_session(customer)
    agent = make_user("agent-1", "agent", "Ada")
    sessions.assign_agent(agent, session.id)
    messages.post_message(customer, session.id, "my card is blocked")
    messages.post_message(agent, session.id, "let me look")
    return session.id


def _note(client: Any, auth: Any, sid: str, uid: str, role: str, body: dict[str, Any]) -> Any:
    return client.post(f"{BASE}/sessions/{sid}/notes", json=body, headers=auth(uid, role))


def test_an_agent_writes_a_note_that_takes_no_seq(client: Any, auth: Any, chat: str) -> None:
    resp = _note(client, auth, chat, "agent-2", "agent", {"content": f"  {SECRET}  "})
    assert resp.status_code == 201, resp.get_json()
    note = resp.get_json()
    assert note["content"] == SECRET and note["internal"] is True
    assert (note["noteSeq"], note["afterSeq"], note["authorId"]) == (1, 2, "agent-2")
    assert note["author"]["id"] == "agent-2"
    # The next message follows seq 2 directly: the note left no hole in the customer's numbers.
    reply = client.post(
        f"{BASE}/sessions/{chat}/messages",
        json={"content": "done"},
        headers=auth("agent-1", "agent"),
    ).get_json()
    assert reply["seq"] == 3
    second = _note(client, auth, chat, "admin-1", "admin", {"content": "ok"}).get_json()
    assert (second["noteSeq"], second["afterSeq"]) == (2, 3)

    listed = client.get(f"{BASE}/sessions/{chat}/notes", headers=auth("agent-1", "agent"))
    assert [n["noteSeq"] for n in listed.get_json()["items"]] == [1, 2]
    after = client.get(f"{BASE}/sessions/{chat}/notes?after=1", headers=auth("agent-1", "agent"))
    assert [n["content"] for n in after.get_json()["items"]] == ["ok"]
    assert after.get_json()["hasMore"] is False
    detail = client.get(f"{BASE}/sessions/{chat}", headers=auth("agent-1", "agent")).get_json()
    assert [n["id"] for n in detail["notes"]] == [note["id"], second["id"]]
    assert all(m["seq"] != 0 for m in detail["messages"]) and len(detail["messages"]) == 3


def test_a_retry_with_the_same_client_message_id_is_stored_once(
    client: Any, auth: Any, chat: str
) -> None:
    body = {"content": "once", "clientMessageId": "n-1"}
    first = _note(client, auth, chat, "agent-1", "agent", body)
    again = _note(client, auth, chat, "agent-1", "agent", body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["id"] == again.get_json()["id"]
    listed = client.get(f"{BASE}/sessions/{chat}/notes", headers=auth("agent-1", "agent"))
    assert len(listed.get_json()["items"]) == 1


def test_notes_on_an_ended_chat_are_allowed(client: Any, auth: Any, chat: str) -> None:
    ended = client.post(f"{BASE}/sessions/{chat}/end", json={}, headers=auth("agent-1", "agent"))
    assert ended.status_code == 200
    resp = _note(client, auth, chat, "agent-1", "agent", {"content": "called back, all fine"})
    assert resp.status_code == 201 and resp.get_json()["afterSeq"] >= 2


@pytest.mark.parametrize(
    ("uid", "role", "body", "status", "code"),
    [
        ("cust-1", "user", {"content": "let me in"}, 403, "forbidden"),
        ("cust-2", "user", {"content": "let me in"}, 403, "forbidden"),
        ("agent-1", "agent", {"content": "   "}, 422, "validation_error"),
        ("agent-1", "agent", {}, 422, "validation_error"),
        ("agent-1", "agent", {"content": "x" * 4001}, 413, "message_too_long"),
        ("agent-1", "agent", {"content": "a", "metadata": {}}, 422, "validation_error"),
        ("agent-1", "agent", {"content": "a\x00"}, 422, "validation_error"),
    ],
)
def test_bad_notes_are_refused_and_store_nothing(
    client: Any, auth: Any, chat: str, uid: str, role: str, body: Any, status: int, code: str
) -> None:
    resp = _note(client, auth, chat, uid, role, body)
    assert resp.status_code == status, resp.get_json()
    assert resp.get_json()["error"]["code"] == code
    listed = client.get(f"{BASE}/sessions/{chat}/notes", headers=auth("agent-1", "agent"))
    assert listed.get_json()["items"] == []


def test_unknown_session(client: Any, auth: Any, chat: str) -> None:
    resp = _note(client, auth, "no-such-chat", "agent-1", "agent", {"content": "x"})
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "session_not_found"
    customer = client.get(f"{BASE}/sessions/{chat}/notes", headers=auth("cust-1"))
    assert customer.status_code == 403


def test_customers_never_read_a_note(client: Any, auth: Any, chat: str) -> None:
    assert _note(client, auth, chat, "agent-1", "agent", {"content": SECRET}).status_code == 201
    customer = auth("cust-1")
    for path in (
        "/sessions/active",
        "/sessions/mine",
        f"/sessions/{chat}/messages",
        f"/sessions/{chat}/messages?after=0",
        f"/sessions/{chat}/messages?after=2",
    ):
        resp = client.get(BASE + path, headers=customer)
        assert resp.status_code == 200, path
        text = resp.get_data(as_text=True)
        assert SECRET not in text and "noteSeq" not in text, path
    # And the past conversation the widget lists, once the chat has ended.
    client.post(f"{BASE}/sessions/{chat}/end", json={}, headers=customer)
    past = client.get(f"{BASE}/sessions/{chat}/messages", headers=customer).get_json()
    assert [m["seq"] for m in past["items"]] == list(range(1, len(past["items"]) + 1))
    assert all(SECRET not in m["content"] for m in past["items"])


def test_notes_are_in_the_openapi_document(client: Any) -> None:
    doc = client.get("/api/openapi.json").get_json()
    path = doc["paths"]["/api/support/chat/sessions/{session_id}/notes"]
    assert {"get", "post"} <= set(path)
    assert {"201", "200", "403", "413", "422"} <= set(path["post"]["responses"])
    schemas = doc["components"]["schemas"]
    note = next(s for name, s in schemas.items() if name.startswith("Note") and "noteSeq" in str(s))
    assert {"noteSeq", "afterSeq", "internal", "authorId"} <= set(note["properties"])

"""History and search over REST: GET /api/support/search and the Conversations filters."""

from __future__ import annotations

from typing import Any

import pytest

SEARCH = "/api/support/search"
SESSIONS = "/api/support/chat/sessions"


@pytest.fixture()
def chats(ctx: Any, make_user: Any) -> dict[str, str]:
    """An ended chat escalated HIGH by the rule ``negative_sentiment``, and an open one."""
    from livechat.models import TicketPriority
    from livechat.services import escalation, messages, notes, sessions

    agent = make_user("agent-1", "agent")
    old = make_user("cust-old")
    sid_old = sessions.open_session(old)[0].id
    messages.post_message(old, sid_old, "The chargeback on my card never arrived")
    escalation.escalate(
        sid_old,
        reason="angry",
        requested_by="AI_ASSISTANT",
        priority=TicketPriority.HIGH,
        rule="negative_sentiment",
    )
    sessions.assign_agent(agent, sid_old)
    notes.post_note(agent, sid_old, "Chargeback opened with the scheme")
    sessions.end_session(agent, sid_old)
    new = make_user("cust-new")
    sid_new = sessions.open_session(new)[0].id
    messages.post_message(new, sid_new, "How do I order a new card?")
    return {"old": sid_old, "new": sid_new}


def test_an_agent_finds_a_message_of_an_ended_chat(client: Any, auth: Any, chats: Any) -> None:
    resp = client.get(f"{SEARCH}?q=chargebacks", headers=auth("agent-1", "agent"))
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert (body["page"], body["pageSize"], body["hasMore"]) == (1, 20, False)
    kinds = {h["kind"]: h for h in body["items"]}
    assert set(kinds) == {"message", "note"}
    hit = kinds["message"]
    assert hit["sessionId"] == chats["old"] and hit["session"]["status"] == "ENDED"
    assert hit["session"]["customer"]["id"] == "cust-old"
    assert [s["text"] for s in hit["segments"] if s["match"]] == ["chargeback"]
    assert kinds["note"]["senderId"] == "agent-1"


def test_filters_apply_to_search(client: Any, auth: Any, chats: Any) -> None:
    headers = auth("agent-1", "agent")
    found = client.get(f"{SEARCH}?q=card&status=ACTIVE&kind=message", headers=headers)
    assert [h["sessionId"] for h in found.get_json()["items"]] == [chats["new"]]
    by_rule = client.get(f"{SEARCH}?q=card&rule=negative_sentiment", headers=headers)
    assert {h["sessionId"] for h in by_rule.get_json()["items"]} == {chats["old"]}


def test_conversations_filter_by_priority_rule_customer_and_dates(
    client: Any, auth: Any, chats: Any
) -> None:
    headers = auth("agent-1", "agent")

    def ids(query: str) -> list[str]:
        resp = client.get(f"{SESSIONS}?{query}", headers=headers)
        assert resp.status_code == 200, resp.get_json()
        return [s["id"] for s in resp.get_json()["items"]]

    assert ids("") == [chats["new"], chats["old"]]  # newest first
    assert ids("priority=HIGH") == [chats["old"]]
    assert ids("rule=negative_sentiment&status=ENDED") == [chats["old"]]
    assert ids("priority=LOW") == []
    assert ids("userId=cust-new") == [chats["new"]]
    assert ids("from=2000-01-01T00:00:00Z&to=2999-01-01T00:00:00%2B02:00") == ids("")
    assert ids("from=2999-01-01T00:00:00") == []


@pytest.mark.parametrize("role", ["user"])
def test_a_customer_may_not_search(client: Any, auth: Any, chats: Any, role: str) -> None:
    resp = client.get(f"{SEARCH}?q=card", headers=auth("cust-old", role))
    assert resp.status_code == 403
    assert resp.get_json()["error"]["code"] == "forbidden"


def test_search_needs_a_token(client: Any, chats: Any) -> None:
    assert client.get(f"{SEARCH}?q=card").status_code == 401


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "q"),
        ("q=" + "x" * 201, "q"),
        ("q=card&kind=ticket", "kind"),
        ("q=card&sort=oldest", "sort"),
        ("q=card&status=OPEN", "status"),
        ("q=card&priority=SEVERE", "priority"),
        ("q=card&rule=Drop%20table", "rule"),
        ("q=card&from=yesterday", "from"),
        ("q=card&to=2026-13-45", "to"),
        ("q=card&page=0", "page"),
        ("q=card&page=51", "page"),
        ("q=card&pageSize=1000", "pageSize"),
    ],
)
def test_bad_filters_get_a_clear_json_error(
    client: Any, auth: Any, chats: Any, query: str, field: str
) -> None:
    resp = client.get(f"{SEARCH}?{query}", headers=auth("agent-1", "agent"))
    assert resp.status_code == 422, resp.get_json()
    error = resp.get_json()["error"]
    assert error["code"] == "validation_error" and field in error["details"]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("q=%21%21%21", "empty_query"),
        ("q=%20%20", "empty_query"),
        ("q=card&from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z", "bad_date_range"),
    ],
)
def test_meaningless_searches_get_400(
    client: Any, auth: Any, chats: Any, query: str, code: str
) -> None:
    resp = client.get(f"{SEARCH}?{query}", headers=auth("agent-1", "agent"))
    assert resp.status_code == 400, resp.get_json()
    assert resp.get_json()["error"]["code"] == code


def test_bad_conversation_filters(client: Any, auth: Any, chats: Any) -> None:
    headers = auth("agent-1", "agent")
    bad = client.get(f"{SESSIONS}?priority=nope", headers=headers)
    assert bad.status_code == 422 and "priority" in bad.get_json()["error"]["details"]
    empty = client.get(
        f"{SESSIONS}?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z", headers=headers
    )
    assert empty.status_code == 400 and empty.get_json()["error"]["code"] == "bad_date_range"


def test_search_is_in_the_openapi_document(client: Any) -> None:
    spec = client.get("/api/openapi.json").get_json()
    operation = spec["paths"]["/api/support/search"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"q", "kind", "sort", "status", "priority", "rule", "from", "to"} <= names
    assert {"400", "403", "422"} <= set(operation["responses"])

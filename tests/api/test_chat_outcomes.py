"""Ending a chat with an outcome (REST): its escalation tickets resolved or kept for a follow-up."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

BASE = "/api/support/chat"


def _escalated(make_user: Any, uid: str = "cust-1", agent: str | None = "agent-1") -> Any:
    """A customer's chat escalated by "I want a human" (a ticket opened), taken by ``agent``."""
    from livechat.services import escalation, messages, sessions

    user = make_user(uid)
    session, _ = sessions.open_session(user)
    messages.post_message(user, session.id, "I want a human")
    escalation.escalate(
        session.id, reason="human_request", intent="human_request", requested_by="AI_ASSISTANT"
    )
    if agent is not None:
        sessions.assign_agent(make_user(agent, "agent"), session.id)
    return session


def _tickets(user_id: str) -> list[Any]:
    from livechat.extensions import db
    from livechat.models import Ticket

    db.session.remove()
    return list(
        db.session.scalars(
            sa.select(Ticket).where(Ticket.user_id == user_id).order_by(Ticket.created_at)
        )
    )


def _state(session_id: str) -> tuple[Any, ...]:
    """Everything ending a chat may change: the session, its tickets, the audit trail."""
    from livechat.extensions import db
    from livechat.models import AuditEvent, ChatSession

    db.session.remove()
    s = db.session.get(ChatSession, session_id)
    audits = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    tickets = [(t.id, t.status, t.assignee_id, t.updated_at) for t in _tickets(s.user_id)]
    return s.status, s.outcome, s.outcome_note, s.ended_at, tickets, audits


def test_ending_resolves_the_chats_escalation_tickets_by_default(
    client: Any, auth: Any, ctx: Any, make_user: Any
) -> None:
    from livechat.services import tickets as ticket_service

    session = _escalated(make_user)
    # A ticket an agent opened on the same chat is not the escalation's: it stays open.
    other = ticket_service.open_ticket(
        make_user("agent-1", "agent"), user_id="cust-1", subject="Card", session_id=session.id
    ).id
    resp = client.post(f"{BASE}/sessions/{session.id}/end", headers=auth("agent-1", "agent"))
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert (body["status"], body["outcome"], body["outcomeNote"]) == ("ENDED", "resolved", None)
    statuses = {t.id: (t.status.value, t.resolved_at is not None) for t in _tickets("cust-1")}
    escalation_ticket = next(t for t in statuses if t != other)
    assert statuses == {escalation_ticket: ("RESOLVED", True), other: ("OPEN", False)}

    detail = client.get(f"{BASE}/sessions/{session.id}", headers=auth("agent-1", "agent"))
    assert detail.get_json()["session"]["outcome"] == "resolved"


def test_follow_up_keeps_the_tickets_open_assigned_to_the_ending_agent(
    client: Any, auth: Any, ctx: Any, make_user: Any
) -> None:
    session = _escalated(make_user)
    resp = client.post(
        f"{BASE}/sessions/{session.id}/end",
        json={"outcome": "follow_up", "note": "  Card replacement pending  "},
        headers=auth("agent-1", "agent"),
    )
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert (body["outcome"], body["outcomeNote"]) == ("follow_up", "Card replacement pending")
    [ticket] = _tickets("cust-1")
    assert (ticket.status.value, ticket.assignee_id) == ("OPEN", "agent-1")


def test_the_end_is_audited_with_its_outcome_note_and_tickets(
    client: Any, auth: Any, ctx: Any, make_user: Any
) -> None:
    session = _escalated(make_user)
    make_user("admin-1", "admin")
    client.post(
        f"{BASE}/sessions/{session.id}/end",
        json={"outcome": "resolved", "note": "Explained the freeze toggle"},
        headers=auth("agent-1", "agent"),
    )
    [ticket] = _tickets("cust-1")
    trail = client.get(
        f"/api/support/audit?sessionId={session.id}", headers=auth("admin-1", "admin")
    ).get_json()["items"]
    ended = next(e for e in trail if e["action"] == "session.ended")
    assert ended["actorId"] == "agent-1"
    assert ended["details"] == {
        "outcome": "resolved",
        "note": "Explained the freeze toggle",
        "ticketIds": [ticket.id],
    }
    # The admin export carries the outcome and the note with the chat.
    export = client.get(
        "/api/support/customers/cust-1/export", headers=auth("admin-1", "admin")
    ).get_json()
    [chat] = export["sessions"]
    assert (chat["outcome"], chat["outcomeNote"]) == ("resolved", "Explained the freeze toggle")


def test_customers_never_see_the_outcome_or_the_note(
    client: Any, auth: Any, ctx: Any, make_user: Any
) -> None:
    session = _escalated(make_user)
    client.post(
        f"{BASE}/sessions/{session.id}/end",
        json={"outcome": "follow_up", "note": "internal"},
        headers=auth("agent-1", "agent"),
    )
    for path in (f"/sessions/{session.id}/messages", "/sessions/mine"):
        resp = client.get(BASE + path, headers=auth("cust-1"))
        assert resp.status_code == 200
        text = resp.get_data(as_text=True)
        assert "internal" not in text and '"outcome"' not in text


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"outcome": "closed"}, 422, "validation_error"),
        ({"outcome": "RESOLVED"}, 422, "validation_error"),
        ({"outcome": 1}, 422, "validation_error"),
        ({"note": "x" * 1001}, 422, "validation_error"),
        ({"note": 5}, 422, "validation_error"),
        ({"outcome": "resolved", "extra": True}, 422, "validation_error"),
        ([], 422, "validation_error"),
    ],
)
def test_bad_outcomes_are_refused_and_change_nothing(
    client: Any, auth: Any, ctx: Any, make_user: Any, payload: Any, status: int, code: str
) -> None:
    session = _escalated(make_user)
    before = _state(session.id)
    resp = client.post(
        f"{BASE}/sessions/{session.id}/end", json=payload, headers=auth("agent-1", "agent")
    )
    assert resp.status_code == status and resp.get_json()["error"]["code"] == code
    assert _state(session.id) == before


def test_a_note_at_the_limit_is_kept_whole(
    client: Any, auth: Any, ctx: Any, make_user: Any
) -> None:
    session = _escalated(make_user)
    resp = client.post(
        f"{BASE}/sessions/{session.id}/end",
        json={"note": "n" * 1000},
        headers=auth("agent-1", "agent"),
    )
    assert resp.status_code == 200 and resp.get_json()["outcomeNote"] == "n" * 1000


def test_ending_an_ended_or_unknown_chat_is_refused_and_settles_nothing(
    client: Any, auth: Any, ctx: Any, make_user: Any
) -> None:
    from livechat.services import sessions

    session = _escalated(make_user)
    # The customer ended it: no outcome, the ticket stays open.
    sessions.end_session(make_user("cust-1"), session.id)
    before = _state(session.id)
    assert before[1] is None and before[4][0][1].value == "OPEN"
    resp = client.post(
        f"{BASE}/sessions/{session.id}/end",
        json={"outcome": "resolved"},
        headers=auth("agent-1", "agent"),
    )
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "session_ended"
    assert _state(session.id) == before
    resp = client.post(f"{BASE}/sessions/nope/end", headers=auth("agent-1", "agent"))
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "session_not_found"


def test_customers_cannot_end_through_the_support_endpoint(
    client: Any, auth: Any, ctx: Any, make_user: Any
) -> None:
    session = _escalated(make_user)
    before = _state(session.id)
    for uid in ("cust-1", "cust-2"):
        resp = client.post(
            f"{BASE}/sessions/{session.id}/end", json={"outcome": "resolved"}, headers=auth(uid)
        )
        assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "forbidden"
    assert _state(session.id) == before


def test_a_customer_ending_their_own_chat_records_no_outcome(ctx: Any, make_user: Any) -> None:
    from livechat.errors import Forbidden
    from livechat.extensions import db
    from livechat.models import SessionOutcome
    from livechat.services import sessions

    session = _escalated(make_user)
    customer = make_user("cust-1")
    before = _state(session.id)
    for kwargs in ({"outcome": SessionOutcome.RESOLVED}, {"note": "done"}):
        with pytest.raises(Forbidden) as refused:
            sessions.end_session(customer, session.id, **kwargs)
        assert refused.value.code == "outcome_not_allowed"
        db.session.rollback()
    assert _state(session.id) == before
    ended = sessions.end_session(customer, session.id)
    assert (ended.status.value, ended.outcome) == ("ENDED", None)
    assert [t.status.value for t in _tickets("cust-1")] == ["OPEN"]


def test_ticket_events_follow_the_outcome(ctx: Any, make_user: Any) -> None:
    from livechat import runtime
    from livechat.events import TicketUpdated
    from livechat.models import SessionOutcome
    from livechat.services import sessions

    first = _escalated(make_user, "cust-1")
    second = _escalated(make_user, "cust-2")
    agent = make_user("agent-1", "agent")
    bus = runtime.bus(ctx)
    seen: list[Any] = []
    bus.subscribe(TicketUpdated, seen.append)
    try:
        sessions.end_session(agent, first.id)
        sessions.end_session(agent, second.id, outcome=SessionOutcome.FOLLOW_UP)
    finally:
        bus._handlers[TicketUpdated].remove(seen.append)
    assert [(e.session_id, e.changes) for e in seen] == [
        (first.id, {"status": ["OPEN", "RESOLVED"]}),
        (second.id, {"assigneeId": [None, "agent-1"]}),
    ]
    assert seen[0].ticket["status"] == "RESOLVED"

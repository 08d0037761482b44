"""services/rules.py: each rule's SQL fragment and Python form agree, row by row, in PostgreSQL."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

# (owner, status, agent): every status with and without an agent; one owner each (one open
# session per customer).
SESSIONS = [
    ("cust-0", "ACTIVE", None),
    ("cust-1", "ACTIVE", "agent-1"),
    ("cust-2", "WAITING", None),
    ("cust-3", "WAITING", "agent-1"),
    ("cust-4", "ENDED", None),
    ("cust-5", "ENDED", "agent-1"),
]
# (actor, staff): the owners, an agent with and without chats, and agent-1 signed in with a
# customer's role (the SQL and Python forms must both want staff for the agent's path).
ACTORS = [(f"cust-{i}", False) for i in range(6)] + [
    ("agent-1", True),
    ("agent-2", True),
    ("agent-1", False),
    ("stranger", False),
]


def _table(make_user: Any) -> dict[str, Any]:
    """The sessions of SESSIONS in the database; their ids by owner."""
    from livechat.extensions import db
    from livechat.models import ChatSession, SessionStatus

    for uid in [f"cust-{i}" for i in range(6)] + ["stranger"]:
        make_user(uid)
    for uid in ("agent-1", "agent-2"):
        make_user(uid, "agent")
    for owner, status, agent in SESSIONS:
        db.session.add(
            ChatSession(user_id=owner, status=SessionStatus(status), agent_id=agent, meta={})
        )
    db.session.commit()
    return {s.user_id: s for s in db.session.scalars(sa.select(ChatSession)).unique()}


def test_may_post_sql_and_python_agree_on_every_session_and_actor(ctx: Any, make_user: Any) -> None:
    from livechat.extensions import db
    from livechat.services import rules

    sessions = _table(make_user)
    actors = ", ".join(f"('{a}', {str(staff).lower()})" for a, staff in ACTORS)
    rows = db.session.execute(
        sa.text(
            f"SELECT s.id, a.actor, a.staff,"
            f" {rules.may_post_sql('s', 'a.actor', 'a.staff')} AS allowed,"
            f" {rules.sender_type_sql('s', 'a.actor')} AS sender_type"
            f" FROM chat_sessions s CROSS JOIN (VALUES {actors}) AS a(actor, staff)"
        )
    ).all()
    by_id = {s.id: s for s in sessions.values()}
    assert len(rows) == len(SESSIONS) * len(ACTORS)
    for row in rows:
        session = by_id[row.id]
        expected = rules.may_post(row.actor, row.staff, session)
        assert row.allowed is expected, (row, session.status, session.agent_id)
        if expected:
            assert row.sender_type == rules.sender_type(row.actor, session).value
    allowed = {(by_id[r.id].user_id, r.actor, r.staff) for r in rows if r.allowed}
    # Owners of unended chats; agent-1 (as staff) in its unended chats; nobody else.
    assert allowed == {
        ("cust-0", "cust-0", False),
        ("cust-1", "cust-1", False),
        ("cust-2", "cust-2", False),
        ("cust-3", "cust-3", False),
        ("cust-1", "agent-1", True),
        ("cust-3", "agent-1", True),
    }


def test_assistant_may_answer_sql_and_python_agree_on_every_session(
    ctx: Any, make_user: Any
) -> None:
    from livechat.extensions import db
    from livechat.services import rules

    sessions = _table(make_user)
    rows = db.session.execute(
        sa.text(f"SELECT s.id, {rules.assistant_may_answer_sql('s')} AS ok FROM chat_sessions s")
    ).all()
    by_id = {s.id: s for s in sessions.values()}
    assert len(rows) == len(SESSIONS)
    for row in rows:
        session = by_id[row.id]
        assert row.ok is rules.assistant_may_answer(session.status, session.agent_id)
        # Event payloads carry the status as a string: the same answer.
        assert row.ok is rules.assistant_may_answer(session.status.value, session.agent_id)
    assert {by_id[r.id].user_id for r in rows if r.ok} == {"cust-0"}


def test_posting_refusals_say_why_in_the_documented_order(ctx: Any) -> None:
    from types import SimpleNamespace

    from livechat.services import rules

    ended = SimpleNamespace(status="ENDED", user_id="cust", agent_id="agent-1")
    open_ = SimpleNamespace(status="ACTIVE", user_id="cust", agent_id="agent-1")
    # A stranger learns nothing about the chat's state; staff learn why they may not write.
    assert rules.posting_refusal("other", False, ended).code == "forbidden"
    assert rules.posting_refusal("agent-1", True, ended).code == "session_ended"
    assert rules.posting_refusal("agent-2", True, open_).code == "not_assigned"
    assert rules.posting_refusal("agent-1", True, open_) is None
    assert rules.posting_refusal("cust", False, open_) is None


def test_ticket_unresolved_sql_and_python_agree_on_every_status(ctx: Any, make_user: Any) -> None:
    from livechat.extensions import db
    from livechat.models import Ticket, TicketStatus
    from livechat.services import rules

    make_user("cust-0")
    for status in TicketStatus:
        db.session.add(
            Ticket(user_id="cust-0", subject=status.value, status=status, created_by="x")
        )
    db.session.commit()
    rows = db.session.execute(
        sa.text(f"SELECT t.status, {rules.ticket_unresolved_sql('t')} AS open FROM tickets t")
    ).all()
    assert len(rows) == len(TicketStatus)
    for row in rows:
        assert row.open is rules.ticket_unresolved(row.status)
        assert row.open is rules.ticket_unresolved(TicketStatus(row.status))
    assert {r.status for r in rows if r.open} == {"OPEN", "IN_PROGRESS"}

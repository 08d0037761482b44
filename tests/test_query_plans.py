"""The hot reads use indexes, not scans (docs/performance.md, "Large data").

Each operation is the product's own code (the service the handler calls); the statements it
sends are caught on the engine as they run and explained (``EXPLAIN (FORMAT JSON)``, same SQL,
same parameters) with ``enable_seqscan`` off: the tables here are tiny, so the planner would
rightly scan them; with scans priced out it shows whether an index can serve the statement at
all. No plan may scan chat_messages, chat_sessions or tickets, and each operation must use one of
the indexes that serve it at a million messages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

HOT_TABLES = {"chat_messages", "chat_sessions", "tickets"}


@contextmanager
def _statements() -> Iterator[list[tuple[str, Any]]]:
    """The (SQL, parameters) the engine runs inside the block."""
    import sqlalchemy as sa

    from livechat.extensions import db

    caught: list[tuple[str, Any]] = []

    def catch(conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool) -> None:
        if not many:
            caught.append((sql, params))

    sa.event.listen(db.engine, "before_cursor_execute", catch)
    try:
        yield caught
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", catch)


def _plans(statements: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    """Each statement's plan, scans priced out, on a connection of its own (rolled back)."""
    from livechat.extensions import db

    plans = []
    with db.engine.connect() as conn:
        for sql, params in statements:
            if not sql.lstrip().upper().startswith(("SELECT", "WITH", "UPDATE")):
                continue
            with conn.begin():
                conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
                row = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {sql}", params).scalar()
                conn.rollback()
            plans.append({"sql": sql, "plan": row[0]["Plan"]})
    return plans


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _explain(operation: Callable[[], Any]) -> tuple[set[str], list[str]]:
    """The indexes the operation's statements use, and the hot tables any of them scans."""
    with _statements() as caught:
        operation()
    plans = _plans(caught)
    assert plans, "the operation ran no statement"
    indexes: set[str] = set()
    scans: list[str] = []
    for entry in plans:
        for node in _nodes(entry["plan"]):
            if "Index Name" in node:
                indexes.add(node["Index Name"])
            if node["Node Type"] == "Seq Scan" and node.get("Relation Name") in HOT_TABLES:
                scans.append(f"{node['Relation Name']} in {entry['sql'][:300]}")
    return indexes, scans


@pytest.fixture()
def history(ctx: Any, make_user: Any) -> dict[str, Any]:
    """A small history built through the services: chats with messages and notes, some
    escalated (waiting, with tickets), some taken by an agent and ended, one the assistant
    answers."""
    from livechat.models import TicketPriority
    from livechat.services import escalation, messages, notes, sessions

    agent = make_user("agent-p", "agent")
    ids = []
    for i in range(12):
        customer = make_user(f"cust-p{i}")
        sid = sessions.open_session(customer)[0].id
        for n in range(3):
            messages.post_message(customer, sid, f"question {n}")
        if i % 2 == 0:
            escalation.escalate(
                sid,
                reason="test",
                requested_by="AI_ASSISTANT",
                priority=list(TicketPriority)[i % 4],
            )
        if i % 4 == 0:
            sessions.assign_agent(agent, sid)
            messages.post_message(agent, sid, "on it")
            notes.post_note(agent, sid, "checked")
            sessions.end_session(agent, sid)
        ids.append(sid)
    return {"agent": agent, "chats": ids, "ai_chat": ids[1], "customer": "cust-p0"}


def _ops(h: dict[str, Any]) -> dict[str, tuple[Callable[[], Any], set[str]]]:
    """Each hot operation and the indexes of which it must use at least one."""
    from livechat.realtime.chat import CATCH_UP_LIMIT, HISTORY_LIMIT
    from livechat.services import assistant, messages, queue, sessions, stats, tickets
    from livechat.services.users import get_user

    agent, chat = h["agent"], h["chats"][0]
    customer = get_user(h["customer"])
    month_ago = datetime.now(UTC) - timedelta(days=30)

    def join(after: int | None) -> Callable[[], Any]:
        def run() -> None:
            # What a socket's join runs: the chat and its page in one statement, then notes.
            messages.read_for_join(
                agent,
                chat,
                after=after,
                limit=HISTORY_LIMIT if after is None else CATCH_UP_LIMIT,
                after_note=after,
                seen=(),
                admitted=lambda session_id, staff: None,
                withdrawn=lambda session_id: None,
            )

        return run

    def listing(**filters: Any) -> Callable[[], Any]:
        return lambda: sessions.list_sessions(agent, **filters)

    def by_cursor() -> None:
        # Page 2's cursor (past a cap of 3) reads on by keyset: the index bounds the scan.
        _, cursor = sessions.list_sessions(agent, page=2, page_size=2, cap=3)
        assert cursor is not None
        sessions.list_sessions(agent, page_size=2, cap=3, cursor=cursor)

    by_created = {"ix_chat_sessions_created_at_id"}
    # Both lead with status: either serves "status = X" as a range (the planner picks by size).
    by_status = {"ix_chat_sessions_status_waiting_since", "ix_chat_sessions_status_ended_at"}
    return {
        "join:session history": (join(None), {"uq_chat_messages_session_seq"}),
        "afterSeq catch-up": (join(1), {"uq_chat_messages_session_seq"}),
        "queue head": (lambda: sessions.waiting_queue(agent), by_status),
        "queue positions": (queue.announce_positions, by_status),
        "sessions list": (listing(), by_created),
        "sessions by status": (listing(status="ENDED"), by_created | by_status),
        "sessions by agent": (listing(agent_id=agent.id), {"ix_chat_sessions_agent_id"}),
        "sessions by customer": (listing(user_id="cust-p0"), {"ix_chat_sessions_user_id"}),
        "sessions by priority": (
            listing(priority="HIGH"),
            {"ix_chat_sessions_escalation_priority_created_at"},
        ),
        "sessions by date": (listing(created_from=month_ago), by_created),
        "sessions last page": (listing(page=6, page_size=2), by_created),
        "sessions counted to the cap": (listing(cap=3), by_created),
        "sessions by cursor, past the cap": (by_cursor, by_created),
        # Counted to a cap of 5 (not exact): read forwards, the skip a deferred join.
        "sessions deep page, capped total": (listing(page=3, page_size=2, cap=5), by_created),
        "tickets of a customer": (
            lambda: tickets.list_tickets(agent, user_id="cust-p0"),
            {"ix_tickets_user_id"},
        ),
        "my tickets": (lambda: tickets.my_tickets(customer), {"ix_tickets_user_id"}),
        "stats": (
            lambda: stats.live_figures(agent),
            {"ix_chat_sessions_status_ended_at"},
        ),
        "assistant context": (
            lambda: assistant.load_turn(h["ai_chat"]),
            {"uq_chat_messages_session_seq"},
        ),
    }


OPERATIONS = [
    "join:session history",
    "afterSeq catch-up",
    "queue head",
    "queue positions",
    "sessions list",
    "sessions by status",
    "sessions by agent",
    "sessions by customer",
    "sessions by priority",
    "sessions by date",
    "sessions last page",
    "sessions counted to the cap",
    "sessions by cursor, past the cap",
    "sessions deep page, capped total",
    "tickets of a customer",
    "my tickets",
    "stats",
    "assistant context",
]


@pytest.mark.parametrize("name", OPERATIONS)
def test_the_hot_reads_use_indexes_not_scans(history: dict[str, Any], name: str) -> None:
    from livechat.extensions import db

    operation, expected = _ops(history)[name]
    db.session.remove()
    indexes, scans = _explain(operation)
    assert not scans, f"{name} scans: {scans}"
    assert indexes & expected, f"{name} uses {sorted(indexes)}, none of {sorted(expected)}"


def test_every_operation_is_checked(history: dict[str, Any]) -> None:
    assert sorted(_ops(history)) == sorted(OPERATIONS)


def test_a_scan_is_caught(ctx: Any, make_user: Any) -> None:
    """The check can fail: a filter no index serves shows up as a scan."""
    import sqlalchemy as sa

    from livechat.extensions import db
    from livechat.models import ChatMessage

    def unindexed() -> None:
        db.session.execute(sa.select(ChatMessage.id).where(ChatMessage.content == "x")).all()
        db.session.rollback()

    _, scans = _explain(unindexed)
    assert scans and scans[0].startswith("chat_messages")

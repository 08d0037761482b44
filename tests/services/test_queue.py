"""The queue's order (priority, then wait), its positions and the first-response SLA claim."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import gevent
import sqlalchemy as sa

PRIORITIES = ["LOW", "MEDIUM", "URGENT", "HIGH", "MEDIUM", "URGENT", "LOW"]


def _waiting(make_user: Any, priorities: list[str], first: int = 0) -> list[str]:
    """One escalated chat per priority, in this order (each waits a little less than the last)."""
    from livechat.models import TicketPriority
    from livechat.services import escalation, sessions

    ids = []
    for i, priority in enumerate(priorities, start=first):
        session, _ = sessions.open_session(make_user(f"cust-{i}"))
        escalation.escalate(
            session.id,
            reason="test",
            requested_by="AI_ASSISTANT",
            priority=TicketPriority(priority),
        )
        ids.append(session.id)
    return ids


def test_the_queue_is_ordered_by_priority_then_longest_wait(ctx: Any, make_user: Any) -> None:
    from livechat.services import sessions

    ids = _waiting(make_user, PRIORITIES)
    queue = sessions.queue_entries()
    # URGENT (2, 5), HIGH (3), MEDIUM (1, 4), LOW (0, 6): within each, who escalated first.
    assert [q.id for q in queue] == [ids[i] for i in (2, 5, 3, 1, 4, 0, 6)]
    assert [q.position for q in queue] == list(range(1, len(ids) + 1))
    assert [q.priority for q in queue] == [
        "URGENT",
        "URGENT",
        "HIGH",
        "MEDIUM",
        "MEDIUM",
        "LOW",
        "LOW",
    ]


def test_the_python_and_sql_orders_agree(ctx: Any, make_user: Any) -> None:
    """rules.queue_sort_key and rules.queue_order_sql are one rule: the same rows, one order."""
    from livechat.extensions import db
    from livechat.models import ChatSession
    from livechat.services import rules, sessions

    ids = _waiting(make_user, PRIORITIES)
    rows = [s for s in (db.session.get(ChatSession, i) for i in ids) if s is not None]
    # Shuffle the waits so that priority and wait disagree somewhere.
    rng = random.Random(18)  # noqa: S311 - test data, not secrets
    base = rows[0].waiting_since
    for row in rows:
        row.waiting_since = base - timedelta(seconds=rng.randint(0, 600))
    # Unknown and missing priorities queue as MEDIUM.
    rows[0].meta = {**rows[0].meta, "escalation": {**rows[0].meta["escalation"], "priority": "??"}}
    rows[1].meta = {}
    db.session.commit()
    python = sorted(
        rows, key=lambda s: rules.queue_sort_key(s.meta, s.waiting_since, s.created_at, s.id)
    )
    assert [q.id for q in sessions.queue_entries()] == [s.id for s in python]
    assert len(ids) == len(python)


def test_escalation_notice_counts_only_the_chats_ahead_in_priority_order(
    ctx: Any, make_user: Any
) -> None:
    from livechat.extensions import db
    from livechat.models import ChatSession

    ids = _waiting(make_user, ["LOW", "LOW", "URGENT"])
    urgent = db.session.get(ChatSession, ids[2])
    assert urgent is not None
    # Escalated last, but the first to be served.
    assert urgent.meta["escalation"]["queuePosition"] == 1


def test_positions_are_announced_once_and_again_only_where_they_changed(
    ctx: Any, make_user: Any
) -> None:
    """The app's queue broadcaster announces after each change; announcing again finds nothing
    new, and only chats whose recorded position is not their place are announced."""
    from livechat import runtime
    from livechat.extensions import db
    from livechat.models import ChatSession
    from livechat.services import queue, sessions

    def recorded() -> dict[str, int | None]:
        db.session.expire_all()
        return {i: s.queue_position for i in ids if (s := db.session.get(ChatSession, i))}

    broadcaster = runtime.queue_broadcaster(ctx)
    ids = _waiting(make_user, ["MEDIUM", "MEDIUM", "LOW"])
    broadcaster.join(timeout=5)
    assert recorded() == {ids[0]: 1, ids[1]: 2, ids[2]: 3}
    assert queue.announce_positions() == []  # nothing moved since

    # Two customers were told something else (or nothing): only they are told again.
    for chat_id, told in ((ids[1], None), (ids[2], 99)):
        session = db.session.get(ChatSession, chat_id)
        assert session is not None
        session.queue_position = told
    db.session.commit()
    again = {c.session_id: c.position for c in queue.announce_positions()}
    assert again == {ids[1]: 2, ids[2]: 3}

    # The first is served, an URGENT chat jumps the queue: positions follow.
    sessions.assign_agent(make_user("agent-1", "agent"), ids[0])
    (urgent,) = _waiting(make_user, ["URGENT"], first=len(ids))
    broadcaster.join(timeout=5)
    ids.append(urgent)
    assert recorded() == {ids[0]: 1, ids[1]: 2, ids[2]: 3, urgent: 1}  # ids[0] is served


def test_concurrent_announcers_leave_the_last_positions(app: Any, make_user: Any) -> None:
    """Several processes announce at once: each change is announced by one of them, and the
    positions recorded at the end are the queue's."""
    from livechat import runtime
    from livechat.extensions import db
    from livechat.models import ChatSession
    from livechat.services import queue, sessions

    with app.app_context():
        _waiting(make_user, ["LOW", "HIGH", "MEDIUM", "URGENT"])
        runtime.queue_broadcaster(app).join(timeout=5)
        # Nobody has been told anything yet.
        db.session.execute(sa.update(ChatSession).values(queue_position=None))
        db.session.commit()

    def announce() -> list[Any]:
        with app.app_context():
            try:
                return queue.announce_positions()
            finally:
                db.session.remove()

    jobs = [gevent.spawn(announce) for _ in range(4)]
    gevent.joinall(jobs, raise_error=True)
    announced = [c for j in jobs for c in j.value]
    assert len(announced) == 4  # each chat once, whichever announcer got there first
    with app.app_context():
        expected = {q.id: q.position for q in sessions.queue_entries()}
        assert {c.session_id: c.position for c in announced} == expected
        db.session.remove()


def test_an_sla_breach_is_claimed_once(app: Any, make_user: Any) -> None:
    from livechat.extensions import db
    from livechat.models import ChatSession
    from livechat.services import queue

    with app.app_context():
        ids = _waiting(make_user, ["HIGH", "LOW"])
        assert queue.claim_sla_breaches(3600) == []  # nobody has waited an hour
        # The first chat started waiting ten minutes ago.
        session = db.session.get(ChatSession, ids[0])
        assert session is not None
        session.waiting_since = session.waiting_since - timedelta(minutes=10)
        db.session.commit()
        db.session.remove()

    def claim() -> list[str]:
        with app.app_context():
            try:
                return queue.claim_sla_breaches(120)
            finally:
                db.session.remove()

    jobs = [gevent.spawn(claim) for _ in range(4)]
    gevent.joinall(jobs, raise_error=True)
    assert sorted(i for j in jobs for i in j.value) == [ids[0]]  # by exactly one claimer
    with app.app_context():
        breached = db.session.get(ChatSession, ids[0])
        assert breached is not None and breached.sla_breached_at is not None
        assert queue.claim_sla_breaches(120) == []
        db.session.remove()


def test_a_chat_an_agent_answered_does_not_breach(ctx: Any, make_user: Any) -> None:
    """'No agent message': a chat an agent has written in since it started waiting is not late
    (a waiting chat has no agent today, but the rule says what is measured)."""
    from livechat.extensions import db
    from livechat.models import ChatSession, SenderType
    from livechat.services import queue
    from livechat.services.messages import append_message

    (chat_id,) = _waiting(make_user, ["MEDIUM"])
    session = db.session.get(ChatSession, chat_id)
    assert session is not None
    session.waiting_since = session.waiting_since - timedelta(minutes=10)
    append_message(
        session, sender_id="agent-1", sender_type=SenderType.AGENT, content="Hi!", metadata=None
    )
    db.session.commit()
    assert queue.claim_sla_breaches(120) == []


def test_announcements_in_one_process_never_pile_up_on_the_queue_lock(
    app: Any, make_user: Any
) -> None:
    """While an announcement waits (another process holds the queue's lock), changes in this
    process ask for one more announcement, not one more waiting connection each."""
    from livechat import runtime
    from livechat.extensions import db
    from livechat.models import ChatSession
    from livechat.services import queue as queue_service

    broadcaster = runtime.queue_broadcaster(app)
    with app.app_context():
        ids = _waiting(make_user, ["LOW", "HIGH"])
        broadcaster.join(timeout=5)
        db.session.execute(sa.update(ChatSession).values(queue_position=None))
        db.session.commit()
        db.session.remove()
    holder = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=sa.pool.NullPool)
    # This app's connections waiting for an advisory lock: pg_locks covers the whole cluster,
    # and other processes of the run (an e2e test's server, another test's app) share this
    # test's database and may announce positions of their own meanwhile.
    app_pids: set[int] = set()

    def remember(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        app_pids.add(dbapi_connection.info.backend_pid)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "checkout", remember)
    waiting_sql = sa.text("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
    try:
        with holder.connect() as lock, holder.connect() as probe:
            lock.execute(queue_service._POSITIONS_LOCK)  # the lock the announcements take
            for _ in range(5):  # five changes, each after the last refresh started
                broadcaster.request_refresh()
                gevent.sleep(0.15)
            waiting = {pid for (pid,) in probe.execute(waiting_sql)}
            assert len(waiting & app_pids) == 1, (waiting, app_pids)
            lock.rollback()  # the other process is done: this one announces, then once more
        broadcaster.join(timeout=10)
    finally:
        sa.event.remove(engine, "checkout", remember)
        holder.dispose()
    with app.app_context():
        recorded = {i: db.session.get(ChatSession, i).queue_position for i in ids}
        assert recorded == {ids[1]: 1, ids[0]: 2}  # HIGH first
        db.session.remove()

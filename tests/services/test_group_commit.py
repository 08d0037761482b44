"""Group commit: concurrent sends share one statement, and every rule still holds per message."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import gevent
import pytest
import sqlalchemy as sa

from tests.support.batches import batch_counts


def _identity(uid: str, role: str = "user") -> Any:
    from livechat.models import Role
    from livechat.services.users import Identity

    return Identity(uid=uid, role=Role(role))


def _send_together(app: Any, sends: list[tuple[Any, str, str, str | None]]) -> list[Any]:
    """Every send starts before the writer wakes: they land in one batch. Result or error each."""
    from livechat.extensions import db
    from livechat.services import messages

    def send(actor: Any, sid: str, content: str, cmid: str | None) -> Any:
        with app.app_context():
            try:
                message, created = messages.post_message(
                    actor, sid, content, client_message_id=cmid
                )
                # Plain values: the ORM object leaves with its greenlet's session.
                seen = SimpleNamespace(
                    id=message.id, seq=message.seq, session_id=sid, content=message.content
                )
                return seen, created
            except Exception as exc:  # each send reports its own outcome
                return exc
            finally:
                db.session.remove()

    jobs = [gevent.spawn(send, *s) for s in sends]
    gevent.joinall(jobs, raise_error=True)
    return [j.value for j in jobs]


def _stored(session_id: str) -> list[tuple[int, str]]:
    from livechat.extensions import db
    from livechat.models import ChatMessage

    db.session.remove()
    return [
        (m.seq, m.content)
        for m in db.session.scalars(
            sa.select(ChatMessage).where(ChatMessage.session_id == session_id).order_by("seq")
        )
    ]


@pytest.fixture()
def chats(ctx: Any, make_user: Any) -> list[str]:
    """Three open chats; the first two assigned to agent-1."""
    from livechat.services import sessions

    make_user("agent-1", "agent")
    make_user("agent-2", "agent")
    ids = [sessions.open_session(make_user(f"cust-{i}"))[0].id for i in range(3)]
    for sid in ids[:2]:
        sessions.assign_agent(_identity("agent-1", "agent"), sid)
    return ids


def test_concurrent_sends_share_statements_and_keep_per_session_order(
    app: Any, chats: list[str]
) -> None:
    before = batch_counts(app)
    sends = []
    for i in range(30):
        sid = chats[i % 3]
        actor = _identity("agent-1", "agent") if i % 2 and i % 3 < 2 else _identity(f"cust-{i % 3}")
        sends.append((actor, sid, f"m{i}", f"c{i}"))
    results = _send_together(app, sends)

    assert all(created for _, created in results)
    statements, stored = (a - b for a, b in zip(batch_counts(app), before, strict=True))
    assert stored == 30 and statements < 30  # grouped: fewer statements than messages
    for k, sid in enumerate(chats):
        # Each chat's messages got 1..n in the order they were sent, none lost or doubled.
        expected = [f"m{i}" for i in range(30) if i % 3 == k]
        assert _stored(sid) == list(enumerate(expected, start=1))
    for (_, sid, content, _), (message, _) in zip(sends, results, strict=True):
        assert (message.session_id, message.content) == (sid, content)


def test_one_batch_with_refused_sends_stores_only_the_allowed(app: Any, chats: list[str]) -> None:
    from livechat.errors import Conflict, Forbidden, NotFound
    from livechat.services import sessions

    with app.app_context():
        sessions.end_session(_identity("cust-2"), chats[2])
    results = _send_together(
        app,
        [
            (_identity("cust-0"), chats[0], "mine", "a"),
            (_identity("cust-1"), chats[0], "not my chat", "b"),  # a stranger
            (_identity("agent-2", "agent"), chats[1], "not assigned", "c"),
            (_identity("cust-2"), chats[2], "ended", "d"),
            (_identity("cust-0"), "no-such-session", "where", "e"),
            (_identity("agent-1", "agent"), chats[0], "reply", "f"),
        ],
    )
    ok, stranger, unassigned, ended, unknown, reply = results
    assert ok[1] and reply[1] and (ok[0].seq, reply[0].seq) == (1, 2)
    assert isinstance(stranger, Forbidden | NotFound)
    assert isinstance(unassigned, Conflict) and unassigned.code == "not_assigned"
    assert isinstance(ended, Conflict) and ended.code == "session_ended"
    assert isinstance(unknown, NotFound)
    assert _stored(chats[0]) == [(1, "mine"), (2, "reply")]
    assert _stored(chats[1]) == [] and _stored(chats[2]) == []


def test_a_retry_inside_the_same_batch_is_stored_once(app: Any, chats: list[str]) -> None:
    customer = _identity("cust-0")
    results = _send_together(
        app,
        [(customer, chats[0], "hello", "same-id"), (customer, chats[0], "hello", "same-id")],
    )
    (first, created_first), (second, created_second) = results
    assert first.id == second.id and {created_first, created_second} == {True, False}
    assert _stored(chats[0]) == [(1, "hello")]


def test_a_message_the_database_refuses_does_not_sink_its_batch(app: Any, chats: list[str]) -> None:
    # PostgreSQL text cannot hold NUL: that one send fails, its neighbours are stored.
    results = _send_together(
        app,
        [
            (_identity("cust-0"), chats[0], "before", "a"),
            (_identity("cust-0"), chats[0], "bad\x00byte", "b"),
            (_identity("cust-1"), chats[1], "other chat", "c"),
        ],
    )
    assert results[0][1] and results[2][1]
    assert not isinstance(results[1], tuple)
    assert [c for _, c in _stored(chats[0])] == ["before"]
    assert _stored(chats[1]) == [(1, "other chat")]

"""Events reach listeners only after commit, and never after a rollback."""

from __future__ import annotations

from typing import Any

import pytest

from livechat import runtime
from livechat.errors import Conflict


@pytest.fixture()
def received(ctx: Any) -> list[Any]:
    from livechat.events import DomainEvent

    bus = runtime.bus(ctx)
    got: list[Any] = []
    bus.subscribe(DomainEvent, got.append)
    yield got
    bus._handlers[DomainEvent].remove(got.append)


def test_events_are_delivered_after_commit_with_payloads(
    received: list[Any], make_user: Any
) -> None:
    from livechat.events import MessagePosted, SessionAssigned, SessionCreated, SessionEnded
    from livechat.services import messages, sessions

    user = make_user("cust-1")
    agent = make_user("agent-1", "agent")
    session, _ = sessions.open_session(user)
    messages.post_message(user, session.id, "hi")
    sessions.assign_agent(agent, session.id)
    sessions.end_session(agent, session.id)

    kinds = [type(e) for e in received]
    assert kinds == [SessionCreated, MessagePosted, SessionAssigned, SessionEnded]
    posted = received[1]
    assert posted.message["content"] == "hi" and posted.message["seq"] == 1
    assert posted.message["senderId"] == "cust-1"
    assert received[2].session["agentId"] == "agent-1"
    assert received[3].session["status"] == "ENDED"


def test_nothing_is_delivered_for_a_refused_or_rolled_back_change(
    received: list[Any], make_user: Any
) -> None:
    from livechat.events import MessagePosted, publish
    from livechat.extensions import db
    from livechat.services import messages, sessions

    user = make_user("cust-1")
    agent = make_user("agent-1", "agent")
    session, _ = sessions.open_session(user)
    received.clear()
    with pytest.raises(Conflict):
        messages.post_message(agent, session.id, "not mine yet")
    db.session.rollback()
    publish(MessagePosted(session.id, {"content": "ghost"}, "ACTIVE", None))
    db.session.rollback()
    db.session.commit()
    assert received == []


def test_a_failing_listener_does_not_break_the_others(ctx: Any, make_user: Any) -> None:
    from livechat.events import SessionCreated
    from livechat.services import sessions

    bus = runtime.bus(ctx)
    got: list[Any] = []

    def broken(event: Any) -> None:
        raise RuntimeError("listener bug")

    bus.subscribe(SessionCreated, broken)
    bus.subscribe(SessionCreated, got.append)
    try:
        session, created = sessions.open_session(make_user("cust-1"))
    finally:
        bus._handlers[SessionCreated].remove(broken)
        bus._handlers[SessionCreated].remove(got.append)
    assert created and [e.session_id for e in got] == [session.id]

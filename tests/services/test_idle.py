"""Idle chats end by themselves: who is warned, who is closed, with which outcome, once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import gevent
import pytest

from livechat import runtime

CLOSE, WARN = 1800, 1500


@pytest.fixture()
def received(ctx: Any) -> Any:
    from livechat.events import DomainEvent

    bus = runtime.bus(ctx)
    got: list[Any] = []
    bus.subscribe(DomainEvent, got.append)
    yield got
    bus._handlers[DomainEvent].remove(got.append)


def _at(seconds: float) -> Any:
    from livechat.models import utcnow

    return utcnow() + timedelta(seconds=seconds)


def _sweep(seconds: float) -> Any:
    from livechat.services import idle

    return idle.sweep(CLOSE, WARN, now=_at(seconds))


def _load(session_id: str) -> Any:
    from livechat.extensions import db
    from livechat.models import ChatSession

    db.session.expire_all()
    return db.session.get(ChatSession, session_id)


def _notices(session_id: str) -> list[tuple[str, str]]:
    from livechat.services.sessions import recent_messages

    return [
        (m.meta.get("kind"), m.content)
        for m in recent_messages(session_id)
        if m.sender_type.value == "SYSTEM"
    ]


def _warned_now(session_id: str) -> None:
    from livechat.extensions import db
    from livechat.models import utcnow
    from livechat.services.idle import WARNED_KEY

    session = _load(session_id)
    session.meta = {**session.meta, WARNED_KEY: utcnow().isoformat()}
    db.session.commit()


def _ai_chat(make_user: Any, uid: str = "cust-1") -> str:
    """A chat where the customer wrote and the assistant answered."""
    from livechat.services import assistant, messages, sessions

    user = make_user(uid)
    session, _ = sessions.open_session(user)
    messages.post_message(user, session.id, "how do I freeze my card?")
    assistant.post_reply(session.id, "Open the app, Cards, Freeze.", {})
    return session.id


def test_an_ai_only_chat_closes_as_resolved_after_the_idle_time(
    make_user: Any, received: list[Any]
) -> None:
    from livechat.events import MessagePosted, SessionEnded
    from livechat.services import idle

    sid = _ai_chat(make_user)
    received.clear()
    assert _sweep(CLOSE - 5) == idle.SweepResult([], [])
    assert received == []  # a sweep that finds nothing publishes nothing

    assert _sweep(CLOSE + 1) == idle.SweepResult([], [sid])
    session = _load(sid)
    assert session.status.value == "ENDED" and session.ended_at is not None
    assert session.outcome == "resolved"
    assert _notices(sid) == [
        (
            "idle_closed",
            "This chat was closed after 30 minutes without a reply. "
            "You can start a new conversation any time.",
        )
    ]
    # The notice, then the end, through the one end path: session:updated for the sockets.
    assert [type(e) for e in received] == [MessagePosted, SessionEnded]
    assert received[1].ended_by == "SYSTEM" and received[1].session["status"] == "ENDED"
    assert _sweep(CLOSE * 2) == idle.SweepResult([], [])  # an ended chat stays ended


def test_a_chat_whose_customer_wrote_last_is_never_closed(make_user: Any) -> None:
    from livechat.services import messages, sessions

    user = make_user("cust-1")
    session, _ = sessions.open_session(user)
    messages.post_message(user, session.id, "hello?")
    assert _sweep(CLOSE * 10).closed == []
    assert _load(session.id).status.value == "ACTIVE"


def test_a_waiting_chat_is_never_closed(make_user: Any) -> None:
    from livechat.services import escalation

    sid = _ai_chat(make_user)
    escalation.escalate(sid, reason="human_request", requested_by="cust-1", notice=lambda p, m: "x")
    result = _sweep(CLOSE * 10)
    assert result.closed == [] and result.warned == []
    assert _load(sid).status.value == "WAITING"


def test_an_agents_chat_is_warned_once_then_closed(make_user: Any) -> None:
    from livechat.services import idle, messages, sessions

    customer = make_user("cust-1")
    agent = make_user("agent-1", "agent")
    session, _ = sessions.open_session(customer)
    messages.post_message(customer, session.id, "my transfer is late")
    sessions.assign_agent(agent, session.id)
    messages.post_message(agent, session.id, "Could you send me the reference?")
    sid = session.id

    # Past the close time already, but an agent's chat is warned first.
    assert _sweep(CLOSE + 1) == idle.SweepResult([sid], [])
    assert _sweep(CLOSE + 2) == idle.SweepResult([], [])  # once
    assert _load(sid).status.value == "ACTIVE"
    assert _notices(sid) == [
        (
            "idle_warning",
            "Are you still there? This chat will close in 5 minutes if we don't hear from you.",
        )
    ]
    # Closed once the warning's grace (close - warn) has passed since the warning.
    assert _sweep(CLOSE + 1 + (CLOSE - WARN) - 5).closed == []
    assert _sweep(CLOSE + 1 + (CLOSE - WARN)) == idle.SweepResult([], [sid])
    session = _load(sid)
    assert session.status.value == "ENDED" and session.outcome == "resolved"
    assert [k for k, _ in _notices(sid)] == ["idle_warning", "idle_closed"]


def test_a_customer_answering_the_warning_restarts_the_clock(make_user: Any) -> None:
    from livechat.services import messages, sessions

    customer = make_user("cust-1")
    agent = make_user("agent-1", "agent")
    session, _ = sessions.open_session(customer)
    sessions.assign_agent(agent, session.id)
    messages.post_message(agent, session.id, "Anything else?")
    assert _sweep(WARN + 1).warned == [session.id]
    # The sweep ran in the future (by its ``now``); put its warning back to the present, so the
    # messages below come after it, as they would in real time.
    _warned_now(session.id)
    messages.post_message(customer, session.id, "yes, one moment")
    assert _sweep(CLOSE * 3).closed == []  # the customer wrote last
    messages.post_message(agent, session.id, "Sure.")
    # A new idle stretch: warned again (not closed on the old warning).
    assert _sweep(WARN + 1).warned == [session.id]
    assert _load(session.id).status.value == "ACTIVE"


def test_an_open_ticket_makes_the_outcome_follow_up(make_user: Any) -> None:
    from livechat.services import escalation, messages, sessions

    sid = _ai_chat(make_user)
    escalation.escalate(sid, reason="human_request", requested_by="cust-1")
    agent = make_user("agent-1", "agent")
    sessions.assign_agent(agent, sid)
    messages.post_message(agent, sid, "We'll email you when the refund is through.")
    _sweep(WARN + 1)
    assert _sweep(WARN + 1 + CLOSE).closed == [sid]
    assert _load(sid).outcome == "follow_up"


def test_a_chat_without_messages_closes_at_the_idle_time(make_user: Any) -> None:
    from livechat.services import sessions

    session, _ = sessions.open_session(make_user("cust-1"))
    assert _sweep(CLOSE + 1).closed == [session.id]


def test_concurrent_sweeps_warn_and_close_each_chat_once(app: Any, make_user: Any) -> None:
    """Sweepers of several processes at once: each chat is claimed by one of them."""
    from livechat.extensions import db
    from livechat.services import idle, messages, sessions

    agent = make_user("agent-1", "agent")
    ai_ids = [_ai_chat(make_user, f"cust-{i}") for i in range(6)]
    agent_ids = []
    for i in range(6):
        customer = make_user(f"agent-cust-{i}")
        session, _ = sessions.open_session(customer)
        sessions.assign_agent(agent, session.id)
        messages.post_message(agent, session.id, "Hello!")
        agent_ids.append(session.id)
    now = _at(CLOSE + 1)

    def sweep() -> Any:
        with app.app_context():
            try:
                return idle.sweep(CLOSE, WARN, now=now)
            finally:
                db.session.remove()

    jobs = [gevent.spawn(sweep) for _ in range(4)]
    gevent.joinall(jobs, raise_error=True)
    closed = [sid for j in jobs for sid in j.value.closed]
    warned = [sid for j in jobs for sid in j.value.warned]
    assert sorted(closed) == sorted(ai_ids)
    assert sorted(warned) == sorted(agent_ids)
    for sid in ai_ids + agent_ids:
        assert len(_notices(sid)) == 1

"""Agents' status and capacity: who gets the next waiting chat, and an offline agent's chats
going back to the queue."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa


def _waiting(make_user: Any, uid: str) -> Any:
    from livechat.services import escalation, sessions
    from livechat.services.users import get_user

    session, _ = sessions.open_session(make_user(uid))
    escalation.request_human(get_user(uid), session.id)
    return session


def test_pick_agent_prefers_fewest_chats_then_longest_idle() -> None:
    from livechat.services.agents import AgentState, Workload, pick_agent

    states = {
        "a": AgentState("available", 100.0),
        "b": AgentState("available", 50.0),
        "c": AgentState("away", 0.0),
        "d": AgentState("available", 0.0),
    }
    loads = {"a": Workload(0, 10.0), "b": Workload(0, 20.0), "d": Workload(2, 0.0)}
    assert pick_agent(states, loads, capacity=3) == "b"  # a changed status last (at 100)
    assert pick_agent(states, {**loads, "b": Workload(1, 0.0)}, capacity=3) == "a"
    full = {k: Workload(2, 0.0) for k in states}
    assert pick_agent(states, full, capacity=2) is None  # everyone at capacity; c is away
    assert pick_agent({"c": AgentState("away", 0.0)}, {}, capacity=3) is None


def test_route_next_fills_capacity_in_queue_order(ctx: Any, make_user: Any) -> None:
    from livechat.extensions import db
    from livechat.models import ChatMessage, SessionStatus
    from livechat.services import agents
    from livechat.services.agents import AgentState

    make_user("agent-1", "agent", name="Ana")
    chats = [_waiting(make_user, f"cust-{i}") for i in range(3)]
    states = {"agent-1": AgentState("available", 0.0)}
    assert agents.route_next(states, capacity=2) == (chats[0].id, "agent-1")
    assert agents.route_next(states, capacity=2) == (chats[1].id, "agent-1")
    assert agents.route_next(states, capacity=2) is None  # the third waits
    db.session.expire_all()
    rows = {c.id: db.session.get(type(c), c.id) for c in chats}
    assert [rows[c.id].status for c in chats] == [
        SessionStatus.ACTIVE,
        SessionStatus.ACTIVE,
        SessionStatus.WAITING,
    ]
    notice = db.session.scalars(
        sa.select(ChatMessage)
        .where(ChatMessage.session_id == chats[0].id, ChatMessage.sender_id == "SYSTEM")
        .order_by(ChatMessage.seq.desc())
    ).first()
    assert notice is not None and notice.content == "Ana joined the chat."
    assert agents.route_next({"agent-1": AgentState("away", 0.0)}, capacity=5) is None


def test_route_to_never_takes_a_chat_someone_has(ctx: Any, make_user: Any) -> None:
    from livechat.services import sessions

    chat = _waiting(make_user, "cust-1")
    sessions.assign_agent(make_user("agent-1", "agent"), chat.id)
    make_user("agent-2", "agent")
    assert sessions.route_to(chat.id, "agent-2") is None
    assert sessions.route_to(chat.id, "cust-1") is None  # not an agent, nothing written


def test_release_chats_requeues_in_front_and_keeps_messages(ctx: Any, make_user: Any) -> None:
    from livechat.extensions import db
    from livechat.models import AuditEvent, ChatMessage, ChatSession, SessionStatus
    from livechat.services import agents, messages, sessions
    from livechat.services.users import get_user

    mine = _waiting(make_user, "cust-1")
    later = _waiting(make_user, "cust-2")  # waits after cust-1 started waiting
    agent = make_user("agent-1", "agent")
    sessions.assign_agent(agent, mine.id)
    messages.post_message(get_user("cust-1"), mine.id, "my card is blocked")
    messages.post_message(agent, mine.id, "Looking into it")
    assert agents.release_chats("agent-2") == []  # nothing of theirs
    assert agents.release_chats("agent-1") == [mine.id]
    db.session.expire_all()
    row = db.session.get(ChatSession, mine.id)
    assert row is not None and row.status == SessionStatus.WAITING and row.agent_id is None
    assert row.meta["requeued"]["agentId"] == "agent-1"
    assert [e.id for e in sessions.queue_entries()] == [mine.id, later.id]  # back in front
    contents = db.session.scalars(
        sa.select(ChatMessage.content)
        .where(ChatMessage.session_id == mine.id)
        .order_by(ChatMessage.seq)
    ).all()
    assert "my card is blocked" in contents and "Looking into it" in contents
    assert contents[-1].startswith("Your agent is no longer available.")
    audit = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "session.requeued")
    ).all()
    assert [(a.session_id, a.details["agentId"]) for a in audit] == [(mine.id, "agent-1")]
    assert agents.release_chats("agent-1") == []  # already back: nothing twice


@pytest.mark.parametrize("status", ["available", "away", "offline"])
def test_status_store_round_trip(status: str, redis_url: str) -> None:
    import secrets

    from livechat.realtime.agent_status import MemoryAgentStatus, RedisAgentStatus

    for store in (MemoryAgentStatus(), RedisAgentStatus(redis_url, f"t-{secrets.token_hex(4)}")):
        assert store.get("a").status == "offline"  # never set
        store.set("a", status, at=5.0)
        assert store.many(["a", "b"]) == {
            "a": store.get("a"),
            "b": store.get("b"),
        }
        assert (store.get("a").status, store.get("a").since) == (status, 5.0)
        assert store.last_seen(["a"]) == {"a": 0.0}  # never seen
        store.seen("a", at=7.5)
        assert store.last_seen(["a", "b"]) == {"a": 7.5, "b": 0.0}

"""The router's offline sweep: an agent holding chats with no socket anywhere past the grace
(their process died within it) is put offline and their chats go back to the queue."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa


def _active_chat(make_user: Any, customer: str, agent: str) -> str:
    from livechat.services import escalation, sessions
    from livechat.services.users import get_user

    session, _ = sessions.open_session(make_user(customer))
    escalation.request_human(get_user(customer), session.id)
    sessions.assign_agent(make_user(agent, "agent"), session.id)
    return str(session.id)


def _state(chat_id: str) -> tuple[str, str | None, str | None]:
    """The chat's status, agent, and the kind of its last SYSTEM message."""
    from livechat.extensions import db
    from livechat.models import ChatMessage, ChatSession

    db.session.expire_all()
    chat = db.session.get(ChatSession, chat_id)
    assert chat is not None
    last = db.session.scalars(
        sa.select(ChatMessage)
        .where(ChatMessage.session_id == chat_id, ChatMessage.sender_id == "SYSTEM")
        .order_by(ChatMessage.seq.desc())
    ).first()
    kind = (last.meta or {}).get("kind") if last is not None else None
    return chat.status.value, chat.agent_id, kind


def test_an_agent_with_no_socket_past_the_grace_is_put_offline(
    app: Any, ctx: Any, make_user: Any
) -> None:
    from livechat import runtime

    router = runtime.agent_router(app)
    chat = _active_chat(make_user, "sw-cust", "sw-gone")
    router.statuses.set("sw-gone", "available")  # as the dead process left it
    seen = time.time() + 10 * router.grace  # past the router's own start, whatever the grace
    router.statuses.seen("sw-gone", at=seen)

    assert router.sweep_offline(now=seen + router.grace - 0.5) == []  # still within the grace
    assert _state(chat)[:2] == ("ACTIVE", "sw-gone")

    assert router.sweep_offline(now=seen + router.grace + 0.5) == ["sw-gone"]
    assert _state(chat) == ("WAITING", None, "requeued")
    assert router.statuses.get("sw-gone").status == "offline"
    assert router.sweep_offline(now=seen + router.grace + 1) == []  # nothing left to release


def test_a_connected_agent_keeps_their_chats(app: Any, ctx: Any, make_user: Any, sio: Any) -> None:
    from livechat import runtime

    router = runtime.agent_router(app)
    chat = _active_chat(make_user, "sw-cust2", "sw-here")
    sio("sw-here", "agent", namespace="/support")
    never = time.time() + 10 * router.grace + 3600  # long past any grace: only presence counts
    assert router.sweep_offline(now=never) == []
    assert _state(chat)[:2] == ("ACTIVE", "sw-here")
    assert router.statuses.get("sw-here").status == "available"

"""Transfers: to an available agent or back to the queue; every refusal changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa


@pytest.fixture()
def online(ctx: Any) -> Iterator[Callable[[str], None]]:
    """online(uid): the agent's status is ``available`` (agent:status), until the test ends."""
    from livechat import runtime

    statuses = runtime.agent_router().statuses
    added: list[str] = []

    def add(uid: str) -> None:
        statuses.set(uid, "available")
        added.append(uid)

    yield add
    for uid in added:
        statuses.set(uid, "offline")


@pytest.fixture()
def chat(ctx: Any, make_user: Any) -> Any:
    """cust-1's chat, escalated to the queue, then taken by agent-1."""
    from livechat.services import escalation, sessions

    session, _ = sessions.open_session(make_user("cust-1"))
    escalation.escalate(session.id, reason="test", requested_by="cust-1")
    make_user("agent-2", "agent", "Bea")
    make_user("admin-1", "admin")
    return sessions.assign_agent(make_user("agent-1", "agent", "Ann"), session.id)


def _state(session_id: str) -> tuple[Any, ...]:
    """What a refused transfer must leave as it was."""
    from livechat.extensions import db
    from livechat.models import AuditEvent, ChatMessage, ChatSession

    db.session.expire_all()
    s = db.session.get(ChatSession, session_id)
    assert s is not None
    messages = db.session.scalar(sa.select(sa.func.count()).select_from(ChatMessage))
    transfers = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "session.transferred")
    )
    return s.status, s.agent_id, s.waiting_since, s.transfer, messages, transfers


def _notices(session_id: str) -> list[Any]:
    from livechat.extensions import db
    from livechat.models import ChatMessage

    return list(
        db.session.scalars(
            sa.select(ChatMessage)
            .where(ChatMessage.session_id == session_id, ChatMessage.sender_id == "SYSTEM")
            .order_by(ChatMessage.seq)
        )
    )


def test_transfer_to_an_available_agent(chat: Any, online: Any) -> None:
    from livechat.extensions import db
    from livechat.models import AuditEvent, SessionStatus
    from livechat.services import transfer
    from livechat.services.users import get_user

    online("agent-2")
    session = transfer.transfer_session(get_user("agent-1"), chat.id, "agent-2", "  VIP, card  ")
    assert session.status == SessionStatus.ACTIVE and session.agent_id == "agent-2"
    assert session.transfer is not None
    assert session.transfer["note"] == "VIP, card" and session.transfer["fromAgentId"] == "agent-1"
    assert session.transfer["toAgentId"] == "agent-2" and session.transfer["by"] == "agent-1"
    notice = _notices(chat.id)[-1]
    assert notice.content == "You are now chatting with Bea." and "VIP" not in notice.content
    assert notice.meta == {"kind": "transfer", "agentId": "agent-2", "agentName": "Bea"}
    entry = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "session.transferred")
    ).one()
    assert entry.actor_id == "agent-1" and entry.session_id == chat.id
    assert entry.details == {"fromAgentId": "agent-1", "toAgentId": "agent-2", "withNote": True}


def test_transfer_back_to_the_queue_keeps_the_wait_start(chat: Any, make_user: Any) -> None:
    from livechat.models import SessionStatus
    from livechat.services import escalation, sessions, transfer
    from livechat.services.users import get_user

    first_wait = chat.meta["escalation"]["at"]
    # A chat that started waiting after this one did: this one goes back in front of it.
    later, _ = sessions.open_session(make_user("cust-2"))
    escalation.escalate(later.id, reason="test", requested_by="cust-2")
    session = transfer.transfer_session(get_user("agent-1"), chat.id)
    assert session.status == SessionStatus.WAITING and session.agent_id is None
    assert session.waiting_since is not None
    assert session.waiting_since.isoformat() == first_wait
    assert session.transfer is not None and session.transfer["toAgentId"] is None
    assert session.transfer["note"] is None
    assert [s.id for s in sessions.queue_entries()] == [chat.id, later.id]
    assert _notices(chat.id)[-1].meta == {"kind": "transfer", "agentId": None}
    # The next agent assigns it as any waiting chat.
    taken = sessions.assign_agent(get_user("agent-2"), chat.id)
    assert taken.agent_id == "agent-2" and taken.status == SessionStatus.ACTIVE


def test_wait_start_of_a_chat_that_never_waited(ctx: Any, make_user: Any) -> None:
    from livechat.models import SessionStatus
    from livechat.services import sessions, transfer

    session, _ = sessions.open_session(make_user("cust-3"))
    taken = sessions.assign_agent(make_user("agent-3", "agent"), session.id)
    assigned_at = taken.assigned_at
    back = transfer.transfer_session(make_user("agent-3", "agent"), session.id)
    assert back.status == SessionStatus.WAITING and back.waiting_since == assigned_at


def test_an_admin_may_transfer_someone_elses_chat(chat: Any, online: Any) -> None:
    from livechat.services import transfer
    from livechat.services.users import get_user

    online("agent-2")
    session = transfer.transfer_session(get_user("admin-1"), chat.id, "agent-2")
    assert session.agent_id == "agent-2" and session.transfer is not None
    assert session.transfer["by"] == "admin-1" and session.transfer["fromAgentId"] == "agent-1"


@pytest.mark.parametrize(
    ("actor", "target", "code"),
    [
        ("agent-1", "agent-3", "agent_offline"),  # exists, staff, status offline
        ("agent-1", "nobody", "agent_not_found"),
        ("agent-1", "cust-1", "not_an_agent"),  # a customer's id
        ("agent-1", "agent-1", "already_assigned"),
        ("agent-2", "agent-2", "forbidden"),  # someone else's chat
        ("agent-2", None, "forbidden"),
        ("cust-1", None, "forbidden"),  # customers never transfer
    ],
)
def test_refused_transfers_change_nothing(
    chat: Any, make_user: Any, online: Any, actor: str, target: str | None, code: str
) -> None:
    from livechat.errors import DomainError
    from livechat.services import transfer
    from livechat.services.users import get_user

    make_user("agent-3", "agent")
    online("agent-2")
    online("agent-1")
    before = _state(chat.id)
    with pytest.raises(DomainError) as refused:
        transfer.transfer_session(get_user(actor), chat.id, target, "note")
    assert refused.value.code == code
    assert _state(chat.id) == before


def test_unassigned_ended_and_unknown_chats_are_refused(
    chat: Any, make_user: Any, online: Any
) -> None:
    from livechat.errors import DomainError
    from livechat.services import sessions, transfer
    from livechat.services.users import get_user

    online("agent-2")
    waiting, _ = sessions.open_session(make_user("cust-2"))
    cases = [(waiting.id, "not_assigned"), ("no-such-chat", "session_not_found")]
    sessions.end_session(get_user("agent-1"), chat.id)
    cases.append((chat.id, "session_ended"))
    for session_id, code in cases:
        before = _state(waiting.id)
        with pytest.raises(DomainError) as refused:
            transfer.transfer_session(get_user("agent-1"), session_id, "agent-2")
        assert refused.value.code == code
        assert _state(waiting.id) == before


def test_assign_refuses_agents_a_taken_chat_but_admins_reassign(chat: Any) -> None:
    from livechat.errors import Conflict
    from livechat.services import sessions
    from livechat.services.users import get_user

    with pytest.raises(Conflict) as refused:
        sessions.assign_agent(get_user("agent-2"), chat.id)
    assert refused.value.code == "already_assigned"
    session = sessions.assign_agent(get_user("admin-1"), chat.id, "agent-2")
    assert session.agent_id == "agent-2"


def test_erasure_drops_the_note_and_keeps_who_handed_over(chat: Any, online: Any) -> None:
    from livechat.extensions import db
    from livechat.models import ChatSession
    from livechat.services import privacy, transfer
    from livechat.services.users import get_user

    online("agent-2")
    transfer.transfer_session(get_user("agent-1"), chat.id, "agent-2", "lives at 1 Main St")
    privacy.erase_customer(get_user("admin-1"), "cust-1", confirm="cust-1")
    db.session.expire_all()
    erased = db.session.get(ChatSession, chat.id)
    assert erased is not None and erased.transfer is not None
    assert erased.transfer["note"] is None and erased.transfer["toAgentId"] == "agent-2"

"""Hand a chat over: to another agent, or back to the queue, with a note for agents only."""

from __future__ import annotations

from typing import Any

from livechat.errors import Conflict, Forbidden, InvalidInput, NotFound
from livechat.events import SessionTransferred, publish
from livechat.extensions import db
from livechat.models import (
    SYSTEM_SENDER_ID,
    ChatSession,
    Role,
    SenderType,
    SessionStatus,
    User,
    utcnow,
)
from livechat.schemas.chat import StaffSessionSchema
from livechat.services import audit
from livechat.services.access import Actor, access_session, require_staff
from livechat.services.agents import agent_available
from livechat.services.messages import append_message
from livechat.services.sessions import dump_session, original_wait_start

_staff_session = StaffSessionSchema()


def transfer_session(
    actor: Actor, session_id: str, agent_id: str | None = None, note: str | None = None
) -> ChatSession:
    """Give the chat to ``agent_id`` (who must be staff and available), or back to the queue
    when None: WAITING, no agent, its first wait start kept so it goes back to the front of its
    priority band. Only the chat's agent or an admin may; the customer gets a SYSTEM notice,
    the ``note`` goes to agents only (``session.transfer``, ``session:transferred``)."""
    require_staff(actor)
    note = (note or "").strip() or None
    session = access_session(actor, session_id, lock=True)
    if session.status == SessionStatus.ENDED:
        raise Conflict("This chat session has ended.", code="session_ended")
    previous = session.agent_id
    if previous is None:
        raise Conflict(
            "Nobody has this chat: assign it instead of transferring it.", code="not_assigned"
        )
    if previous != actor.id and actor.role != Role.ADMIN:
        raise Forbidden("Only the chat's agent or an admin may transfer it.")
    target = _target(agent_id, previous) if agent_id is not None else None
    now = utcnow()
    session.transfer = {
        "fromAgentId": previous,
        "toAgentId": target.id if target else None,
        "note": note,
        "by": actor.id,
        "at": now.isoformat(),
    }
    if target is not None:
        session.agent_id = target.id
        session.agent = target
        session.assigned_at = now
        name = target.display_name or "another agent"
        content = f"You are now chatting with {name}."
        notice_meta: dict[str, Any] = {"kind": "transfer", "agentId": target.id, "agentName": name}
    else:
        session.agent_id = None
        session.agent = None
        session.status = SessionStatus.WAITING
        session.waiting_since = original_wait_start(session, now)
        content = "You are back in the queue: the next available agent will answer you here."
        notice_meta = {"kind": "transfer", "agentId": None}
    session.updated_at = now
    append_message(
        session,
        sender_id=SYSTEM_SENDER_ID,
        sender_type=SenderType.SYSTEM,
        content=content,
        metadata=notice_meta,
    )
    # The note stays out of the trail: erasure scrubs it from the session, not from the trail.
    audit.record(
        actor.id,
        "session.transferred",
        session_id=session.id,
        subject_user_id=session.user_id,
        details={
            "fromAgentId": previous,
            "toAgentId": target.id if target else None,
            "withNote": note is not None,
        },
    )
    publish(
        SessionTransferred(
            session.id,
            dump_session(session),
            _staff_session.dump(session),
            previous,
            target.id if target else None,
        )
    )
    db.session.commit()
    return session


def _target(agent_id: str, current: str) -> User:
    """The agent a chat may be handed to: staff, not its agent already, and available."""
    target = db.session.get(User, agent_id)
    if target is None:
        raise NotFound(f"Agent {agent_id} not found.", code="agent_not_found")
    if not target.role.is_staff:
        raise InvalidInput(f"User {agent_id} is not a support agent.", code="not_an_agent")
    if target.id == current:
        raise Conflict("This agent already has the chat.", code="already_assigned")
    if not agent_available(target.id):
        raise Conflict(f"Agent {agent_id} is offline.", code="agent_offline")
    return target

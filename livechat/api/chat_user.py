"""Customer endpoints: open a chat, fetch the open one, list past ones, read their history."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g

from livechat import ratelimit
from livechat.ai import handover
from livechat.api.decorators import authenticated, body, query, response
from livechat.schemas.base import Augmented, PageQuerySchema, page_of
from livechat.schemas.chat import (
    CreateSessionSchema,
    MessageListSchema,
    MessagesQuerySchema,
    RequestHumanSchema,
    SessionPageSchema,
    SessionWithMessagesSchema,
)
from livechat.services import messages, sessions

bp = Blueprint("chat_user", __name__, url_prefix="/api/support/chat")


@bp.post("/sessions/user")
@authenticated()
@response(SessionWithMessagesSchema(), 201, "A new chat session", alt={200: "Your open session"})
@body(CreateSessionSchema())
def create_user_session(body: dict[str, Any]) -> Any:
    """Open a chat session, or return the one you already have open."""
    ratelimit.check("sessions", g.actor.id)
    session, created = sessions.open_session(g.actor, body.get("subject"), body["metadata"])
    recent = [] if created else sessions.recent_messages(session.id)
    return Augmented(session, messages=recent), 201 if created else 200


@bp.get("/sessions/active")
@authenticated()
@response(
    SessionWithMessagesSchema(),
    200,
    "Your open session with its latest messages",
    errors={404: "You have no open chat session (no_active_session)"},
)
def get_active_session() -> Any:
    """Your open chat session and its latest messages (404 no_active_session if none)."""
    session, recent = sessions.active_session(g.actor)
    return Augmented(session, messages=recent)


@bp.get("/sessions/mine")
@authenticated()
@response(SessionPageSchema(), 200, "A page of your chats, newest first, ended ones included")
@query(PageQuerySchema())
def list_my_sessions(query: dict[str, Any]) -> Any:
    """The chats you opened (past ones included), newest first; read one with .../messages."""
    items, total = sessions.my_sessions(g.actor, page=query["page"], page_size=query["page_size"])
    return page_of(items, query["page"], query["page_size"], total)


@bp.get("/sessions/<session_id>/messages")
@authenticated()
@response(MessageListSchema(), 200, "Messages in sequence order")
@query(MessagesQuerySchema())
def list_session_messages(session_id: str, query: dict[str, Any]) -> Any:
    """A session's messages in order: after ?after=SEQ (catch-up), else the latest."""
    session, items, has_more = messages.list_messages(
        g.actor, session_id, after=query["after"], limit=query["limit"]
    )
    return {
        "session_id": session.id,
        "items": items,
        "last_seq": session.last_seq,
        "has_more": has_more,
    }


@bp.post("/sessions/<session_id>/request-human")
@authenticated()
@response(
    RequestHumanSchema(),
    200,
    "Queued for a person (ticket opened), or already with people (alreadyWaiting, no change)",
    errors={
        403: "Not your chat: only its customer may ask (forbidden)",
        409: "The chat has ended (session_ended)",
    },
)
def request_human(session_id: str) -> Any:
    """Talk to a person: queue your chat for a human agent (no body)."""
    session, ticket = handover.request_human(g.actor, session_id)
    return {"session": session, "ticket": ticket, "already_waiting": ticket is None}

"""Support-team endpoints: sessions, the queue, assignment, ending, replying."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g

from livechat import ratelimit
from livechat.api.decorators import authenticated, body, query, response
from livechat.models import SESSIONS_TOTAL_CAP, Role
from livechat.schemas.base import page_of
from livechat.schemas.chat import (
    AssignSchema,
    EndSessionSchema,
    LiveFiguresSchema,
    MessageSchema,
    NoteListSchema,
    NoteSchema,
    NotesQuerySchema,
    PostMessageSchema,
    PostNoteSchema,
    QueueQuerySchema,
    QueueSchema,
    SessionDetailSchema,
    SessionListQuerySchema,
    StaffSessionPageSchema,
    StaffSessionSchema,
    TransferRequestSchema,
)
from livechat.services import messages, notes, sessions, stats, transfer

bp = Blueprint("chat_support", __name__, url_prefix="/api/support/chat")

STAFF = (Role.AGENT, Role.ADMIN)


@bp.get("/sessions")
@authenticated(*STAFF)
@response(
    StaffSessionPageSchema(),
    200,
    "A page of sessions, newest first",
    errors={
        400: "An empty date range: 'to' is not after 'from' (bad_date_range); a page past "
        f"the first {SESSIONS_TOTAL_CAP:,} chats (page_too_deep); a cursor no page gave "
        "(bad_cursor), or with a page past 1 (cursor_with_page)"
    },
)
@query(SessionListQuerySchema())
def list_sessions(query: dict[str, Any]) -> Any:
    """List chat sessions, filtered by status, agent or customer."""
    result, next_cursor = sessions.list_sessions(g.actor, **query)
    return {
        **page_of(
            result.items,
            None if query["cursor"] else query["page"],
            query["page_size"],
            result.total,
        ),
        "total_exact": result.exact,
        "next_cursor": next_cursor,
    }


@bp.get("/queue")
@authenticated(*STAFF)
@response(QueueSchema(), 200, "Waiting sessions by priority, then longest-waiting first")
@query(QueueQuerySchema())
def get_queue(query: dict[str, Any]) -> Any:
    """The first sessions waiting for a human in queue order (``limit``, default 100), with
    position, wait and escalation; ``total`` counts every waiting chat."""
    items, total = sessions.waiting_queue(g.actor, query["limit"])
    return {"items": items, "total": total}


@bp.get("/stats")
@authenticated(*STAFF)
@response(LiveFiguresSchema(), 200, "Live figures for the support team")
def get_stats() -> Any:
    """Waiting now, median wait, chats today, the share the assistant resolved."""
    return stats.live_figures(g.actor)


@bp.get("/sessions/<session_id>")
@authenticated(*STAFF)
@response(
    SessionDetailSchema(), 200, "The session, its messages and notes, the customer and tickets"
)
def get_session(session_id: str) -> Any:
    """A session with its messages, internal notes, the customer's profile and their tickets."""
    session, recent, internal, customer, tickets = sessions.session_detail(g.actor, session_id)
    return {
        "session": session,
        "messages": recent,
        "notes": internal,
        "customer": customer,
        "tickets": tickets,
    }


@bp.post("/sessions/<session_id>/assign")
@authenticated(*STAFF)
@response(StaffSessionSchema(), 200, "The assigned session")
@body(AssignSchema())
def assign_session(session_id: str, body: dict[str, Any]) -> Any:
    """Assign the session to an agent (default: you); assigning others, or reassigning a chat
    that has an agent, needs admin."""
    return sessions.assign_agent(g.actor, session_id, body["agent_id"])


@bp.post("/sessions/<session_id>/transfer")
@authenticated(*STAFF)
@response(
    StaffSessionSchema(),
    200,
    "The transferred session (its transfer, with the note, for agents only)",
    errors={
        403: "Not your chat (its agent and admins may transfer it)",
        404: "Unknown session (session_not_found) or agent (agent_not_found)",
        409: "Ended (session_ended), nobody has it (not_assigned), the agent has it already"
        " (already_assigned) or is offline (agent_offline)",
        422: "Invalid input, or agentId is not an agent (not_an_agent)",
    },
)
@body(TransferRequestSchema())
def transfer_session(session_id: str, body: dict[str, Any]) -> Any:
    """Hand your chat to another agent (agentId), or back to the queue (no agentId)."""
    return transfer.transfer_session(g.actor, session_id, body["agent_id"], body["note"])


@bp.post("/sessions/<session_id>/end")
@authenticated(*STAFF)
@response(
    StaffSessionSchema(), 200, "The ended session", errors={409: "Already ended (session_ended)"}
)
@body(EndSessionSchema())
def end_session(session_id: str, body: dict[str, Any]) -> Any:
    """End the chat session: resolved (default) resolves its escalation tickets; follow_up
    keeps them open, assigned to you."""
    return sessions.end_session(g.actor, session_id, outcome=body["outcome"], note=body["note"])


@bp.post("/sessions/<session_id>/messages")
@authenticated(*STAFF)
@response(
    MessageSchema(),
    201,
    "The stored message",
    alt={200: "Already stored (same clientMessageId)"},
    errors={413: "The message is over its limit (message_too_long; details.limit)"},
)
@body(PostMessageSchema())
def post_message(session_id: str, body: dict[str, Any]) -> Any:
    """Reply in a session assigned to you."""
    ratelimit.check("messages", g.actor.id)
    message, created = messages.post_message(
        g.actor,
        session_id,
        body["content"],
        client_message_id=body.get("client_message_id"),
        metadata=body["metadata"],
    )
    return message, 201 if created else 200


@bp.post("/sessions/<session_id>/notes")
@authenticated(*STAFF)
@response(
    NoteSchema(),
    201,
    "The stored internal note (agents and admins only; never sent to the customer)",
    alt={200: "Already stored (same clientMessageId)"},
    errors={
        404: "Unknown session (session_not_found)",
        413: "The note is over its limit (message_too_long; details.limit)",
    },
)
@body(PostNoteSchema())
def post_note(session_id: str, body: dict[str, Any]) -> Any:
    """Write an internal note in a chat, open or ended, assigned to you or not."""
    ratelimit.check("messages", g.actor.id)
    note, created = notes.post_note(
        g.actor, session_id, body["content"], client_message_id=body.get("client_message_id")
    )
    return note, 201 if created else 200


@bp.get("/sessions/<session_id>/notes")
@authenticated(*STAFF)
@response(NoteListSchema(), 200, "The chat's internal notes by noteSeq")
@query(NotesQuerySchema())
def list_notes(session_id: str, query: dict[str, Any]) -> Any:
    """A chat's internal notes in order; ``after`` catches up by noteSeq."""
    session, items, more = notes.list_notes(
        g.actor, session_id, after=query["after"], limit=query["limit"]
    )
    return {"session_id": session.id, "items": items, "has_more": more}

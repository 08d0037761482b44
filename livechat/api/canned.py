"""Canned replies: agents' saved answers, team-wide (admins manage) or personal."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g

from livechat.api.decorators import authenticated, body, query, response
from livechat.models import Role
from livechat.schemas.base import page_of
from livechat.schemas.canned import (
    CannedResponseCreateSchema,
    CannedResponsePageSchema,
    CannedResponseSchema,
    CannedResponsesQuerySchema,
    CannedResponseUpdateSchema,
    RenderedSchema,
    RenderRequestSchema,
)
from livechat.services import canned

bp = Blueprint("canned", __name__, url_prefix="/api/support/canned-responses")

STAFF = (Role.AGENT, Role.ADMIN)
_NOT_FOUND = "No such reply, or another agent's personal one (canned_response_not_found)"
_NOT_YOURS = "A team reply, and you are not an admin (forbidden)"
_UNKNOWN_VARIABLE = (
    "Invalid input, or the body uses an unknown variable (unknown_variable; "
    "details.unknownVariables, details.validVariables)"
)
_DUPLICATE = "The shortcut is taken in that scope (duplicate_shortcut)"


@bp.get("")
@authenticated(*STAFF)
@response(CannedResponsePageSchema(), 200, "A page of replies, by shortcut")
@query(CannedResponsesQuerySchema())
def list_canned(query: dict[str, Any]) -> Any:
    """Team replies and your own (yours hide a team reply with the same shortcut)."""
    items, total = canned.list_canned(g.actor, **query)
    return page_of(items, query["page"], query["page_size"], total)


@bp.post("")
@authenticated(*STAFF)
@response(
    CannedResponseSchema(),
    201,
    "The new reply",
    errors={403: "scope team, and you are not an admin", 409: _DUPLICATE, 422: _UNKNOWN_VARIABLE},
)
@body(CannedResponseCreateSchema())
def create_canned(body: dict[str, Any]) -> Any:
    """Save a personal reply, or (admins) a team reply."""
    return canned.create_canned(g.actor, **body), 201


@bp.get("/<canned_id>")
@authenticated(*STAFF)
@response(CannedResponseSchema(), 200, "The reply", errors={404: _NOT_FOUND})
def get_canned(canned_id: str) -> Any:
    """A team reply or one of your own."""
    return canned.access_canned(g.actor, canned_id)


@bp.patch("/<canned_id>")
@authenticated(*STAFF)
@response(
    CannedResponseSchema(),
    200,
    "The updated reply",
    errors={403: _NOT_YOURS, 404: _NOT_FOUND, 409: _DUPLICATE, 422: _UNKNOWN_VARIABLE},
)
@body(CannedResponseUpdateSchema())
def update_canned(canned_id: str, body: dict[str, Any]) -> Any:
    """Change a reply's shortcut, title or body."""
    return canned.update_canned(g.actor, canned_id, **body)


@bp.delete("/<canned_id>")
@authenticated(*STAFF)
@response(None, 204, "Deleted", errors={403: _NOT_YOURS, 404: _NOT_FOUND})
def delete_canned(canned_id: str) -> Any:
    """Delete a reply (team replies: admins only)."""
    canned.delete_canned(g.actor, canned_id)
    return None


@bp.post("/<canned_id>/render")
@authenticated(*STAFF)
@response(
    RenderedSchema(),
    200,
    "The reply's text for that chat, variables filled in",
    errors={404: "No such reply (canned_response_not_found) or chat (session_not_found)"},
)
@body(RenderRequestSchema())
def render_canned(canned_id: str, body: dict[str, Any]) -> Any:
    """The reply's text for a chat: its customer, you as the agent, the chat's id."""
    text = canned.render_canned(g.actor, canned_id, body["session_id"])
    return {"canned_response_id": canned_id, "session_id": body["session_id"], "text": text}

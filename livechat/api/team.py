"""Team management: admins add, re-role and remove agents (rules: services/team.py)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g

from livechat.api.decorators import authenticated, body, query, response
from livechat.models import Role
from livechat.schemas.team import (
    AddedSchema,
    AddMemberSchema,
    RemovedSchema,
    TeamListSchema,
    TeamMemberSchema,
    TeamQuerySchema,
    UpdateMemberSchema,
)
from livechat.services import team

bp = Blueprint("team", __name__, url_prefix="/api/support/agents")

_NOT_FOUND = "No such team member, or removed already (agent_not_found)"
_DIRECTORY = (
    "The identity directory cannot be reached or refused (directory_unavailable: Firebase "
    "needs GOOGLE_APPLICATION_CREDENTIALS to manage users)"
)
_BAD_INPUT = "bad_email, bad_role, bad_name, or field errors (details)"


@bp.get("")
@authenticated(Role.ADMIN)
@response(TeamListSchema(), 200, "The team, admins first, with status and open chats")
@query(TeamQuerySchema())
def list_agents(query: dict[str, Any]) -> Any:
    """The support team: agents and admins, each with their status if online."""
    return {"items": team.list_team(g.actor, **query)}


@bp.post("")
@authenticated(Role.ADMIN)
@response(
    AddedSchema(),
    201,
    "Added (and invited); 200 if they were on the team with that role already",
    alt={200: "On the team with that role already: found again, a fresh invitation"},
    errors={
        409: "On the team with another role (already_on_team)",
        422: _BAD_INPUT,
        503: _DIRECTORY,
    },
)
@body(AddMemberSchema())
def add_agent(body: dict[str, Any]) -> Any:
    """Add someone to the team by e-mail (their account is created if needed) and invite them."""
    added = team.add_member(g.actor, body["email"], body["role"], body["name"])
    return added, 201 if added.added else 200


@bp.patch("/<agent_id>")
@authenticated(Role.ADMIN)
@response(
    TeamMemberSchema(),
    200,
    "The member; a new role takes effect at once (their sockets are ended)",
    errors={
        404: _NOT_FOUND,
        409: "Your own role (cannot_change_own_role), or the last admin's (last_admin)",
        422: _BAD_INPUT,
        503: _DIRECTORY,
    },
)
@body(UpdateMemberSchema())
def update_agent(agent_id: str, body: dict[str, Any]) -> Any:
    """Change a team member's role or name."""
    return team.update_member(g.actor, agent_id, role=body["role"], name=body["name"])


@bp.delete("/<agent_id>")
@authenticated(Role.ADMIN)
@response(
    RemovedSchema(),
    200,
    "Removed: their sockets are ended, their open chats back in the queue",
    errors={
        404: _NOT_FOUND,
        409: "Yourself (cannot_remove_self), or the last admin (last_admin)",
        503: _DIRECTORY,
    },
)
def remove_agent(agent_id: str) -> Any:
    """Take someone off the team, at once."""
    released = team.remove_member(g.actor, agent_id)
    return {"uid": agent_id, "released_session_ids": released}

"""The audit trail (admins; agents one chat's entries)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g

from livechat.api.decorators import authenticated, query, response
from livechat.schemas.base import page_of
from livechat.schemas.chat import AuditPageSchema, AuditQuerySchema
from livechat.services import audit

bp = Blueprint("admin", __name__, url_prefix="/api/support/audit")


@bp.get("")
@authenticated()  # who reads what: services/audit.py (admins all, agents one chat's)
@response(
    AuditPageSchema(),
    200,
    "Audit entries, newest first",
    errors={
        403: "Not an admin, and not one chat's entries (agents: sessionId alone)",
        404: "No such chat (session_not_found)",
    },
)
@query(AuditQuerySchema())
def list_audit(query: dict[str, Any]) -> Any:
    """Who assigned, ended, escalated or looked at which chat or customer, and when."""
    items, total = audit.list_events(g.actor, **query)
    return page_of(items, query["page"], query["page_size"], total)

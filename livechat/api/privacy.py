"""Data rights (admins): export a customer's data, or erase the customer."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g

from livechat.api.decorators import authenticated, body, response
from livechat.models import Role
from livechat.schemas.privacy import CustomerExportSchema, EraseRequestSchema, EraseSummarySchema
from livechat.services import privacy

bp = Blueprint("privacy", __name__, url_prefix="/api/support/customers")


@bp.get("/<uid>/export")
@authenticated(Role.ADMIN)
@response(CustomerExportSchema(), 200, "Everything stored about the customer")
def export_customer(uid: str) -> Any:
    """Export a customer's profile, chats with every message, tickets and audit entries."""
    return privacy.export_customer(g.actor, uid)


@bp.post("/<uid>/erase")
@authenticated(Role.ADMIN)
@response(EraseSummarySchema(), 200, "The customer is erased (again: alreadyErased)")
@body(EraseRequestSchema())
def erase_customer(uid: str, body: dict[str, Any]) -> Any:
    """Erase a customer: chats ended and redacted, identity removed, tickets anonymised."""
    return privacy.erase_customer(g.actor, uid, confirm=body["confirm"])

"""The audit trail: recorded in the same transaction as the change (or the read) it describes."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from livechat.errors import Forbidden
from livechat.extensions import db
from livechat.models import AuditEvent, Role, utcnow
from livechat.services.access import Actor
from livechat.services.paging import page_of_rows


def record(
    actor_id: str,
    action: str,
    *,
    session_id: str | None = None,
    subject_user_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Add an entry; the caller's commit stores it with the change."""
    db.session.add(
        AuditEvent(
            at=utcnow(),
            actor_id=actor_id,
            action=action,
            session_id=session_id,
            subject_user_id=subject_user_id,
            details=details or {},
        )
    )


def list_events(
    actor: Actor,
    *,
    session_id: str | None = None,
    actor_id: str | None = None,
    user_id: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> tuple[list[AuditEvent], int]:
    """Newest first; admins only."""
    if actor.role != Role.ADMIN:
        raise Forbidden("Only admins may read the audit trail.")
    filters = []
    if session_id is not None:
        filters.append(AuditEvent.session_id == session_id)
    if actor_id is not None:
        filters.append(AuditEvent.actor_id == actor_id)
    if user_id is not None:
        filters.append(AuditEvent.subject_user_id == user_id)
    return page_of_rows(
        sa.select(AuditEvent).where(*filters),
        AuditEvent.at.desc(),
        AuditEvent.id.desc(),
        page=page,
        page_size=page_size,
    )

"""The audit trail: recorded in the same transaction as the change (or the read) it describes."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from livechat.errors import Forbidden
from livechat.extensions import db
from livechat.models import AuditEvent, Role, utcnow
from livechat.services.access import Actor, find_session
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
    """Newest first. Admins read the whole trail; agents one chat's entries (``session_id`` alone:
    staff may open every chat, and its history shows who assigned, transferred and ended it)."""
    if actor.role != Role.ADMIN:
        if not actor.role.is_staff or session_id is None or actor_id or user_id:
            raise Forbidden(
                "Only admins may read the audit trail; agents may read one chat's (sessionId)."
            )
        find_session(session_id)  # 404 for a chat that does not exist
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


def entries_about(user_id: str, session_ids: list[str]) -> list[AuditEvent]:
    """Every entry about a customer (subject, actor, or on one of their chats), oldest first."""
    about = [AuditEvent.subject_user_id == user_id, AuditEvent.actor_id == user_id]
    if session_ids:
        about.append(AuditEvent.session_id.in_(session_ids))
    return list(
        db.session.scalars(
            sa.select(AuditEvent).where(sa.or_(*about)).order_by(AuditEvent.at, AuditEvent.id)
        ).all()
    )


def pseudonymise(user_id: str, pseudonym: str) -> int:
    """Replace a customer's id by their pseudonym in the trail (erasure); the caller commits.

    The entries stay (who did what, when); only the person they name is no longer identifiable.
    Returns how many entries changed.
    """
    subject, actor = AuditEvent.subject_user_id, AuditEvent.actor_id
    result = db.session.execute(
        sa.update(AuditEvent)
        .where(sa.or_(subject == user_id, actor == user_id))
        .values(
            subject_user_id=sa.case((subject == user_id, pseudonym), else_=subject),
            actor_id=sa.case((actor == user_id, pseudonym), else_=actor),
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]

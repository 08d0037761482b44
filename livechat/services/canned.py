"""Canned replies: team replies (admins manage them) and each agent's personal ones, and how
their variables are checked and filled in for a chat."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from livechat.errors import Conflict, Forbidden, InvalidInput, NotFound
from livechat.extensions import db
from livechat.models import CannedResponse, CannedScope, Role, User, utcnow
from livechat.services import audit
from livechat.services.access import Actor, access_session, require_staff
from livechat.services.paging import page_of_rows

# The variables a body may hold, as {{name}} (whitespace inside the braces is tolerated).
VARIABLES = ("customer.name", "customer.email", "agent.name", "session.id")
_VARIABLE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
# PostgreSQL's unique_violation: a shortcut taken, whatever the race.
_UNIQUE_VIOLATION = "23505"


def variables_in(body: str) -> list[str]:
    """The variable names ``body`` uses, in order of first use."""
    return list(dict.fromkeys(_VARIABLE.findall(body)))


def check_variables(body: str) -> None:
    """Refuse a body using a variable nobody can fill in (422 unknown_variable), naming the
    valid ones: a typo would otherwise reach a customer as literal braces."""
    unknown = [name for name in variables_in(body) if name not in VARIABLES]
    if unknown:
        valid = ", ".join("{{" + v + "}}" for v in VARIABLES)
        raise InvalidInput(
            f"Unknown variable {', '.join('{{' + u + '}}' for u in unknown)}; valid: {valid}.",
            code="unknown_variable",
            details={
                "body": [f"Unknown variables: {', '.join(unknown)}. Valid: {valid}."],
                "unknownVariables": unknown,
                "validVariables": list(VARIABLES),
            },
        )


def render_text(body: str, values: dict[str, str | None]) -> str:
    """``body`` with each variable replaced by its value; a missing value is empty text."""
    return _VARIABLE.sub(lambda m: values.get(m.group(1)) or "", body)


def _visible_to(actor: Actor) -> Any:
    """Team replies and the actor's own: nobody, admins included, sees another's personal."""
    return sa.or_(CannedResponse.owner_id.is_(None), CannedResponse.owner_id == actor.id)


def access_canned(actor: Actor, canned_id: str, *, lock: bool = False) -> CannedResponse:
    """The reply if ``actor`` may use it; another agent's personal reply is 404, not 403, so
    its existence is not given away."""
    require_staff(actor)
    stmt = sa.select(CannedResponse).where(CannedResponse.id == canned_id, _visible_to(actor))
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    reply = db.session.scalars(stmt).first()
    if reply is None:
        raise NotFound(f"Canned reply {canned_id} not found.", code="canned_response_not_found")
    return reply


def _require_editor(actor: Actor, scope: CannedScope) -> None:
    """Team replies are the admins' to change; a personal one is its owner's (visibility)."""
    if scope == CannedScope.TEAM and actor.role != Role.ADMIN:
        raise Forbidden("Only admins may change team replies.")


def list_canned(
    actor: Actor,
    *,
    q: str | None = None,
    scope: CannedScope | None = None,
    page: int = 1,
    page_size: int = 20,
) -> tuple[list[CannedResponse], int]:
    """The replies ``actor`` may use, by shortcut. Without ``scope``, a personal reply hides
    the team reply with the same shortcut (the agent's own wins); every word of ``q`` must
    appear in the shortcut, title or body."""
    require_staff(actor)
    filters: list[Any] = [_visible_to(actor)]
    if scope == CannedScope.TEAM:
        filters.append(CannedResponse.owner_id.is_(None))
    elif scope == CannedScope.PERSONAL:
        filters.append(CannedResponse.owner_id == actor.id)
    else:
        own = aliased(CannedResponse)
        shadowed = (
            sa.select(own.id)
            .where(own.owner_id == actor.id, own.shortcut == CannedResponse.shortcut)
            .exists()
        )
        filters.append(sa.or_(CannedResponse.owner_id.isnot(None), ~shadowed))
    words = (q or "").split()
    for word in words:
        pattern = "%" + re.sub(r"([\\%_])", r"\\\1", word) + "%"
        filters.append(
            sa.or_(
                CannedResponse.shortcut.ilike(pattern, escape="\\"),
                CannedResponse.title.ilike(pattern, escape="\\"),
                CannedResponse.body.ilike(pattern, escape="\\"),
            )
        )
    first = words[0].lower() if words else ""
    prefix = sa.case((CannedResponse.shortcut.startswith(first, autoescape=True), 0), else_=1)
    return page_of_rows(
        sa.select(CannedResponse).where(*filters),
        prefix,
        CannedResponse.shortcut,
        CannedResponse.owner_id.nulls_last(),
        CannedResponse.id,
        page=page,
        page_size=page_size,
    )


def _store(reply: CannedResponse) -> None:
    """Flush; a shortcut already taken in the same scope (even by a concurrent request) is 409."""
    try:
        db.session.flush()
    except sa.exc.IntegrityError as exc:
        db.session.rollback()
        if getattr(exc.orig, "sqlstate", None) == _UNIQUE_VIOLATION:
            where = "team replies" if reply.owner_id is None else "your replies"
            raise Conflict(
                f"The shortcut /{reply.shortcut} is already used by one of {where}.",
                code="duplicate_shortcut",
                details={"shortcut": reply.shortcut},
            ) from None
        raise


def _audit_team(actor: Actor, action: str, reply: CannedResponse, **extra: Any) -> None:
    """Team replies change what every agent sends: admins' changes go into the audit trail."""
    if reply.owner_id is None:
        details = {"cannedResponseId": reply.id, "shortcut": reply.shortcut, **extra}
        audit.record(actor.id, f"canned_response.{action}", details=details)


def create_canned(
    actor: Actor,
    *,
    shortcut: str,
    title: str,
    body: str,
    scope: CannedScope = CannedScope.PERSONAL,
) -> CannedResponse:
    """Save a reply: personal (the caller's) or, for admins, a team one."""
    require_staff(actor)
    _require_editor(actor, scope)
    check_variables(body)
    now = utcnow()
    reply = CannedResponse(
        owner_id=None if scope == CannedScope.TEAM else actor.id,
        shortcut=shortcut,
        title=title,
        body=body,
        created_by=actor.id,
        created_at=now,
        updated_at=now,
    )
    db.session.add(reply)
    _store(reply)
    _audit_team(actor, "created", reply)
    db.session.commit()
    return reply


def update_canned(
    actor: Actor,
    canned_id: str,
    *,
    shortcut: str | None = None,
    title: str | None = None,
    body: str | None = None,
) -> CannedResponse:
    """Change a reply's shortcut, title or body (its scope stays)."""
    reply = access_canned(actor, canned_id, lock=True)
    _require_editor(actor, reply.scope)
    if body is not None:
        check_variables(body)
    given = {"shortcut": shortcut, "title": title, "body": body}
    changed = [k for k, v in given.items() if v is not None and v != getattr(reply, k)]
    if changed:
        for name in changed:
            setattr(reply, name, given[name])
        reply.updated_at = utcnow()
        _store(reply)
        _audit_team(actor, "updated", reply, changed=changed)
    db.session.commit()
    return reply


def delete_canned(actor: Actor, canned_id: str) -> None:
    """Delete a reply (team: admins only)."""
    reply = access_canned(actor, canned_id, lock=True)
    _require_editor(actor, reply.scope)
    _audit_team(actor, "deleted", reply)
    db.session.delete(reply)
    db.session.commit()


def render_canned(actor: Actor, canned_id: str, session_id: str) -> str:
    """The reply's text for one chat: its customer's name and e-mail, the calling agent's name
    and the chat's id filled in (a value the chat lacks becomes empty text, never "None")."""
    reply = access_canned(actor, canned_id)
    session = access_session(actor, session_id)
    customer = session.user
    agent = db.session.get(User, actor.id)
    # Filling in the customer's name and e-mail is a read of their data, recorded like one.
    audit.record(
        actor.id,
        "customer.viewed",
        session_id=session.id,
        subject_user_id=session.user_id,
        details={"cannedResponseId": reply.id},
    )
    db.session.commit()
    return render_text(
        reply.body,
        {
            "customer.name": customer.display_name if customer else None,
            "customer.email": customer.email if customer else None,
            "agent.name": agent.display_name if agent else None,
            "session.id": session.id,
        },
    )

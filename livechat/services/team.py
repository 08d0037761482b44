"""The support team: who may act as an agent or admin, each rule written once.

Adding, re-roling and removing members go through the identity directory (livechat/directory.py:
Firebase custom claims, or the offline dev one) and the local record (models/team.py), under
one lock so that two admins never remove each other and leave no admin. ``check_staff_token``
is the one place a token's staff role is checked against the record: a removed member's, or a
re-roled one's, still-unexpired token is refused at once, on REST and on every socket connect.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from livechat import runtime
from livechat.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from livechat.events import TeamMemberRemoved, TeamMemberRoleChanged, publish
from livechat.extensions import db
from livechat.models import Role, TeamMember, User, utcnow
from livechat.schemas.base import has_unstorable_text
from livechat.services import agents, audit
from livechat.services.access import Actor
from livechat.services.users import Identity
from livechat.writer import end_read_transaction

STAFF_ROLES = (Role.AGENT, Role.ADMIN)
MAX_EMAIL_LENGTH = 320  # the columns' sizes
MAX_NAME_LENGTH = 200
# pg_advisory_xact_lock key: one team change at a time (the last-admin rule counts admins).
TEAM_LOCK = 0x6C63_7465
# added_by of a member whose staff claim was set outside these tools (first seen signing in).
ENROLLED_FROM_TOKEN = "token"


@dataclass(frozen=True)
class TeamEntry:
    """A member as the team list shows them: the record plus live status and open chats."""

    member: TeamMember
    status: str
    open_chats: int


@dataclass(frozen=True)
class Added:
    """What ``add_member`` did: ``created`` the directory account, ``added`` to the team (False:
    they already were, with that role), and the invitation to send them."""

    member: TeamMember
    created: bool
    added: bool
    invitation: str | None


def require_admin(actor: Actor) -> None:
    if actor.role != Role.ADMIN:
        raise Forbidden("Only admins may manage the team.")


def staff_role(role: Role | str) -> Role:
    """``role`` if a team member may hold it (agent, admin); 422 ``bad_role`` otherwise."""
    try:
        value = Role(role)
    except ValueError:
        value = Role.USER
    if value not in STAFF_ROLES:
        raise InvalidInput(
            "A team member's role is agent or admin.",
            code="bad_role",
            details={"role": ["Must be one of: agent, admin."]},
        )
    return value


# ---- reading ----------------------------------------------------------------------------------


def get_member(uid: str, *, lock: bool = False) -> TeamMember:
    """The active member ``uid`` (404 ``agent_not_found`` if never on the team or removed)."""
    stmt = sa.select(TeamMember).where(TeamMember.uid == uid, TeamMember.removed_at.is_(None))
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    member = db.session.scalars(stmt).first()
    if member is None:
        raise NotFound(f"No team member {uid}.", code="agent_not_found")
    return member


def resolve(ref: str) -> str:
    """The uid of the active member ``ref`` names: a uid, or an e-mail address (the CLI)."""
    ref = ref.strip()
    if "@" in ref:
        uid = db.session.scalar(
            sa.select(TeamMember.uid).where(
                TeamMember.email == ref.lower(), TeamMember.removed_at.is_(None)
            )
        )
        if uid is None:
            raise NotFound(f"No team member {ref}.", code="agent_not_found")
        return str(uid)
    return get_member(ref).uid


def list_team(actor: Actor, *, include_removed: bool = False) -> list[TeamEntry]:
    """The team, admins first then by e-mail, with each one's status (offline unless a socket
    of theirs is open) and open chats; admins only."""
    require_admin(actor)
    stmt = sa.select(TeamMember)
    if not include_removed:
        stmt = stmt.where(TeamMember.removed_at.is_(None))
    members = list(
        db.session.scalars(
            stmt.order_by(
                TeamMember.removed_at.is_not(None),
                TeamMember.role != Role.ADMIN,
                TeamMember.email,
                TeamMember.uid,
            )
        )
    )
    uids = [m.uid for m in members]
    loads = agents.workloads(uids)
    db.session.rollback()  # a read: hand the connection back before Redis is asked
    online = runtime.agent_router().online_states()
    return [
        TeamEntry(
            m,
            online[m.uid].status if m.uid in online else agents.OFFLINE,
            loads[m.uid].open_chats,
        )
        for m in members
    ]


# ---- the one check of a token's staff role ------------------------------------------------------


def check_staff_token(identity: Identity) -> None:
    """Refuse a token whose staff role the team record no longer backs: the member was removed
    (``staff_access_revoked``) or holds another role now (``role_changed``). Someone whose
    claim was set outside these tools joins the record on first sign-in (``added_by`` token).
    Customers' tokens are not looked up: this costs staff one indexed read per sign-in."""
    if not identity.role.is_staff:
        return
    team = cast(sa.Table, TeamMember.__table__)
    now = utcnow()
    end_read_transaction()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        row = conn.execute(
            sa.select(team.c.role, team.c.removed_at).where(team.c.uid == identity.uid)
        ).first()
        if row is None:
            conn.execute(
                pg_insert(team)
                .values(
                    uid=identity.uid,
                    email=identity.email,
                    display_name=identity.name,
                    role=identity.role,
                    added_by=ENROLLED_FROM_TOKEN,
                    added_at=now,
                    updated_at=now,
                )
                .on_conflict_do_nothing(index_elements=[team.c.uid])
            )
            return
    refusal = staff_refusal(identity.role, Role(row[0]), cast(datetime | None, row[1]))
    if refusal is not None:
        raise refusal


def staff_refusal(
    claimed: Role, recorded: Role | None, removed_at: datetime | None
) -> Unauthorized | None:
    """Why a token claiming ``claimed`` is refused, given the team record (None: it may pass).
    The rule itself, shared by the sign-in check, the socket sweep and the removal events."""
    if not claimed.is_staff or recorded is None:
        return None
    if removed_at is not None:
        return Unauthorized(
            "You are no longer on the support team; sign in again.", code="staff_access_revoked"
        )
    if recorded != claimed:
        return Unauthorized(
            f"Your role is now {recorded.value}; sign in again to continue.", code="role_changed"
        )
    return None


def stale_staff(claimed: dict[str, Role]) -> dict[str, Unauthorized]:
    """Of these signed-in staff (uid -> the role their token claims), those the team record no
    longer backs, with why: the socket sweep's backstop, in one query, should a removal's
    message to this process have been lost (Redis down at that moment)."""
    staff = {uid: role for uid, role in claimed.items() if role.is_staff}
    if not staff:
        return {}
    rows = db.session.execute(
        sa.select(TeamMember.uid, TeamMember.role, TeamMember.removed_at).where(
            TeamMember.uid.in_(sorted(staff))
        )
    ).all()
    db.session.rollback()  # a read: hand the connection back
    found = {uid: staff_refusal(staff[uid], role, removed_at) for uid, role, removed_at in rows}
    return {uid: why for uid, why in found.items() if why is not None}


# ---- changes ----------------------------------------------------------------------------------


@contextmanager
def _team_change() -> Iterator[None]:
    """One team change at a time (the lock ends with the transaction); a refusal rolls back,
    so the caller's session is clean whatever the outcome."""
    end_read_transaction()
    db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": TEAM_LOCK})
    try:
        yield
    except BaseException:
        db.session.rollback()
        raise


def _admins_left_without(uid: str) -> int:
    return int(
        db.session.scalar(
            sa.select(sa.func.count()).where(
                TeamMember.role == Role.ADMIN,
                TeamMember.removed_at.is_(None),
                TeamMember.uid != uid,
            )
        )
        or 0
    )


def _sync_user_role(uid: str, role: Role) -> None:
    """The users row (if they signed in) names the role the record grants: transfers read it."""
    db.session.execute(sa.update(User).where(User.id == uid).values(role=role))


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(email: str) -> str:
    """The address, trimmed and lower-cased; 422 ``bad_email`` unless it looks like one."""
    value = email.strip().lower()
    if len(value) > MAX_EMAIL_LENGTH or not _EMAIL.match(value) or has_unstorable_text(value):
        raise InvalidInput(
            "That is not an e-mail address.",
            code="bad_email",
            details={"email": ["Not a valid e-mail address."]},
        )
    return value


def normalise_name(name: str) -> str:
    """A display name: trimmed, 1 to 200 characters; 422 ``bad_name`` otherwise."""
    value = name.strip()
    if not value or len(value) > MAX_NAME_LENGTH or has_unstorable_text(value):
        raise InvalidInput(
            "A name is 1 to 200 characters.",
            code="bad_name",
            details={"name": ["1 to 200 characters."]},
        )
    return value


def add_member(actor: Actor, email: str, role: Role | str, name: str | None = None) -> Added:
    """Add ``email`` to the team as ``role``: find or create their account, grant the role,
    record them (again, if they were removed), and return an invitation to send them. An
    active member with that role already is found again (a fresh invitation); with another
    role it is ``already_on_team`` (change the role instead)."""
    require_admin(actor)
    role = staff_role(role)
    email = normalise_email(email)
    if name is not None:
        name = normalise_name(name)
    with _team_change():
        return _add(actor, email, role, name)


def _add(actor: Actor, email: str, role: Role, name: str | None) -> Added:
    directory = runtime.directory()
    account = directory.find_or_create(email, name)
    member = db.session.get(TeamMember, account.uid, populate_existing=True)
    if member is not None and member.active:
        if member.role != role:
            raise Conflict(
                f"{email} is on the team as {member.role.value}: change their role instead.",
                code="already_on_team",
                details={"uid": member.uid, "role": member.role.value},
            )
        directory.set_role(account.uid, role)  # in case the claim was lost: harmless
        db.session.commit()
        return Added(member, account.created, False, directory.invitation(account, role))
    directory.set_role(account.uid, role)
    now = utcnow()
    display = name or account.name
    if member is None:
        member = TeamMember(uid=account.uid, added_at=now)
        db.session.add(member)
    member.email = account.email or email
    member.display_name = display
    member.role = role
    member.added_by = actor.id
    member.added_at = now
    member.updated_at = now
    member.removed_at = None
    member.removed_by = None
    _sync_user_role(account.uid, role)
    audit.record(
        actor.id,
        "team.member_added",
        subject_user_id=account.uid,
        details={"email": member.email, "role": role.value, "createdAccount": account.created},
    )
    db.session.commit()
    return Added(member, account.created, True, directory.invitation(account, role))


def update_member(
    actor: Actor, uid: str, *, role: Role | str | None = None, name: str | None = None
) -> TeamMember:
    """Change a member's role and/or display name. A new role takes effect at once: their
    sign-ins are revoked and their open sockets ended (they sign in again with the new role).
    Your own role, and the last admin's, cannot be changed here."""
    require_admin(actor)
    new_role = staff_role(role) if role is not None else None
    new_name = normalise_name(name) if name is not None else None
    with _team_change():
        return _update(actor, uid, new_role, new_name)


def _update(actor: Actor, uid: str, new_role: Role | None, name: str | None) -> TeamMember:
    directory = runtime.directory()
    member = get_member(uid, lock=True)
    changes: dict[str, object] = {}
    if new_role is not None and new_role != member.role:
        if uid == actor.id:
            raise Conflict("You cannot change your own role.", code="cannot_change_own_role")
        if member.role == Role.ADMIN and _admins_left_without(uid) == 0:
            raise Conflict("The team's last admin must stay an admin.", code="last_admin")
        directory.set_role(uid, new_role)
        directory.revoke_sessions(uid)
        old_role = member.role
        changes["role"] = {"from": member.role.value, "to": new_role.value}
        member.role = new_role
        _sync_user_role(uid, new_role)
        why = staff_refusal(old_role, new_role, None)
        assert why is not None
        publish(TeamMemberRoleChanged(None, uid, new_role.value, why.to_dict()))
    if name is not None and name != member.display_name:
        directory.set_name(uid, name)
        changes["name"] = {"from": member.display_name, "to": name}
        member.display_name = name
    if changes:
        member.updated_at = utcnow()
        audit.record(actor.id, "team.member_updated", subject_user_id=uid, details=changes)
    db.session.commit()
    return member


def remove_member(actor: Actor, uid: str) -> list[str]:
    """Take ``uid`` off the team, at once: the role claim is cleared and their sign-ins
    revoked, their still-valid tokens are refused (``check_staff_token``), their open sockets
    on every process are ended and their open chats go back to the queue (returned). Removing
    yourself, or the last admin, is refused."""
    require_admin(actor)
    with _team_change():
        return _remove(actor, uid)


def _remove(actor: Actor, uid: str) -> list[str]:
    directory = runtime.directory()
    member = get_member(uid, lock=True)
    if uid == actor.id:
        raise Conflict("You cannot remove yourself from the team.", code="cannot_remove_self")
    if member.role == Role.ADMIN and _admins_left_without(uid) == 0:
        raise Conflict("The team's last admin cannot be removed.", code="last_admin")
    try:
        directory.set_role(uid, None)
        directory.revoke_sessions(uid)
    except NotFound:
        pass  # the account is gone from the directory already: nothing left to take away
    now = utcnow()
    member.removed_at = now
    member.removed_by = actor.id
    member.updated_at = now
    _sync_user_role(uid, Role.USER)
    audit.record(
        actor.id,
        "team.member_removed",
        subject_user_id=uid,
        details={"email": member.email, "role": member.role.value},
    )
    why = staff_refusal(member.role, member.role, now)
    assert why is not None
    publish(TeamMemberRemoved(None, uid, why.to_dict()))
    # Never routed to again (the router reads the status), then their chats go back: that
    # commit stores the removal, the audit entry and the requeued chats together.
    runtime.agent_router().statuses.set(uid, agents.OFFLINE)
    return agents.release_chats(uid, "agent_removed")

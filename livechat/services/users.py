"""Users: upserted from verified token claims on first contact."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from livechat.errors import NotFound
from livechat.extensions import db
from livechat.models import Role, User, utcnow
from livechat.writer import end_read_transaction

# last_seen_at is refreshed at most this often, so authenticated reads do not all write.
LAST_SEEN_RESOLUTION = timedelta(seconds=60)


@dataclass(frozen=True)
class Identity:
    """Who a verified token says the caller is; the same shape from every auth mode."""

    uid: str
    role: Role
    email: str | None = None
    name: str | None = None
    # When the token runs out (its ``exp``, seconds since the epoch), None if it says not. Of
    # the token's claims only this is kept: every connected socket holds its Identity.
    expires_at: float | None = field(default=None, compare=False)

    @property
    def id(self) -> str:
        """Services take a User or an Identity as the actor: both have ``id`` and ``role``."""
        return self.uid


def sync_user(identity: Identity) -> User:
    """Create the user on first contact; keep email, name and role in step with the token.

    The loaded row, for callers that need it; the sign-in path itself uses ``record_contact``.
    """
    record_contact(identity)
    user = db.session.get(User, identity.uid, populate_existing=True)
    assert user is not None  # just upserted
    return user


def record_contact(identity: Identity) -> None:
    """``sync_user`` in ONE autocommit statement, for the hot sign-in path (every socket connect,
    every REST call): insert the user on first contact; otherwise write only when the token's
    email, name or role differ or last_seen_at is stale, so most calls change nothing.

    "Change nothing" means a read: the row is inserted or upserted only when no current row
    already matches. (``ON CONFLICT DO UPDATE ... WHERE`` alone locks the conflicting row even
    when its WHERE is false: a transaction id, WAL and a commit flush on every connect.)"""
    end_read_transaction()  # never two pooled connections at once, nor the caller's work
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(_contact_statement(), contact_params(identity))


def contact_params(identity: Identity) -> dict[str, Any]:
    """The bound parameters of ``record_contact``'s statement (and of ``contact_cte``)."""
    now = utcnow()
    return {
        "id": identity.uid,
        "email": identity.email,
        "display_name": identity.name,
        "role": identity.role,
        "profile": {},
        "now": now,
        "stale_before": now - LAST_SEEN_RESOLUTION,
    }


@functools.cache
def contact_cte() -> sa.CTE:
    """``record_contact``'s statement as a CTE (parameters: ``contact_params``), for a sign-in
    that reads in the same round trip (``sessions.sign_in``). PostgreSQL runs a data-modifying
    CTE once whether or not the statement reads it; the statement's own reads see the tables as
    they were before it (one snapshot), so they do not see the user row this write changes."""
    users = cast(sa.Table, User.__table__)
    return _contact_statement().returning(users.c.id).cte("contact")


@functools.cache
def _contact_statement() -> sa.Insert:
    """record_contact's statement, built once (bound parameters; compiled once per engine)."""
    users = cast(sa.Table, User.__table__)
    # Cast: a parameter used in two places must have one type (an Enum renders no cast).
    p = {
        c: sa.cast(sa.bindparam(c, type_=users.c[c].type), users.c[c].type)
        for c in ("email", "display_name", "role")
    }
    now = sa.bindparam("now", type_=users.c.last_seen_at.type)

    def changed(row: Any, email: Any, name: Any, role: Any) -> Any:
        # The one rule: what makes a stored row need this token's write.
        email = sa.func.coalesce(email, row.c.email)  # a token without one keeps the stored
        name = sa.func.coalesce(name, row.c.display_name)
        return sa.or_(
            row.c.email.is_distinct_from(email),
            row.c.display_name.is_distinct_from(name),
            row.c.role != role,
            row.c.last_seen_at < sa.bindparam("stale_before", type_=users.c.last_seen_at.type),
        )

    current = users.alias("current")
    fresh = sa.exists().where(
        current.c.id == sa.bindparam("id", type_=users.c.id.type),
        sa.not_(changed(current, p["email"], p["display_name"], p["role"])),
    )
    proposed = sa.select(
        sa.bindparam("id", type_=users.c.id.type),
        p["email"],
        p["display_name"],
        p["role"],
        sa.bindparam("profile", type_=users.c.profile.type),
        now,
        now,
    ).where(~fresh)
    columns = ["id", "email", "display_name", "role", "profile", "created_at", "last_seen_at"]
    insert = pg_insert(users).from_select(columns, proposed)
    new = insert.excluded
    return insert.on_conflict_do_update(
        index_elements=[users.c.id],
        set_={
            "email": sa.func.coalesce(new.email, users.c.email),
            "display_name": sa.func.coalesce(new.display_name, users.c.display_name),
            "role": new.role,
            "last_seen_at": now,
        },
        # A row written since the read above: the same rule, against what is there now.
        where=changed(users, new.email, new.display_name, new.role),
    )


def get_user(user_id: str) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(f"User {user_id} not found.", code="user_not_found")
    return user


def update_profile(user_id: str, profile: dict[str, Any]) -> User:
    """Replace a customer's account context (what the assistant may use)."""
    user = get_user(user_id)
    user.profile = dict(profile)
    db.session.commit()
    return user


def get_users(user_ids: list[str]) -> list[User]:
    """The users with these ids that exist, in the given order."""
    if not user_ids:
        return []
    found = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(user_ids)))}
    return [found[i] for i in user_ids if i in found]


def existing_ids(user_ids: set[str], chunk: int = 1000) -> set[str]:
    """Which of these user ids still have a row: a customer erased under data rights has none
    (their data lives on under a pseudonym)."""
    ids = sorted(user_ids)
    found: set[str] = set()
    for i in range(0, len(ids), chunk):
        part = ids[i : i + chunk]
        found.update(db.session.scalars(sa.select(User.id).where(User.id.in_(part))))
    db.session.rollback()  # a read: end the transaction, hand the connection back
    return found

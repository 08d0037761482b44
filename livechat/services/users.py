"""Users: upserted from verified token claims on first contact."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from livechat.errors import NotFound
from livechat.extensions import db
from livechat.models import Role, User, utcnow

# last_seen_at is refreshed at most this often, so authenticated reads do not all write.
LAST_SEEN_RESOLUTION = timedelta(seconds=60)


@dataclass(frozen=True)
class Identity:
    """Who a verified token says the caller is; the same shape from every auth mode."""

    uid: str
    role: Role
    email: str | None = None
    name: str | None = None
    claims: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def id(self) -> str:
        """Services take a User or an Identity as the actor: both have ``id`` and ``role``."""
        return self.uid


def sync_user(identity: Identity) -> User:
    """Create the user on first contact; keep email, name and role in step with the token."""
    now = utcnow()
    user = db.session.get(User, identity.uid)
    if user is None:
        user = User(
            id=identity.uid,
            email=identity.email,
            display_name=identity.name,
            role=identity.role,
            profile={},
            created_at=now,
            last_seen_at=now,
        )
        db.session.add(user)
        try:
            db.session.commit()
        except sa.exc.IntegrityError:
            # Two first requests raced; the other one created the row.
            db.session.rollback()
            user = db.session.get(User, identity.uid)
            assert user is not None
        return user
    changed = False
    for attr, value in (
        ("email", identity.email),
        ("display_name", identity.name),
        ("role", identity.role),
    ):
        if value is not None and getattr(user, attr) != value:
            setattr(user, attr, value)
            changed = True
    if changed or now - user.last_seen_at > LAST_SEEN_RESOLUTION:
        user.last_seen_at = now
    # End the read transaction too: the connection goes back to the pool before the real work.
    db.session.commit()
    return user


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

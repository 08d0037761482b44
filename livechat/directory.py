"""The team's identity directory: where people's accounts live and where a role is granted.

``FirebaseDirectory`` manages Firebase Auth users through firebase-admin (find or create a user
by e-mail, set the ``role`` custom claim keeping the others, revoke refresh tokens, write an
invitation link). Managing users needs a service account (GOOGLE_APPLICATION_CREDENTIALS) or,
in tests, the Auth emulator (FIREBASE_AUTH_EMULATOR_HOST); verifying tokens needs neither.

``LocalDirectory`` (AUTH_MODE=dev) keeps everything offline: a person's uid is the one already
stored for that e-mail, or ``dev-`` plus a hash of it; there are no claims to set (dev tokens
carry the role they are issued with, and services/team.py refuses a staff token the team record
does not back), and the "invitation" is a dev token for the new member.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from typing import Any, Protocol

import sqlalchemy as sa
from flask import Flask

from livechat import runtime
from livechat.errors import InvalidInput, NotFound, Unavailable
from livechat.extensions import db
from livechat.models import Role, TeamMember, User

log = logging.getLogger(__name__)

ROLE_CLAIM = "role"
CREDENTIALS_HINT = (
    "Managing Firebase users needs a service account: set GOOGLE_APPLICATION_CREDENTIALS "
    "(or FIREBASE_AUTH_EMULATOR_HOST to use the Auth emulator)."
)


@dataclass(frozen=True)
class Account:
    """A person's account in the directory; ``created``: it did not exist before."""

    uid: str
    email: str | None
    name: str | None
    created: bool = False


class Directory(Protocol):
    mode: str

    def find_or_create(self, email: str, name: str | None) -> Account:
        """The account with this e-mail address, created (no password yet) if there is none."""

    def set_role(self, uid: str, role: Role | None) -> None:
        """Grant ``role`` (None: take the staff role away), keeping the account's other claims."""

    def set_name(self, uid: str, name: str) -> None:
        """Change the account's display name."""

    def revoke_sessions(self, uid: str) -> None:
        """End the account's sign-ins: its refresh tokens stop working."""

    def invitation(self, account: Account, role: Role) -> str | None:
        """What the admin sends the new member so they can sign in (a link or a token)."""


class FirebaseDirectory:
    mode = "firebase"

    def __init__(self, app: Any, *, has_credentials: bool) -> None:
        from firebase_admin import auth, exceptions

        self._app = app
        self._auth = auth
        self._errors = exceptions
        self._has_credentials = has_credentials

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if not (self._has_credentials or os.environ.get("FIREBASE_AUTH_EMULATOR_HOST")):
            raise Unavailable(CREDENTIALS_HINT, code="directory_unavailable")
        try:
            return fn(*args, app=self._app, **kwargs)
        except self._auth.UserNotFoundError as exc:
            raise NotFound("No such Firebase user.", code="agent_not_found") from exc
        except ValueError as exc:  # firebase-admin validates arguments (e-mail, name) itself
            raise InvalidInput(f"Firebase refused the value: {exc}") from exc
        except self._errors.FirebaseError as exc:
            log.warning("Firebase user management failed: %s: %s", type(exc).__name__, exc)
            hint = "" if self._has_credentials else " " + CREDENTIALS_HINT
            raise Unavailable(
                f"Firebase refused or could not be reached ({exc.code}).{hint}",
                code="directory_unavailable",
            ) from exc
        except Exception as exc:  # google.auth: no or bad credentials, token refresh failed
            if type(exc).__module__.startswith("google.auth"):
                raise Unavailable(
                    f"Firebase credentials failed ({type(exc).__name__}). {CREDENTIALS_HINT}",
                    code="directory_unavailable",
                ) from exc
            raise

    def find_or_create(self, email: str, name: str | None) -> Account:
        auth = self._auth
        try:
            user = self._call(auth.get_user_by_email, email)
            created = False
        except NotFound:
            kwargs: dict[str, Any] = {"email": email, "email_verified": False}
            if name:
                kwargs["display_name"] = name
            user = self._call(auth.create_user, **kwargs)
            created = True
        return Account(user.uid, user.email, user.display_name, created)

    def set_role(self, uid: str, role: Role | None) -> None:
        user = self._call(self._auth.get_user, uid)
        claims = dict(user.custom_claims or {})
        if role is None:
            claims.pop(ROLE_CLAIM, None)
        else:
            claims[ROLE_CLAIM] = role.value
        # None: no claims left at all (firebase-admin stores an empty object for it).
        self._call(self._auth.set_custom_user_claims, uid, claims or None)

    def set_name(self, uid: str, name: str) -> None:
        self._call(self._auth.update_user, uid, display_name=name)

    def revoke_sessions(self, uid: str) -> None:
        self._call(self._auth.revoke_refresh_tokens, uid)

    def invitation(self, account: Account, role: Role) -> str | None:
        if not account.email:
            return None
        # A password-reset link sets the first password of an account created without one.
        link: str = self._call(self._auth.generate_password_reset_link, account.email)
        return link


class LocalDirectory:
    """AUTH_MODE=dev: accounts are the users (and team) table's rows; nothing leaves the box."""

    mode = "dev"

    def __init__(self, ttl: int) -> None:
        self._ttl = ttl

    def find_or_create(self, email: str, name: str | None) -> Account:
        for model, uid_col, name_col in (
            (TeamMember, TeamMember.uid, TeamMember.display_name),
            (User, User.id, User.display_name),
        ):
            row = db.session.execute(
                sa.select(uid_col, name_col)
                .where(sa.func.lower(model.email) == email.lower())
                .order_by(uid_col)
                .limit(1)
            ).first()
            if row is not None:
                return Account(row[0], email, row[1], False)
        digest = hashlib.sha256(email.lower().encode()).hexdigest()[:24]
        return Account(f"dev-{digest}", email, name, True)

    def set_role(self, uid: str, role: Role | None) -> None:
        """Nothing to store: dev tokens name their role, the team record decides (team.py)."""

    def set_name(self, uid: str, name: str) -> None:
        """Nothing to store beyond the team record."""

    def revoke_sessions(self, uid: str) -> None:
        """Nothing to revoke: the team record refuses the old tokens (team.py)."""

    def invitation(self, account: Account, role: Role) -> str | None:
        from livechat.auth import DevTokenVerifier

        verifier = runtime.verifier()
        if not isinstance(verifier, DevTokenVerifier):  # pragma: no cover - built together
            return None
        return verifier.issue(
            account.uid, role=role.value, email=account.email, name=account.name, ttl=self._ttl
        )


def build_directory(app: Flask) -> Directory:
    cfg = app.config
    if cfg["AUTH_MODE"] == "firebase":
        verifier = runtime.verifier(app)
        return FirebaseDirectory(
            verifier.app,  # type: ignore[attr-defined]
            has_credentials=bool(cfg.get("GOOGLE_APPLICATION_CREDENTIALS")),
        )
    return LocalDirectory(int(cfg["DEV_TOKEN_TTL"]))

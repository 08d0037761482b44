"""Token verification: Firebase ID tokens (firebase-admin) or locally signed dev tokens.

Both modes produce the same claims; everything after verification shares one code path
(identity_from_claims -> users.record_contact). Tokens are never logged.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from typing import Any, Protocol

import jwt
from flask import Flask

from livechat import runtime
from livechat.errors import Forbidden, Unauthorized, Unavailable
from livechat.models import AI_SENDER_ID, SYSTEM_SENDER_ID, Role
from livechat.schemas.base import has_unstorable_text
from livechat.services import team
from livechat.services.users import Identity, record_contact

log = logging.getLogger(__name__)

DEV_ISSUER = "livechat-dev"
DEV_AUDIENCE = "livechat"
RESERVED_UIDS = frozenset({AI_SENDER_ID, SYSTEM_SENDER_ID})
MAX_TOKEN_LENGTH = 8192
# The users table's column sizes: longer names are cut, longer e-mail addresses dropped.
MAX_NAME_LENGTH = 200
MAX_EMAIL_LENGTH = 320
# Tolerate a few seconds between our clock and Google's (fresh tokens have iat == now).
CLOCK_SKEW_SECONDS = 10


# Verified tokens remembered (by a hash of the token, until its exp), per verifier.
VERIFIED_CACHE_SIZE = 10_000
# The claims identity_from_claims reads, the expiry among them.
IDENTITY_CLAIMS = ("uid", "sub", "role", "email", "name", "exp")


def token_expiry(claims: dict[str, Any]) -> float | None:
    """The token's ``exp`` (seconds since the epoch) when it is a number, else None: a token
    without one is neither remembered nor given an end by its socket."""
    exp = claims.get("exp")
    return float(exp) if isinstance(exp, int | float) and not isinstance(exp, bool) else None


def identity_claims(claims: dict[str, Any]) -> dict[str, Any]:
    """What a verifier returns and remembers of a verified token: the claims an Identity is
    made of. A Firebase ID token carries much more (issuer, audience, sign-in provider and
    identities), and a remembered token is kept for each signed-in user."""
    return {key: claims[key] for key in IDENTITY_CLAIMS if key in claims}


class VerifiedTokens:
    """A bounded LRU of verified tokens' claims, keyed by the token's SHA-256, each kept until
    its ``exp``: a socket's reconnects and a page's REST calls reuse one token, and its
    signature check is the same every time. Only successes are kept; what a token grants is
    still checked on every sign-in (team.check_staff_token), so a team removal bites at once."""

    def __init__(self, size: int = VERIFIED_CACHE_SIZE) -> None:
        self._size = size
        self._claims: OrderedDict[bytes, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _key(token: str) -> bytes:
        return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()

    def get(self, token: str) -> dict[str, Any] | None:
        key = self._key(token)
        with self._lock:
            claims = self._claims.get(key)
            if claims is None:
                return None
            if not time.time() < claims["exp"]:
                del self._claims[key]
                return None
            self._claims.move_to_end(key)
        return dict(claims)

    def put(self, token: str, claims: dict[str, Any]) -> None:
        if token_expiry(claims) is None:
            return
        key = self._key(token)
        with self._lock:
            self._claims[key] = identity_claims(claims)
            self._claims.move_to_end(key)
            while len(self._claims) > self._size:
                self._claims.popitem(last=False)


class TokenVerifier(Protocol):
    def verify(self, token: str) -> dict[str, Any]:
        """Return the token's claims (with ``uid``) or raise Unauthorized/Unavailable."""


class DevTokenVerifier:
    """HS256 tokens signed with SECRET_KEY. For local development and offline tests only."""

    mode = "dev"

    def __init__(self, secret_key: str) -> None:
        self._key = secret_key
        self._verified = VerifiedTokens()

    def issue(
        self,
        uid: str,
        *,
        role: str = "user",
        email: str | None = None,
        name: str | None = None,
        ttl: int = 3600,
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": DEV_ISSUER,
            "aud": DEV_AUDIENCE,
            "sub": uid,
            "iat": now,
            "exp": now + ttl,
            "role": role,
        }
        if email:
            claims["email"] = email
        if name:
            claims["name"] = name
        return jwt.encode(claims, self._key, algorithm="HS256")

    def verify(self, token: str) -> dict[str, Any]:
        cached = self._verified.get(token)
        if cached is not None:
            return cached
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=["HS256"],
                audience=DEV_AUDIENCE,
                issuer=DEV_ISSUER,
                options={"require": ["exp", "iat", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("The token has expired.", code="token_expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized("The token is not valid.", code="invalid_token") from exc
        claims["uid"] = claims["sub"]
        claims = identity_claims(claims)
        self._verified.put(token, claims)
        return claims


class FirebaseTokenVerifier:
    """Firebase ID tokens, verified by firebase-admin (signature, expiry, audience, issuer)."""

    mode = "firebase"

    def __init__(
        self,
        project_id: str,
        *,
        credentials_path: str | None = None,
        check_revoked: bool = False,
        app_name: str = "livechat",
    ) -> None:
        import firebase_admin
        from firebase_admin import auth, credentials, exceptions

        self._auth = auth
        self._firebase_error = exceptions.FirebaseError
        if credentials_path:
            cred: Any = credentials.Certificate(credentials_path)
        else:
            # Verifying ID tokens needs only Google's public certificates, not a service account;
            # an explicit credential stops the SDK from probing for Google default credentials.
            cred = _anonymous_credential()
        try:
            self.app = firebase_admin.get_app(app_name)
        except ValueError:
            self.app = firebase_admin.initialize_app(cred, {"projectId": project_id}, name=app_name)
        self.check_revoked = check_revoked
        # Not with check_revoked: a revoked or disabled account must be refused at once.
        self._verified = None if check_revoked else VerifiedTokens()

    def verify(self, token: str) -> dict[str, Any]:
        cached = self._verified.get(token) if self._verified is not None else None
        if cached is not None:
            return cached
        claims = identity_claims(self._verify(token))
        if self._verified is not None:
            self._verified.put(token, claims)
        return claims

    def _verify(self, token: str) -> dict[str, Any]:
        auth = self._auth
        try:
            return auth.verify_id_token(
                token,
                app=self.app,
                check_revoked=self.check_revoked,
                clock_skew_seconds=CLOCK_SKEW_SECONDS,
            )
        except auth.ExpiredIdTokenError as exc:
            raise Unauthorized("The token has expired.", code="token_expired") from exc
        except auth.RevokedIdTokenError as exc:
            raise Unauthorized("The token has been revoked.", code="token_revoked") from exc
        except auth.UserDisabledError as exc:
            raise Unauthorized("This account is disabled.", code="user_disabled") from exc
        except auth.CertificateFetchError as exc:
            log.warning("could not fetch Firebase public certificates: %s", type(exc).__name__)
            raise Unavailable(
                "Sign-in cannot be checked right now.", code="auth_unavailable"
            ) from exc
        except auth.UserNotFoundError as exc:
            # Revocation check: the account was deleted while its token is still unexpired.
            raise Unauthorized("This account no longer exists.", code="user_not_found") from exc
        except (auth.InvalidIdTokenError, ValueError) as exc:
            raise Unauthorized("The token is not valid.", code="invalid_token") from exc
        except self._firebase_error as exc:
            # The revocation check could not reach Firebase: not the caller's fault.
            log.warning("Firebase user lookup failed: %s", type(exc).__name__)
            raise Unavailable(
                "Sign-in cannot be checked right now.", code="auth_unavailable"
            ) from exc


def _anonymous_credential() -> Any:
    from firebase_admin import credentials
    from google.auth.credentials import AnonymousCredentials

    class AnonymousCredential(credentials.Base):
        def get_credential(self) -> AnonymousCredentials:
            return AnonymousCredentials()

    return AnonymousCredential()


def build_verifier(app: Flask) -> TokenVerifier:
    cfg = app.config
    if cfg["AUTH_MODE"] == "firebase":
        return FirebaseTokenVerifier(
            cfg["FIREBASE_PROJECT_ID"],
            credentials_path=cfg.get("GOOGLE_APPLICATION_CREDENTIALS"),
            check_revoked=cfg.get("FIREBASE_CHECK_REVOKED", False),
            app_name=f"livechat-{cfg['FIREBASE_PROJECT_ID']}",
        )
    return DevTokenVerifier(cfg["SECRET_KEY"])


def identity_from_claims(claims: dict[str, Any]) -> Identity:
    """Map verified claims to an Identity; the role comes from the custom claim ``role``."""
    uid = claims.get("uid") or claims.get("sub")
    if (
        not isinstance(uid, str)
        or not uid
        or len(uid) > 128
        or uid in RESERVED_UIDS
        or has_unstorable_text(uid)
    ):
        raise Unauthorized("The token names no valid user.", code="invalid_token")
    try:
        role = Role(claims.get("role") or Role.USER)
    except ValueError:
        role = Role.USER
    email = _text_claim(claims, "email")
    if email is not None and len(email) > MAX_EMAIL_LENGTH:
        email = None  # cut short it would be someone else's address
    name = _text_claim(claims, "name")
    if name is not None:
        name = name[:MAX_NAME_LENGTH]
    return Identity(uid=uid, role=role, email=email, name=name, expires_at=token_expiry(claims))


def _text_claim(claims: dict[str, Any], key: str) -> str | None:
    """A profile claim the users table can store (a NUL or lone surrogate cannot be), or None."""
    value = claims.get(key)
    return value if isinstance(value, str) and not has_unstorable_text(value) else None


def bearer_token(header: str | None) -> str | None:
    """The token from an ``Authorization: Bearer <token>`` header, if there is one."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticate(token: str | None) -> Identity:
    """Verify ``token``, upsert the user it names, and return who the caller is.

    The Identity is a plain snapshot (the token's claims, which the user row now matches), so a
    request needs no further query to know its caller.
    """
    identity = verify_identity(token)
    record_contact(identity)
    return identity


def verify_identity(token: str | None) -> Identity:
    """``authenticate`` without the upsert, for a caller that records the contact itself in
    its own first statement (a chat socket's connect: ``sessions.sign_in``)."""
    if not token:
        raise Unauthorized("Sign in: send Authorization: Bearer <token>.", code="unauthorized")
    if len(token) > MAX_TOKEN_LENGTH:
        raise Unauthorized("The token is not valid.", code="invalid_token")
    identity = identity_from_claims(runtime.verifier().verify(token))
    team.check_staff_token(identity)  # a removed or re-roled member's old token stops here
    return identity


def reauthenticate(current: Identity, token: str) -> Identity:
    """A signed-in caller's fresh token (the Firebase SDK refreshes it hourly): verified like a
    first sign-in, for the same user only, and the user row kept in step with its claims.

    Who the new identity may be on a given connection (a demoted agent) is the caller's rule.
    """
    if len(token) > MAX_TOKEN_LENGTH:
        raise Unauthorized("The token is not valid.", code="invalid_token")
    identity = identity_from_claims(runtime.verifier().verify(token))
    if identity.uid != current.uid:
        # Checked before the user row is touched: a token of someone else changes nothing.
        raise Forbidden(
            "The new token is for another user: sign out and sign in again.", code="uid_mismatch"
        )
    record_contact(identity)
    return identity

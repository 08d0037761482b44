"""Namespace plumbing: connect-time auth, colon event names, one ack/error shape for every event."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import request
from flask_socketio import ConnectionRefusedError, Namespace
from marshmallow import Schema, ValidationError

from livechat import ratelimit
from livechat.auth import authenticate, bearer_token, reauthenticate, verify_identity
from livechat.errors import DomainError, Forbidden, InvalidInput, Unauthorized, outage_error
from livechat.extensions import db
from livechat.realtime import push
from livechat.schemas.realtime import AuthRefreshSchema
from livechat.services.users import Identity

log = logging.getLogger(__name__)


@dataclass
class Client:
    """What this process knows about one connected socket."""

    identity: Identity
    sessions: set[str] = field(default_factory=set)
    # Chats this socket was shown as the user's own (services/access.access_foreseen).
    seen: set[str] = field(default_factory=set)

    @property
    def expires_at(self) -> float | None:
        return self.identity.expires_at

    def expired(self, now: float | None = None) -> bool:
        """The token the socket signed in with has run out: the socket's rights end with it."""
        exp = self.identity.expires_at
        return exp is not None and (now or time.time()) >= exp


def connect_identity(auth: Any, *, record: bool = True) -> Identity:
    """Authenticate a connecting socket from ``auth.token`` or an Authorization header;
    ``record=False`` leaves the user's upsert to the caller (``sessions.sign_in``)."""
    try:
        ratelimit.check("connect", request.remote_addr or "unknown")
    except DomainError as exc:
        raise ConnectionRefusedError(
            "rate_limited", {"code": "rate_limited", "message": exc.message}
        ) from None
    token = auth.get("token") if isinstance(auth, dict) else None
    if not isinstance(token, str) or not token:
        token = bearer_token(request.headers.get("Authorization"))
    try:
        with refused_while_down():
            return authenticate(token) if record else verify_identity(token)
    except DomainError as exc:
        db.session.rollback()
        raise ConnectionRefusedError(
            "unauthorized", {"code": "unauthorized", "reason": exc.code, "message": exc.message}
        ) from None


@contextmanager
def refused_while_down() -> Iterator[None]:
    """Connect-time database work (users are synced, the open chat is read): with the database
    or Redis briefly down, refuse with a code the client can act on (connect again shortly)
    instead of leaving the handshake unanswered."""
    try:
        yield
    except Exception as exc:
        outage = outage_error(exc)
        if outage is None:
            raise
        log.warning("socket connect refused, dependency down: %r", exc)
        try:
            db.session.rollback()
        except Exception:
            log.debug("rollback failed", exc_info=True)
        raise ConnectionRefusedError("unavailable", outage.to_dict()) from None


def event_handler(schema: Schema | None = None) -> Callable[..., Any]:
    """Validate the payload, call the handler, and answer {ok: true, ...} or {ok: false, error}.

    A refused event also emits ``error`` {code, message, event} to the sender. Nothing a
    client sends can raise out of here: the connection and other clients are unaffected.
    """

    def decorator(fn: Callable[..., dict[str, Any] | None]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(self: EventNamespace, *args: Any) -> dict[str, Any]:
            event = request.event["message"]  # type: ignore[attr-defined]
            try:
                client = self.client()
                if client.expired():
                    self.end_expired(request.sid)  # type: ignore[attr-defined]
                    raise Unauthorized("Your sign-in has expired.", code="token_expired")
                payload: Any = args[0] if args else None  # any JSON: the schema checks it
                data = schema.load(payload) if schema is not None else payload
                return {"ok": True, **(fn(self, client, data) or {})}
            except ValidationError as exc:
                error: DomainError = InvalidInput("The payload is not valid.", details=exc.messages)
            except DomainError as exc:
                error = exc
            except Exception as exc:
                outage = outage_error(exc)
                if outage is None:
                    log.exception("socket event %s failed", event)
                    error = DomainError("Something went wrong on our side.", code="internal_error")
                else:
                    # Database or Redis briefly down: the client resends (same clientMessageId).
                    log.warning("socket event %s refused, dependency down: %r", event, exc)
                    error = outage
            db.session.rollback()
            push.error(request.sid, error, event, self.namespace)  # type: ignore[attr-defined]
            return {"ok": False, "error": error.to_dict()}

        return wrapper

    return decorator


class EventNamespace(Namespace):
    """Routes ``a:b`` events to ``on_a_b`` methods; unknown events get an error, not silence."""

    def __init__(self, namespace: str) -> None:
        super().__init__(namespace)
        self.clients: dict[str, Client] = {}

    def send_once_connected(self, sid: str, event: str, payload: Any) -> None:
        """From the connect handler: send ``event`` right after the socket's CONNECT packet.

        python-socketio sends what a connect handler emits *before* CONNECT (the handler decides
        whether to accept), which only some clients buffer; see realtime/handshake.py.
        """
        self.socketio.server.manager.send_once_connected(sid, self.namespace, event, payload)

    def __getattr__(self, name: str) -> Any:
        # Flask-SocketIO looks handlers up as "on_" + event: map "on_join:session" explicitly
        # to on_join_session, so handlers keep the event's real name in request.event.
        if name.startswith("on_") and ":" in name:
            return object.__getattribute__(self, name.replace(":", "_"))
        raise AttributeError(name)

    def trigger_event(self, event: str, *args: Any) -> Any:
        reserved = event in ("connect", "disconnect")
        if (reserved and self._sent_by_client(*args[:1])) or not (
            reserved or (isinstance(event, str) and ":" in event and hasattr(self, f"on_{event}"))
        ):
            # Unknown, or a client emitting a reserved name (that is not a real (dis)connect).
            return super().trigger_event("unknown_event", args[0], str(event)[:100])
        return super().trigger_event(event, *args)

    def _sent_by_client(self, sid: Any = None) -> bool:
        manager = self.socketio.server.manager
        return isinstance(sid, str) and manager.is_connected(sid, self.namespace)

    def end_expired(self, sid: str) -> None:
        """Tell the socket why, then disconnect it; the client reconnects with a fresh token."""
        self._end(
            sid,
            Unauthorized(
                "Your sign-in has expired; reconnect with a new token.", code="token_expired"
            ),
        )

    def _end(self, sid: str, why: DomainError) -> None:
        """Send the socket ``error`` with the reason, then disconnect it."""
        push.error(sid, why, None, self.namespace)
        self.socketio.server.disconnect(sid, namespace=self.namespace)

    def connected_uids(self) -> set[str]:
        return {c.identity.uid for c in list(self.clients.values())}

    def end_erased(self, erased: set[str]) -> int:
        """Disconnect the sockets of customers erased since they signed in (data rights),
        telling them why; a new sign-in with that uid starts a new, empty customer."""
        sids = [sid for sid, c in list(self.clients.items()) if c.identity.uid in erased]
        why = Unauthorized(
            "This account's data was erased; sign in again to start afresh.", code="account_erased"
        )
        for sid in sids:
            self._end(sid, why)
        return len(sids)

    def staff_claims(self) -> dict[str, Any]:
        """uid -> the role each signed-in staff socket's token claims."""
        return {
            c.identity.uid: c.identity.role
            for c in list(self.clients.values())
            if c.identity.role.is_staff
        }

    def end_refused(self, refused: dict[str, DomainError]) -> int:
        """Disconnect the sockets of these users, each told why (staff the team no longer backs)."""
        sids = [
            (sid, refused[c.identity.uid])
            for sid, c in list(self.clients.items())
            if c.identity.uid in refused
        ]
        for sid, why in sids:
            self._end(sid, why)
        return len(sids)

    def sweep_expired(self) -> int:
        """Disconnect every socket whose token has expired (run periodically)."""
        now = time.time()
        expired = [sid for sid, c in list(self.clients.items()) if c.expired(now)]
        for sid in expired:
            self.end_expired(sid)
        return len(expired)

    def refusal(self, identity: Identity) -> DomainError | None:
        """Why this namespace will not serve ``identity`` (None: it will); asked at connect and
        again at every auth:refresh, so a demoted agent loses the agents' namespace."""
        return None

    @event_handler(AuthRefreshSchema())
    def on_auth_refresh(self, client: Client, data: dict[str, Any]) -> dict[str, Any]:
        """auth:refresh {token}: the same user's fresh token replaces the socket's, so its rights
        run to the new expiry with no reconnect (rooms, open chats and queued sends stay)."""
        identity = reauthenticate(client.identity, data["token"])
        why = self.refusal(identity)
        if why is None and client.identity.role.is_staff and not identity.role.is_staff:
            # Its rooms (a chat's staff room carries internal notes) were joined as staff.
            why = Forbidden("Your account no longer has the agent or admin role.")
        if why is not None:
            self._end(request.sid, why)  # type: ignore[attr-defined]
            raise why
        client.identity = identity
        exp = client.expires_at
        return {
            "expiresAt": datetime.fromtimestamp(exp, UTC).isoformat() if exp is not None else None
        }

    def client(self) -> Client:
        client = self.clients.get(request.sid)  # type: ignore[attr-defined]
        if client is None:
            raise Unauthorized("This socket is not signed in.", code="unauthorized")
        return client

    def on_unknown_event(self, name: str) -> dict[str, Any]:
        error = DomainError(f"Unknown event {name!r}.", code="unknown_event")
        push.error(request.sid, error, name, self.namespace)  # type: ignore[attr-defined]
        return {"ok": False, "error": error.to_dict()}

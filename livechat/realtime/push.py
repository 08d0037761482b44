"""The one module that emits Socket.IO events (listeners, namespaces and the AI call it)."""

from __future__ import annotations

from typing import Any

from flask import current_app

from livechat.errors import DomainError
from livechat.realtime.rooms import (
    AGENTS_ROOM,
    CHAT_NAMESPACE,
    SUPPORT_NAMESPACE,
    session_room,
    session_staff_room,
    user_room,
)


def _emit(event: str, payload: Any, **kwargs: Any) -> None:
    current_app.extensions["socketio"].emit(event, payload, **kwargs)


def to_session(
    session_id: str,
    event: str,
    payload: dict[str, Any],
    *,
    owner_id: str | None = None,
    skip_sid: str | list[str] | None = None,
) -> None:
    """Everyone in the session's room (and, with ``owner_id``, the customer's other sockets)."""
    rooms = [session_room(session_id)]
    if owner_id:
        rooms.append(user_room(owner_id))  # python-socketio sends once per socket across rooms
    _emit(event, payload, to=rooms, skip_sid=skip_sid, namespace=CHAT_NAMESPACE)


def to_session_staff(session_id: str, event: str, payload: dict[str, Any]) -> None:
    """The agents' and admins' sockets that joined the session (any process); not its customer."""
    _emit(event, payload, to=session_staff_room(session_id), namespace=CHAT_NAMESPACE)


def to_user(user_id: str, event: str, payload: dict[str, Any]) -> None:
    """Every socket of one user on the chat namespace (any process)."""
    _emit(event, payload, to=user_room(user_id), namespace=CHAT_NAMESPACE)


def to_socket(sid: str, event: str, payload: Any, namespace: str = CHAT_NAMESPACE) -> None:
    _emit(event, payload, to=sid, namespace=namespace)


def to_agents(event: str, payload: dict[str, Any]) -> None:
    _emit(event, payload, to=AGENTS_ROOM, namespace=SUPPORT_NAMESPACE)


def to_staff_member(user_id: str, event: str, payload: dict[str, Any]) -> None:
    """Every ``/support`` socket of one agent or admin (any process), nobody else's."""
    _emit(event, payload, to=user_room(user_id), namespace=SUPPORT_NAMESPACE)


def error(sid: str, exc: DomainError, event: str | None, namespace: str) -> None:
    to_socket(sid, "error", {**exc.to_dict(), "event": event}, namespace)


def end_user_sockets(user_id: str, error: dict[str, Any]) -> int:
    """End every open socket of ``user_id``, on both namespaces and on every process, each told
    why first (``error``: {code, message}); returns how many this process held. Not an emit: the
    sockets are closed, which an event alone would not do."""
    manager = current_app.extensions["socketio"].server.manager
    ended: int = manager.end_user(user_id, user_room(user_id), {**error, "event": None})
    return ended


# ---- the assistant's stream (docs/protocol.md: ai:*), to everyone in the session's room -------


def ai_processing(session_id: str, stream_id: str) -> None:
    """A reply has started: a stream with this id follows."""
    to_session(session_id, "ai:processing", {"sessionId": session_id, "streamId": stream_id})


def ai_delta(session_id: str, stream_id: str, delta: str) -> None:
    """The next piece of the reply's text."""
    payload = {"sessionId": session_id, "streamId": stream_id, "delta": delta}
    to_session(session_id, "ai:delta", payload)


def ai_complete(session_id: str, stream_id: str, message_id: str) -> None:
    """The reply is stored (its message:new went out first) as ``message_id``."""
    payload = {"sessionId": session_id, "messageId": message_id, "streamId": stream_id}
    to_session(session_id, "ai:complete", payload)


def ai_cancelled(session_id: str, stream_id: str, reason: str) -> None:
    """The stream stops and nothing is stored (superseded, a human took over, ...)."""
    payload = {"sessionId": session_id, "streamId": stream_id, "reason": reason}
    to_session(session_id, "ai:cancelled", payload)


def ai_error(session_id: str, stream_id: str | None, code: str, message: str) -> None:
    """The assistant failed (a person takes over); ``stream_id`` None if none had started."""
    payload = {"sessionId": session_id, "streamId": stream_id, "code": code, "message": message}
    to_session(session_id, "ai:error", payload)

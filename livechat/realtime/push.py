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


def to_socket(sid: str, event: str, payload: Any, namespace: str = CHAT_NAMESPACE) -> None:
    _emit(event, payload, to=sid, namespace=namespace)


def to_agents(event: str, payload: dict[str, Any]) -> None:
    _emit(event, payload, to=AGENTS_ROOM, namespace=SUPPORT_NAMESPACE)


def error(sid: str, exc: DomainError, event: str | None, namespace: str) -> None:
    to_socket(sid, "error", {**exc.to_dict(), "event": event}, namespace)

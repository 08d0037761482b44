"""Socket.IO: the chat namespace "/", the agents' namespace "/support", and their helpers."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_socketio import SocketIO
from socketio.packet import Packet

from livechat.realtime.relay import RelayManager


class JsonPacket(Packet):
    """Our events carry JSON only (docs/protocol.md): skip python-socketio's recursive scan of
    every outgoing payload for bytes, which cost ~10 % of a busy server's CPU. Binary packets a
    client sends are still decoded (and refused by the schemas like any other bad payload)."""

    uses_binary_events = False


def relay_in_batches(app: Flask, seconds: float) -> RelayManager | None:
    """Publish this process's events to the other processes in batches of ``seconds``
    (assistant processes, which hold no sockets); the manager, or None without Redis."""
    manager = app.extensions["socketio"].server.manager
    if not isinstance(manager, RelayManager):
        return None
    manager.batch_seconds = seconds
    return manager


def init_realtime(app: Flask) -> SocketIO:
    """Create this app's Socket.IO server, namespaces, presence, typing and queue broadcaster."""
    from livechat.listeners import realtime as realtime_listeners
    from livechat.realtime import push
    from livechat.realtime.chat import ChatNamespace
    from livechat.realtime.presence import build_presence
    from livechat.realtime.queue import QueueBroadcaster
    from livechat.realtime.rooms import CHAT_NAMESPACE, SUPPORT_NAMESPACE
    from livechat.realtime.support import SupportNamespace
    from livechat.realtime.sweeper import TokenSweeper
    from livechat.realtime.typing import TypingTracker

    cfg = app.config
    queue: dict[str, Any] = {}
    if cfg.get("REDIS_URL"):
        # Rooms shared with the other processes through Redis (batches: see relay.py).
        queue["client_manager"] = RelayManager(
            cfg["REDIS_URL"], channel=f"{cfg['REDIS_CHANNEL']}-socketio"
        )
    socketio = SocketIO(
        app,
        path=cfg["SOCKETIO_PATH"],
        # None = same origin only. An empty list would switch engine.io's origin check off.
        cors_allowed_origins=cfg["CORS_ORIGINS"] or None,
        **queue,
        async_mode=cfg.get("SOCKETIO_ASYNC_MODE", "gevent"),
        # One socket's events run in order (a customer's two sends keep their order); other
        # sockets are unaffected, each has its own greenlet.
        async_handlers=False,
        max_http_buffer_size=cfg["MAX_SOCKET_MESSAGE_BYTES"],
        manage_session=False,
        serializer=JsonPacket,
        logger=False,
        engineio_logger=False,
    )
    namespaces = [ChatNamespace(CHAT_NAMESPACE), SupportNamespace(SUPPORT_NAMESPACE)]
    for namespace in namespaces:
        socketio.on_namespace(namespace)
    app.extensions["livechat.token_sweeper"] = TokenSweeper(
        app, namespaces, float(cfg.get("TOKEN_SWEEP_SECONDS", 15))
    )

    presence = build_presence(cfg.get("REDIS_URL"), cfg["REDIS_CHANNEL"])

    def emit_typing(session_id: str, event: str, payload: dict[str, Any], skip: str | None) -> None:
        with app.app_context():
            push.to_session(session_id, event, payload, skip_sid=skip)

    app.extensions["livechat.presence"] = presence
    app.extensions["livechat.typing"] = TypingTracker(cfg["TYPING_TIMEOUT"], emit_typing)
    app.extensions["livechat.queue"] = QueueBroadcaster(app, presence)
    realtime_listeners.register(app.extensions["livechat.bus"])
    return socketio

"""Socket.IO: the chat namespace "/", the agents' namespace "/support", and their helpers."""

from __future__ import annotations

import logging
from typing import Any

import socketio as socketio_lib
from flask import Flask
from flask_socketio import SocketIO
from socketio import packet as sio_packet
from socketio.packet import Packet

from livechat import runtime
from livechat.realtime.handshake import HandshakeManager, write_event
from livechat.realtime.relay import RelayManager
from livechat.realtime.rooms import session_room

log = logging.getLogger(__name__)

# socket.io-parser (the Node server's) refuses packets announcing more attachments than this.
MAX_ATTACHMENTS = 10


class MalformedPacket(ValueError):
    """A Socket.IO packet no conforming client sends."""


class JsonPacket(Packet):
    """Our events carry JSON only (docs/protocol.md): skip python-socketio's recursive scan of
    every outgoing payload for bytes, which cost ~10 % of a busy server's CPU. Binary packets a
    client sends are still decoded (and refused by the schemas like any other bad payload), with
    at most MAX_ATTACHMENTS attachments: python-socketio would otherwise take any number of the
    client's later frames as attachments and keep them until it disconnects."""

    uses_binary_events = False

    def decode(self, encoded_packet: Any) -> int:
        try:
            count = int(super().decode(encoded_packet))
        except Exception as exc:  # broken JSON, nesting too deep, bytes where text belongs, ...
            raise MalformedPacket(type(exc).__name__) from exc
        if count > MAX_ATTACHMENTS:
            raise MalformedPacket(f"{count} binary attachments announced")
        # The payload shapes socket.io-parser accepts; python-socketio indexes into them as is.
        kind, data = self.packet_type, self.data
        if kind in (sio_packet.EVENT, sio_packet.BINARY_EVENT):
            if not (isinstance(data, list) and data and isinstance(data[0], str)):
                raise MalformedPacket("an event must be a list starting with its name")
        elif kind in (sio_packet.ACK, sio_packet.BINARY_ACK) and not isinstance(data, list):
            raise MalformedPacket("an ack must be a list")
        # CONNECT data that is not an object is left to the connect handler: connect_error.
        return count


def guard_packets(server: socketio_lib.Server) -> None:
    """Close the connection of a client that breaks the Socket.IO protocol, as the Node server
    does, after an ``error`` event with code ``bad_packet`` and with one warning line.
    python-socketio itself logs a traceback for every malformed packet and keeps the connection
    (a client announcing binary attachments then stops being answered, as its next frames are
    taken for the attachments). Our own handlers never raise (see realtime/base.py), so what
    reaches here is the library refusing the packet."""
    handle = server._handle_eio_message
    pending = server._binary_packet  # eio sid -> a binary packet waiting for its attachments
    notice = {
        "code": "bad_packet",
        "message": "The connection sent a malformed Socket.IO packet and was closed.",
        "event": None,
    }

    def refuse(eio_sid: str) -> None:
        for namespace in server.manager.get_namespaces():
            if server.manager.sid_from_eio_sid(eio_sid, namespace):
                # Straight to engine.io's queue, which a close flushes first.
                write_event(server, eio_sid, namespace, "error", notice)
        server.eio.disconnect(eio_sid)

    def on_message(eio_sid: str, data: Any) -> None:
        try:
            if eio_sid in pending and not isinstance(data, bytes):
                raise MalformedPacket("text frame where a binary attachment was due")
            handle(eio_sid, data)
        except (ValueError, RecursionError, LookupError, TypeError) as exc:
            pending.pop(eio_sid, None)
            log.warning(
                "closing a socket that sent a malformed Socket.IO packet (%s: %s)",
                type(exc).__name__,
                exc,
                extra={"eioSid": eio_sid},
            )
            refuse(eio_sid)

    server.eio.on("message", on_message)


class _EngineIOGarbageGuard:
    """Below Socket.IO, engine.io's websocket loop lets a frame it cannot decode (``x``) escape
    to the WSGI server, which logs a traceback quoting the frame's first character. The socket
    is closed either way (engine.io's session then ends at its ping timeout); this logs one
    warning line instead."""

    def __init__(self, wsgi_app: Any) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        try:
            return self.wsgi_app(environ, start_response)
        except ValueError as exc:
            if environ.get("wsgi.websocket") is None:
                raise
            log.warning(
                "closing a websocket that sent a malformed engine.io frame (%s)",
                type(exc).__name__,
            )
            return []


def _sockets_of(presence: Any, session_id: str, user_id: str) -> set[str]:
    """The user's sockets in the session's room; none known if presence cannot be read (Redis
    down), so a typing indicator still reaches the others (and the typing socket never)."""
    try:
        return set(presence.sockets(session_room(session_id), user_id))
    except Exception as exc:
        log.warning("typing: the typist's sockets are unknown (%r)", exc)
        return set()


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
    from livechat.realtime.agent_status import build_agent_status
    from livechat.realtime.chat import ChatNamespace
    from livechat.realtime.presence import build_presence
    from livechat.realtime.queue import QueueBroadcaster, SlaWatch
    from livechat.realtime.rooms import CHAT_NAMESPACE, SUPPORT_NAMESPACE
    from livechat.realtime.support import SupportNamespace
    from livechat.realtime.sweeper import TokenSweeper
    from livechat.realtime.typing import TypingTracker
    from livechat.routing import AgentRouter

    cfg = app.config
    # Either holds what is sent to a connecting socket until its CONNECT (handshake.py).
    manager: HandshakeManager = HandshakeManager()
    if cfg.get("REDIS_URL"):
        # Rooms shared with the other processes through Redis (batches: see relay.py).
        manager = RelayManager(
            cfg["REDIS_URL"],
            channel=f"{cfg['REDIS_CHANNEL']}-socketio",
            reorder_seconds=float(cfg.get("RELAY_REORDER_WAIT", 0.1)),
            config=cfg,
        )
        from livechat.metrics import RelayOrderCollector, RelayPublishCollector, metrics

        metrics(app).registry.register(RelayPublishCollector(manager))
        if manager.reorderer is not None:
            metrics(app).registry.register(RelayOrderCollector(manager.reorderer))
    socketio = SocketIO(
        app,
        path=cfg["SOCKETIO_PATH"],
        # None = same origin only. An empty list would switch engine.io's origin check off.
        cors_allowed_origins=cfg["CORS_ORIGINS"] or None,
        client_manager=manager,
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
    guard_packets(socketio.server)
    app.wsgi_app = _EngineIOGarbageGuard(app.wsgi_app)  # type: ignore[method-assign]
    namespaces = [ChatNamespace(CHAT_NAMESPACE), SupportNamespace(SUPPORT_NAMESPACE)]
    for namespace in namespaces:
        socketio.on_namespace(namespace)
    runtime.token_sweeper.set(app, TokenSweeper(app, namespaces, float(cfg["TOKEN_SWEEP_SECONDS"])))

    presence = build_presence(cfg.get("REDIS_URL"), cfg["REDIS_CHANNEL"], cfg)

    def emit_typing(session_id: str, event: str, payload: dict[str, Any], skip: set[str]) -> None:
        with app.app_context():
            # Only the other parties hear it: none of the typist's own sockets in the room (on
            # any process), not just the one that typed.
            skip = skip | _sockets_of(presence, session_id, payload["userId"])
            push.to_session(session_id, event, payload, skip_sid=sorted(skip) or None)

    runtime.presence.set(app, presence)
    runtime.typing_tracker.set(app, TypingTracker(cfg["TYPING_TIMEOUT"], emit_typing))
    broadcaster = runtime.queue_broadcaster.set(
        app,
        QueueBroadcaster(
            app,
            presence,
            minutes_per_chat=float(cfg["QUEUE_MINUTES_PER_CHAT"]),
            min_interval=float(cfg["QUEUE_UPDATE_INTERVAL_SECONDS"]),
        ),
    )
    runtime.sla_watch.set(app, SlaWatch(app, float(cfg["SLA_FIRST_RESPONSE_SECONDS"])))
    router = runtime.agent_router.set(
        app,
        AgentRouter(
            app,
            presence,
            build_agent_status(cfg.get("REDIS_URL"), cfg["REDIS_CHANNEL"], cfg),
            auto=cfg.get("ROUTING", "manual") == "auto",
            capacity=int(cfg.get("AGENT_CAPACITY", 3)),
            grace=float(cfg.get("AGENT_OFFLINE_GRACE_SECONDS", 60)),
            sweep=float(cfg.get("AGENT_OFFLINE_SWEEP_SECONDS", 0)),
        ),
    )
    router.start()
    broadcaster.on_change.append(router.request)
    realtime_listeners.register(runtime.bus(app))
    return socketio

"""Connect handshakes: nothing reaches a socket before its CONNECT packet.

python-socketio sends CONNECT only once a namespace's connect handler has returned (the handler
decides whether to accept), so whatever is sent to the socket while the handler runs goes out
first: what the handler itself emits, and what other greenlets emit meanwhile to a room the
handler has joined (a queue:updated to the agents' room, a session:updated to the user's room;
the handler waits on the database and Redis, and they run). socket.io-client buffers such
events; other clients may drop them (python-socketio #65). ``HandshakeManager`` holds them and
writes them, in the order they were emitted, right after CONNECT; a refused socket gets none.
"""

from __future__ import annotations

from typing import Any

import socketio
from socketio import packet as sio_packet


def write_event(
    server: socketio.Server, eio_sid: str, namespace: str, event: str, *args: Any
) -> None:
    """Write one event straight into a connection's engine.io queue, below python-socketio's
    emit: the one place that does (tests/test_architecture.py names it). Two callers need it:
    ``guard_packets`` tells a client why it is being closed (an emit would queue behind the
    close and never arrive), and ``HandshakeManager.connect`` sends what was held for a socket
    right after CONNECT (an emit to the socket's own sid would go out through the message
    queue, a Redis round trip on every connect, for a socket this process holds). A third,
    ``HandshakeManager.end_room_here``, tells a removed team member's sockets why they are
    being closed, for the same reason as ``guard_packets``."""
    packet = server.packet_class(sio_packet.EVENT, namespace=namespace, data=[event, *args])
    server._send_packet(eio_sid, packet)


class HandshakeManager(socketio.Manager):
    """python-socketio's client manager, holding what is sent to a socket between its
    CONNECT request and the CONNECT packet (RelayManager adds Redis to it)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # cooperative: RelayManager puts RedisManager first
        self._held: dict[tuple[str, str], list[tuple[str, list[Any]]]] = {}

    def send_once_connected(self, sid: str, namespace: str, event: str, payload: Any) -> None:
        """From a connect handler: send ``event`` right after the socket's CONNECT packet."""
        self._held.setdefault((sid, namespace), []).append((event, [payload]))

    def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> Any:
        # Every local delivery comes here, also of what another process emitted (Redis).
        room = to or room
        if callback is None and namespace in self.pending_connect:
            skip = skip_sid if isinstance(skip_sid, list) else [skip_sid]
            held = [sid for sid in self._connecting_in(namespace, room) if sid not in skip]
            if held:
                args = list(data) if isinstance(data, tuple) else [] if data is None else [data]
                for sid in held:
                    self._held.setdefault((sid, namespace), []).append((event, args))
                skip_sid = [*skip, *held]
        return super().emit(
            event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, **kwargs
        )

    def _connecting_in(self, namespace: str, room: Any) -> list[str]:
        """The sockets still connecting (their connect handler runs) among the recipients."""
        rooms = self.rooms.get(namespace, {})
        names = room if hasattr(room, "__len__") and not isinstance(room, str) else [room]
        members = [rooms[name] for name in names if name in rooms]  # room None: everyone
        return [sid for sid in self.pending_connect[namespace] if any(sid in m for m in members)]

    def connect(self, sid: str, namespace: str) -> Any:
        # python-socketio calls this right after it has queued the CONNECT packet.
        sid = super().connect(sid, namespace)
        held = self._held.pop((sid, namespace), ())
        if held:
            eio_sid = self.eio_sid_from_sid(sid, namespace)
            for event, args in held:
                write_event(self.server, eio_sid, namespace, event, *args)
        return sid

    def end_user(self, user_id: str, room: str, error: dict[str, Any]) -> int:
        """End every socket of ``user_id`` (those in ``room``, their own room, on each
        namespace) that this process holds: ``error`` first, then a disconnect. RelayManager
        also asks the other processes to do the same. Returns how many were ended here."""
        return self.end_room_here(room, error)

    def end_room_here(self, room: str, error: dict[str, Any]) -> int:
        ended = 0
        for namespace in list(self.get_namespaces()):
            for sid, eio_sid in list(self.get_participants(namespace, room)):
                if not self.is_connected(sid, namespace):
                    continue  # still connecting: its connect handler checks its token itself
                # Straight to engine.io's queue, ahead of the disconnect (an emit through the
                # message queue could arrive after the socket is gone).
                write_event(self.server, eio_sid, namespace, "error", error)
                self.server.disconnect(sid, namespace=namespace, ignore_queue=True)
                ended += 1
        return ended

    def disconnect(self, sid: str, namespace: str | None = None, **kwargs: Any) -> Any:
        # Also a refused connect: what was held for it is dropped.
        self._held.pop((sid, namespace or "/"), None)
        return super().disconnect(sid, namespace, **kwargs)

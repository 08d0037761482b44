"""Nothing reaches a socket before its CONNECT packet, whatever is emitted while it connects."""

from __future__ import annotations

import json
from typing import Any

import socketio

from livechat.realtime.handshake import HandshakeManager
from livechat.realtime.relay import RelayManager

NS = "/support"


class Wire:
    """A python-socketio server whose engine.io side only records, per connection, the packets
    it was asked to send, in order (the order a client would read them in)."""

    def __init__(self) -> None:
        self.manager = HandshakeManager()
        self.server = socketio.Server(client_manager=self.manager, async_mode="threading")
        self.sent: dict[str, list[str]] = {}
        self.server.eio.send = lambda eio_sid, data: self.sent.setdefault(eio_sid, []).append(data)
        self.server.eio.send_packet = lambda eio_sid, pkt: self.sent.setdefault(eio_sid, []).append(
            pkt.data
        )

    def connect(self, eio_sid: str, namespace: str = NS) -> None:
        """The client's CONNECT request, as it comes off the wire."""
        self.server._handle_eio_connect(eio_sid, {})
        self.server._handle_eio_message(eio_sid, f"0{namespace},{json.dumps({'token': 't'})}")

    def packets(self, eio_sid: str) -> list[tuple[str, Any]]:
        """(kind, what) for each packet sent to the connection: CONNECT, an event's
        [name, payload], a CONNECT_ERROR."""
        kinds = {"0": "CONNECT", "2": "EVENT", "4": "CONNECT_ERROR"}
        decoded = []
        for data in self.sent.get(eio_sid, []):
            body = json.loads(data.removeprefix(data[0] + NS + ","))
            decoded.append((kinds[data[0]], body if data[0] == "2" else None))
        return decoded


def test_what_is_emitted_to_a_connecting_socket_comes_right_after_connect_in_order() -> None:
    wire = Wire()

    @wire.server.on("connect", namespace=NS)
    def connect(sid: str, environ: Any, auth: Any) -> None:
        wire.server.enter_room(sid, "agents", namespace=NS)
        # What other greenlets emit while this handler waits on the database and Redis:
        wire.server.emit("queue:updated", {"n": 1}, to="agents", namespace=NS)
        wire.server.emit("note", {"to": "everyone"}, namespace=NS)
        # ... and what the handler queues itself, in between.
        wire.manager.send_once_connected(sid, NS, "queue:updated", {"n": 2})
        wire.server.emit("queue:updated", {"n": 3}, to="agents", namespace=NS)

    wire.connect("early")  # an agent already connected: it gets everything at once
    wire.sent.clear()
    wire.connect("late")

    assert wire.packets("late") == [
        ("CONNECT", None),
        ("EVENT", ["queue:updated", {"n": 1}]),
        ("EVENT", ["note", {"to": "everyone"}]),
        ("EVENT", ["queue:updated", {"n": 2}]),
        ("EVENT", ["queue:updated", {"n": 3}]),
    ]
    early = wire.packets("early")
    assert early[:2] == [
        ("EVENT", ["queue:updated", {"n": 1}]),
        ("EVENT", ["note", {"to": "everyone"}]),
    ]
    assert wire.manager._held == {}


def test_a_refused_socket_gets_nothing_that_was_held_for_it() -> None:
    wire = Wire()

    @wire.server.on("connect", namespace=NS)
    def connect(sid: str, environ: Any, auth: Any) -> None:
        wire.server.enter_room(sid, "agents", namespace=NS)
        wire.server.emit("queue:updated", {"n": 1}, to="agents", namespace=NS)
        wire.manager.send_once_connected(sid, NS, "queue:updated", {"n": 2})
        raise socketio.exceptions.ConnectionRefusedError("forbidden")

    wire.connect("refused")

    assert [kind for kind, _ in wire.packets("refused")] == ["CONNECT_ERROR"]
    assert wire.manager._held == {}


def test_other_namespaces_and_connected_sockets_are_not_held() -> None:
    wire = Wire()
    seen_while_connecting: list[list[str]] = []

    @wire.server.on("connect", namespace="/")
    def connect_root(sid: str, environ: Any, auth: Any) -> None:
        wire.server.enter_room(sid, "user:u1", namespace="/")

    @wire.server.on("connect", namespace=NS)
    def connect(sid: str, environ: Any, auth: Any) -> None:
        # The same connection is already on "/": its events there are not held back.
        wire.server.emit("session:updated", {"id": "s1"}, to="user:u1", namespace="/")
        seen_while_connecting.append(list(wire.sent["conn"]))

    wire.connect("conn", namespace="/")
    wire.sent.clear()
    wire.connect("conn")

    assert seen_while_connecting == [['2["session:updated",{"id":"s1"}]']]


def test_the_redis_relay_holds_what_it_delivers_locally() -> None:
    """RelayManager's emit publishes; python-socketio's listener then delivers through the
    next emit after PubSubManager's in the MRO: it must be the handshake's."""
    mro = RelayManager.__mro__
    assert mro.index(socketio.PubSubManager) < mro.index(HandshakeManager)
    assert mro.index(HandshakeManager) < mro.index(socketio.Manager)


def test_the_apps_server_holds(app: Any) -> None:
    assert isinstance(app.extensions["socketio"].server.manager, HandshakeManager)

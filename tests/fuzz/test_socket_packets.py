"""Malformed and oversized Socket.IO packets against the real gevent server (`python wsgi.py`).

The test client cannot send what no encoder produces (broken JSON, nesting deeper than a parser
goes, non-string event names, stray binary placeholders, packets over MAX_SOCKET_MESSAGE_BYTES),
so a raw websocket does. Each packet: the server stays up, a bystander connected to it keeps
working, nothing is stored, and the offending connection is either still usable or closed: a
packet that breaks the protocol closes it after an `error` event with code `bad_packet` (as the
Node server closes on a parse error), an oversized one closes it outright.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.server import SOCKET_PATH, ChatClient, ServerProcess

pytestmark = pytest.mark.timeout(90)
CHAT = "/api/support/chat"
MAX_PACKET = 64 * 1024


@pytest.fixture(scope="module")
def server(app: Any, pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    env = {
        "LIVECHAT_ENV": "testing",
        "DATABASE_URL": pg_url,
        "SECRET_KEY": app.config["SECRET_KEY"],
        "DB_POOL_SIZE": "3",
        "MAX_SOCKET_MESSAGE_BYTES": str(MAX_PACKET),
    }
    proc = ServerProcess(env, tmp_path_factory.mktemp("fuzz-srv") / "server.log")
    yield proc
    proc.stop()


class RawSocket:
    """One Engine.IO v4 websocket, spoken to by hand."""

    def __init__(self, url: str, token: str) -> None:
        import websocket

        ws_url = url.replace("http", "ws") + SOCKET_PATH + "/?EIO=4&transport=websocket"
        self.ws = websocket.create_connection(ws_url, timeout=5)
        assert self.ws.recv().startswith("0")  # engine.io open
        self.ws.send("40" + json.dumps({"token": token}))
        assert self.ws.recv().startswith("40")  # socket.io connected to "/"
        self.acks = 0
        self.seen: list[str] = []  # text frames received other than pings and our acks

    def send(self, frame: str | bytes) -> None:
        if isinstance(frame, bytes):
            self.ws.send_binary(frame)
        else:
            self.ws.send(frame)

    def call(self, event: str, data: Any) -> Any:
        """A well-formed event with an ack; the answer, skipping pings and other events."""
        self.acks += 1
        ack_id = 1000 + self.acks
        self.ws.send(f"42{ack_id}" + json.dumps([event, data]))
        while True:
            frame = self.ws.recv()
            if frame == "2":  # engine.io ping
                self.ws.send("3")
            elif frame.startswith(f"43{ack_id}"):
                return json.loads(frame[len(f"43{ack_id}") :])[0]
            elif frame == "":
                raise ConnectionError("closed")
            else:
                self.seen.append(frame)

    def bad_packet_notice(self) -> bool:
        return any(f.startswith('42["error"') and '"bad_packet"' in f for f in self.seen)

    def closed_by_server(self) -> bool:
        import websocket

        try:
            while True:
                frame = self.ws.recv()
                if frame == "":
                    return True
                if frame == "2":
                    self.ws.send("3")
        except (websocket.WebSocketConnectionClosedException, ConnectionError, OSError):
            return True
        except websocket.WebSocketTimeoutException:
            return False

    def close(self) -> None:
        self.ws.shutdown()


def _deep(depth: int, opener: str, closer: str) -> str:
    return opener * depth + closer * depth


# Frames no client library would send. Each follows the 40 (connect to "/") handshake.
MALFORMED = {
    "broken-json": '42["message:send", {"sessionId": ',
    "deep-array": "42" + _deep(5_000, "[", "]"),
    "deep-object-in-event": '42["message:send",'
    + _deep(5_000, '{"a":', "}").replace("}", "1}", 1)
    + "]",
    "number-event": '42[5,{"sessionId":"x"}]',
    "null-event": "42[null]",
    "empty-array": "42[]",
    "object-not-array": '42{"event":"message:send"}',
    "string-not-array": '42"message:send"',
    "no-data": "42",
    "unknown-namespace": '42/nope,["join:session","x"]',
    "binary-placeholder-without-attachment": '451-["message:send",{"_placeholder":true,"num":0}]',
    "too-many-attachments": '4599999999-["message:send",{}]',
    "eleven-attachments": '4511-["message:send",{}]',
    "ack-id-too-long": "42" + "9" * 200 + '["join:session","x"]',
    "huge-integer": '42["join:session",{"sessionId":"x","afterSeq":' + "9" * 5_000 + "}]",
    "client-sends-connect-error": '44{"message":"x"}',
    "unknown-packet-type": "49[]",
    "engineio-garbage": "x",
    "engineio-unknown-type": "9",
}


def _open_session(server: Any, token: Any, uid: str) -> str:
    status, body = server.request("POST", f"{CHAT}/sessions/user", token(uid), {})
    assert status in (200, 201), body
    return body["id"]


def _message_count(server: Any, token: Any, uid: str, session_id: str) -> int:
    status, body = server.request("GET", f"{CHAT}/sessions/{session_id}/messages", token(uid))
    assert status == 200, body
    return len(body["items"])


def test_malformed_packets_hurt_no_one(server: Any, token: Any) -> None:
    import websocket

    uid, bystander_uid = "raw-sender", "raw-bystander"
    session_id = _open_session(server, token, uid)
    bystander_session = _open_session(server, token, bystander_uid)
    bystander = ChatClient(server.url, token(bystander_uid))
    try:
        assert bystander.call("join:session", bystander_session)["ok"]
        log_size = len(server.log())
        outcomes: dict[str, str] = {}
        for name, frame in MALFORMED.items():
            raw = RawSocket(server.url, token(uid))
            try:
                raw.send(frame)
                raw.ws.settimeout(2)  # it answers in milliseconds when it answers at all
                try:
                    ack = raw.call("join:session", session_id)
                    outcomes[name] = "still usable" if ack["ok"] else f"refused: {ack}"
                except websocket.WebSocketTimeoutException:
                    outcomes[name] = "no answer"
                except (ConnectionError, OSError, websocket.WebSocketException):
                    outcomes[name] = "closed" + ("" if raw.bad_packet_notice() else ", no notice")
            finally:
                raw.close()
            assert bystander.call("join:session", bystander_session)["ok"], name
        assert bystander.sio.connected
        status, _ = server.request("GET", "/healthz", token(uid))
        assert status == 200
        assert _message_count(server, token, uid, session_id) == 0
        # Nobody logged a traceback or an error about any of it: one warning line per
        # closed connection, naming no payload.
        logged = server.log()[log_size:]
        assert "Traceback" not in logged
        assert [line for line in logged.splitlines() if " ERROR " in line] == []
        print("\nmalformed packet outcomes:", json.dumps(outcomes, indent=1))
        # A packet announcing binary attachments is answered by a text frame here: that breaks
        # the protocol too, so no connection is left waiting for attachments. Below Socket.IO,
        # an engine.io frame that is not one cannot be answered with an event: closed only.
        below = {"engineio-garbage", "engineio-unknown-type"}
        assert {
            name: outcome
            for name, outcome in outcomes.items()
            if outcome
            not in (
                ("still usable", "closed", "closed, no notice")
                if name in below
                else ("still usable", "closed")
            )
        } == {}
        for name in ("broken-json", "too-many-attachments", "eleven-attachments"):
            assert outcomes[name] == "closed", name
        assert outcomes["binary-placeholder-without-attachment"] == "closed"
    finally:
        bystander.close()


def test_binary_attachments_are_decoded_up_to_ten(server: Any, token: Any) -> None:
    """JSON is our protocol, but a binary event within socket.io-parser's limits is only refused
    by validation; the connection lives on."""
    uid = "raw-binary"
    session_id = _open_session(server, token, uid)
    raw = RawSocket(server.url, token(uid))
    try:
        raw.ws.settimeout(5)
        payload = {"sessionId": session_id, "content": {"_placeholder": True, "num": 0}}
        raw.send("451-7" + json.dumps(["message:send", payload]))
        raw.send(b"\x00binary content")
        while True:
            frame = raw.ws.recv()
            if frame == "2":
                raw.send("3")
            elif frame.startswith("437"):
                break
        ack = json.loads(frame[3:])[0]
        assert ack["ok"] is False and ack["error"]["code"] == "validation_error"
        assert raw.call("join:session", session_id)["ok"]
        assert _message_count(server, token, uid, session_id) == 0
    finally:
        raw.close()


@pytest.mark.parametrize("size", [MAX_PACKET - 1024, MAX_PACKET + 1, 4 * MAX_PACKET])
def test_oversized_packets_close_only_that_connection(server: Any, token: Any, size: int) -> None:
    uid, bystander_uid = f"raw-big-{size}", f"raw-big-by-{size}"
    session_id = _open_session(server, token, uid)
    bystander_session = _open_session(server, token, bystander_uid)
    bystander = ChatClient(server.url, token(bystander_uid))
    raw = RawSocket(server.url, token(uid))
    try:
        assert bystander.call("join:session", bystander_session)["ok"]
        frame = "42" + json.dumps(["message:send", {"sessionId": session_id, "content": ""}])
        padding = size - len(frame)
        payload = {"sessionId": session_id, "content": "x", "metadata": {"pad": "p" * padding}}
        raw.send("42" + json.dumps(["message:send", payload]))
        if size <= MAX_PACKET:
            # Delivered, and refused by validation (metadata over 8 KiB): the socket lives on.
            assert raw.call("join:session", session_id)["ok"]
        else:
            assert raw.closed_by_server()
        ack = bystander.call("message:send", {"sessionId": bystander_session, "content": "ok"})
        assert ack["ok"], ack
        assert _message_count(server, token, uid, session_id) == 0
    finally:
        raw.close()
        bystander.close()

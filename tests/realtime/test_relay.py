"""RelayManager against the real Redis: batches on the wire, unpacked in order."""

from __future__ import annotations

import json
import secrets
import socket
import time
from collections.abc import Iterator
from typing import Any

import gevent
import pytest
import redis
import socketio

from livechat.realtime.relay import RelayManager, retry_delays, unpack


@pytest.fixture()
def wire(redis_url: str) -> Iterator[tuple[str, Any]]:
    """(channel, pubsub) a raw Redis subscriber on a channel of this test's own."""
    channel = f"lc-test-relay-{secrets.token_hex(4)}"
    client = redis.Redis.from_url(redis_url)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(channel)
    yield channel, pubsub
    pubsub.close()
    client.close()


def _read(pubsub: Any, within: float) -> list[Any]:
    """What arrived on the wire within ``within`` seconds, decoded."""
    got, deadline = [], time.monotonic() + within
    while time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.05)
        if message is not None:
            got.append(json.loads(message["data"]))
    return got


def _emitter(redis_url: str, channel: str, batch_seconds: float) -> RelayManager:
    # An external emitter, as an assistant process is: it holds no sockets.
    return RelayManager(redis_url, channel=channel, write_only=True, batch_seconds=batch_seconds)


def test_events_emitted_within_the_interval_go_out_as_one_batch_in_order(
    redis_url: str, wire: tuple[str, Any]
) -> None:
    channel, pubsub = wire
    relay = _emitter(redis_url, channel, batch_seconds=0.1)
    for i in range(3):
        relay.emit("ai:delta", {"delta": f"part {i}"}, room="session:s1", namespace="/")
    assert _read(pubsub, 0.03) == []  # held for the interval
    (batch,) = _read(pubsub, 0.5)
    assert batch["method"] == "batch"
    assert [m["data"] for m in batch["messages"]] == [[{"delta": f"part {i}"}] for i in range(3)]
    assert {m["room"] for m in batch["messages"]} == {"session:s1"}
    # The listener's view: three emits, in order.
    unpacked, batched = unpack(json.dumps(batch).encode(), json)
    assert batched
    assert [m["event"] for m in unpacked] == ["ai:delta"] * 3
    assert [m["data"][0]["delta"] for m in unpacked] == ["part 0", "part 1", "part 2"]


def test_a_lone_event_is_a_batch_too_and_flush_sends_at_once(
    redis_url: str, wire: tuple[str, Any]
) -> None:
    channel, pubsub = wire
    relay = _emitter(redis_url, channel, batch_seconds=5)
    relay.emit("ai:complete", {"messageId": "m1"}, room="session:s1", namespace="/")
    relay.flush()  # at shutdown: nothing waits out the interval
    (batch,) = _read(pubsub, 0.3)
    assert batch["method"] == "batch"
    assert [m["event"] for m in batch["messages"]] == ["ai:complete"]
    relay.flush()  # nothing left: nothing sent
    assert _read(pubsub, 0.1) == []


def test_without_an_interval_every_event_is_published_at_once(
    redis_url: str, wire: tuple[str, Any]
) -> None:
    channel, pubsub = wire
    relay = _emitter(redis_url, channel, batch_seconds=0)
    relay.emit("message:new", {"id": "a"}, room="session:s1", namespace="/")
    relay.emit("message:new", {"id": "b"}, room="session:s1", namespace="/")
    got = _read(pubsub, 0.3)
    assert [(m["method"], m["data"][0]["id"]) for m in got] == [("emit", "a"), ("emit", "b")]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"not json", ([b"not json"], False)),  # passed on; the listener ignores it
        (b'{"method": "batch", "messages": "nope"}', ([], True)),
        (
            b'{"method": "batch", "messages": [1, {"method": "emit"}, null]}',
            ([{"method": "emit"}], True),
        ),
        (b'{"method": "emit", "event": "x"}', ([{"method": "emit", "event": "x"}], False)),
        (b"[1, 2]", ([[1, 2]], False)),
    ],
)
def test_unpack_never_fails_on_what_it_reads(raw: bytes, expected: Any) -> None:
    assert unpack(raw, json) == expected


def test_listener_waits_grow_but_stop_at_the_cap() -> None:
    delays = retry_delays()
    assert [next(delays) for _ in range(7)] == [0.5, 1, 2, 4, 5, 5, 5]


def test_listener_reconnects_after_redis_drops_it(redis_url: str) -> None:
    channel = f"lc-test-relay-{secrets.token_hex(4)}"
    name = f"lc-test-listener-{secrets.token_hex(4)}"
    listener = RelayManager(redis_url, channel=channel, redis_options={"client_name": name})
    got: list[Any] = []

    def listen() -> None:
        for message in listener._listen():
            got.append(message)

    greenlet = gevent.spawn(listen)
    admin = redis.Redis.from_url(redis_url)
    try:

        def publish_until_heard(text: str) -> None:
            deadline = time.monotonic() + 5
            while not any(m.get("event") == text for m in got):
                assert time.monotonic() < deadline, f"{text!r} never arrived: {got}"
                admin.publish(channel, json.dumps({"method": "emit", "event": text}))
                gevent.sleep(0.1)

        publish_until_heard("before")
        # Redis drops the listener's connection (as a restart does): it comes back by itself,
        # after the first, short wait.
        ids = [c["id"] for c in admin.client_list() if c.get("name") == name]
        assert ids, "the listener's connection is not in CLIENT LIST"
        for client_id in ids:
            admin.client_kill_filter(_id=client_id)
        dropped_at = time.monotonic()
        publish_until_heard("after")
        assert time.monotonic() - dropped_at < 3
    finally:
        greenlet.kill()
        admin.close()


class _Recording(RelayManager):
    """A web process's relay whose emits are recorded instead of sent to sockets."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.heard: list[tuple[float, Any]] = []

    def _handle_emit(self, message: dict[str, Any]) -> None:
        self.heard.append((time.monotonic(), message))


def _listening(redis_url: str, channel: str) -> tuple[list[tuple[float, Any]], Any]:
    """A web process's listener on ``channel`` (python-socketio's own listening loop):
    ([(when, emit)] as they are relayed, the manager)."""
    listener = _Recording(redis_url, channel=channel)
    socketio.Server(client_manager=listener, async_mode="gevent")
    listener.initialize()
    gevent.sleep(0.3)  # subscribed
    return listener.heard, listener


def _busy(seconds: float) -> float:
    """Keep the event loop busy with I/O-driven work for ``seconds`` (two greenlets playing
    ping-pong over a socket pair: as in a process handling people's messages, some socket is
    always ready); when it ended."""
    a, b = socket.socketpair()
    end = time.monotonic() + seconds

    def echo() -> None:
        while data := b.recv(1):
            b.sendall(data)

    echoer = gevent.spawn(echo)
    try:
        while time.monotonic() < end:
            a.sendall(b"x")
            a.recv(1)
    finally:
        a.close()
        echoer.kill()
        b.close()
    return time.monotonic()


def test_a_web_process_relays_batched_events_after_its_own_ready_work(redis_url: str) -> None:
    channel = f"lc-test-relay-{secrets.token_hex(4)}"
    heard, listener = _listening(redis_url, channel)
    emitter = _emitter(redis_url, channel, batch_seconds=0)
    admin = redis.Redis.from_url(redis_url)
    batch = {"method": "batch", "messages": [{"method": "emit", "event": f"d{i}"} for i in "12"]}
    try:
        emitter.emit("warm-up", {}, room="session:s1", namespace="/")  # connected beforehand
        gevent.sleep(0.2)
        heard.clear()
        # The process is busy (as with people's messages to handle) while both arrive.
        busy = gevent.spawn(_busy, 0.03)  # shorter than the 50 ms a batched event may wait
        gevent.sleep(0)
        admin.publish(channel, json.dumps(batch))
        # A plain message (a person's, from another web process) published after the batch...
        emitter.emit("message:new", {"id": "m"}, room="session:s1", namespace="/")
        busy_until = busy.get()
        gevent.sleep(0.2)
        # ... is relayed first; the batch's events once the process had nothing else to do.
        assert [m["event"] for _, m in heard] == ["message:new", "d1", "d2"]
        assert heard[1][0] >= busy_until

        # A process that is never idle still relays them, a little later.
        heard.clear()
        busy = gevent.spawn(_busy, 0.6)
        gevent.sleep(0)
        admin.publish(channel, json.dumps(batch))
        busy_until = busy.get()
        assert [m["event"] for _, m in heard] == ["d1", "d2"]
        assert heard[-1][0] < busy_until
    finally:
        listener.thread.kill()
        admin.close()

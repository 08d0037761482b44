"""RelayManager against the real Redis: batches on the wire, unpacked in order."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from typing import Any

import gevent
import pytest
import redis

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
    unpacked = unpack(json.dumps(batch).encode(), json)
    assert [m["event"] for m in unpacked] == ["ai:delta"] * 3
    assert [m["data"][0]["delta"] for m in unpacked] == ["part 0", "part 1", "part 2"]


def test_a_lone_event_goes_out_plain_and_flush_sends_at_once(
    redis_url: str, wire: tuple[str, Any]
) -> None:
    channel, pubsub = wire
    relay = _emitter(redis_url, channel, batch_seconds=5)
    relay.emit("ai:complete", {"messageId": "m1"}, room="session:s1", namespace="/")
    relay.flush()  # at shutdown: nothing waits out the interval
    (plain,) = _read(pubsub, 0.3)
    assert plain["method"] == "emit" and plain["event"] == "ai:complete"
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
        (b"not json", [b"not json"]),  # passed on; python-socketio's listener ignores it
        (b'{"method": "batch", "messages": "nope"}', []),
        (b'{"method": "batch", "messages": [1, {"method": "emit"}, null]}', [{"method": "emit"}]),
        (b'{"method": "emit", "event": "x"}', [{"method": "emit", "event": "x"}]),
        (b"[1, 2]", [[1, 2]]),
    ],
)
def test_unpack_never_fails_on_what_it_reads(raw: bytes, expected: list[Any]) -> None:
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

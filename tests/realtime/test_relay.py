"""RelayManager against the real Redis: batches on the wire, unpacked in order."""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Iterator
from typing import Any

import gevent
import pytest
import redis

from livechat.metrics import RelayPublishCollector
from livechat.realtime.relay import LISTEN_RETRY_FIRST_SECONDS, RelayManager, retry_delays, unpack
from tests.support.waiting import wait_until


@pytest.fixture()
def wire(redis_url: str) -> Iterator[tuple[str, Any, Any]]:
    """(channel, pubsub, publisher): a raw Redis subscriber on a channel of this test's own,
    subscribed (Redis confirmed it), and a second connection to publish markers with."""
    channel = f"lc-test-relay-{secrets.token_hex(4)}"
    client = redis.Redis.from_url(redis_url)
    pubsub = client.pubsub()
    pubsub.subscribe(channel)
    confirmation = pubsub.get_message(timeout=5)
    assert confirmation is not None and confirmation["type"] == "subscribe", confirmation
    yield channel, pubsub, client
    pubsub.close()
    client.close()


def _next(pubsub: Any, timeout: float = 5.0) -> Any:
    """The next message on the wire, decoded (the timeout only bounds waiting for it)."""
    message = pubsub.get_message(timeout=timeout)
    assert message is not None, f"nothing on the wire within {timeout}s"
    return json.loads(message["data"])


def _until_marker(wire: tuple[str, Any, Any]) -> list[Any]:
    """Everything on the wire before a marker published now, decoded. Redis delivers one
    channel's messages in the order it received them, so whatever the relay had published
    before this call is in the list, and nothing can be late: no window to wait out."""
    channel, pubsub, publisher = wire
    marker = {"method": "marker", "id": secrets.token_hex(4)}
    publisher.publish(channel, json.dumps(marker))
    got = []
    while (message := _next(pubsub)) != marker:
        got.append(message)
    return got


def _emitter(redis_url: str, channel: str, batch_seconds: float) -> RelayManager:
    # An external emitter, as an assistant process is: it holds no sockets.
    return RelayManager(redis_url, channel=channel, write_only=True, batch_seconds=batch_seconds)


def test_events_emitted_within_the_interval_go_out_as_one_batch_in_order(
    redis_url: str, wire: tuple[str, Any, Any]
) -> None:
    channel, pubsub, _ = wire
    relay = _emitter(redis_url, channel, batch_seconds=0.1)
    for i in range(3):
        relay.emit("ai:delta", {"delta": f"part {i}"}, room="session:s1", namespace="/")
    # Held for the interval: the first thing on the wire is the three of them, as one message.
    batch = _next(pubsub)
    assert batch["method"] == "batch"
    assert [m["data"] for m in batch["messages"]] == [[{"delta": f"part {i}"}] for i in range(3)]
    assert {m["room"] for m in batch["messages"]} == {"session:s1"}
    # The listener's view: three emits, in order.
    unpacked = unpack(json.dumps(batch).encode(), json)
    assert [m["event"] for m in unpacked] == ["ai:delta"] * 3
    assert [m["data"][0]["delta"] for m in unpacked] == ["part 0", "part 1", "part 2"]
    assert relay._flusher is None and relay._batch == []  # sent once, nothing left behind
    assert _until_marker(wire) == []


def test_a_lone_event_goes_out_plain_and_flush_sends_at_once(
    redis_url: str, wire: tuple[str, Any, Any]
) -> None:
    channel, _, _ = wire
    relay = _emitter(redis_url, channel, batch_seconds=5)
    relay.emit("ai:complete", {"messageId": "m1"}, room="session:s1", namespace="/")
    relay.flush()  # at shutdown: nothing waits out the interval
    (plain,) = _until_marker(wire)  # already published when flush() returned
    assert plain["method"] == "emit" and plain["event"] == "ai:complete"
    assert relay._flusher is None  # the interval's timer is gone: nothing sent twice later
    relay.flush()  # nothing left: nothing sent
    assert _until_marker(wire) == []


def test_without_an_interval_every_event_is_published_at_once(
    redis_url: str, wire: tuple[str, Any, Any]
) -> None:
    channel, _, _ = wire
    relay = _emitter(redis_url, channel, batch_seconds=0)
    relay.emit("message:new", {"id": "a"}, room="session:s1", namespace="/")
    relay.emit("message:new", {"id": "b"}, room="session:s1", namespace="/")
    got = _until_marker(wire)  # each was on Redis by the time its emit() returned
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


def test_listener_reconnects_after_redis_drops_it(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Each time Redis drops the listener (as a restart does) it comes back by itself, after
    the first, short wait: the waits grow only while Redis stays away, and start again from
    the first once it is back. (How long that takes: `bench/run relay`.)"""
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
            def heard() -> bool:
                admin.publish(channel, json.dumps({"method": "emit", "event": text}))
                return any(m.get("event") == text for m in got)

            wait_until(heard, timeout=10, what=f"{text!r} heard by the listener", interval=0.1)

        def drop() -> None:
            ids = [c["id"] for c in admin.client_list() if c.get("name") == name]
            assert ids, "the listener's connection is not in CLIENT LIST"
            for client_id in ids:
                admin.client_kill_filter(_id=client_id)

        publish_until_heard("before")
        with caplog.at_level(logging.WARNING, logger="livechat.realtime.relay"):
            for attempt in ("after one drop", "after another"):
                drop()
                publish_until_heard(attempt)
        waits = [r.args[-1] for r in caplog.records if r.name == "livechat.realtime.relay"]
        assert waits == [LISTEN_RETRY_FIRST_SECONDS] * 2, caplog.text
    finally:
        greenlet.kill()
        listener.close()
        admin.close()


class _Recording(RelayManager):
    """A web process's manager (it holds sockets: not write-only) with no Socket.IO server:
    what it would deliver to its own sockets is recorded instead."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.delivered: list[dict[str, Any]] = []

    def _deliver_here(self, message: dict[str, Any]) -> None:
        self.delivered.append(message)


def _web(redis_url: str, channel: str, **kwargs: Any) -> _Recording:
    relay = _Recording(redis_url, channel=channel, **kwargs)  # delivers through its Reorderer
    # As if its listener had subscribed: room emits go by loopback, through the publisher.
    relay._listening = True
    relay._start_publisher()
    return relay


def test_a_web_process_publishes_every_emit_in_order_without_waiting_for_redis(
    redis_url: str, wire: tuple[str, Any, Any]
) -> None:
    channel, _, _ = wire
    relay = _web(redis_url, channel)
    try:
        for i in range(200):
            relay.emit("message:new", {"seq": i}, room="session:s1", namespace="/")
        # Queued, not sent: the emitting greenlet has not yielded to the publisher yet.
        assert relay._publisher is not None and len(relay._publisher._queue) == 200
        relay.flush()  # waits until the publisher has sent them
        got = _until_marker(wire)
        assert [m["data"][0]["seq"] for m in got] == list(range(200))
        assert all(m["host_id"] == relay.host_id and m["room"] == "session:s1" for m in got)
        assert relay.delivered == []  # heard by a subscriber: delivered when it comes back
        # All 200 had queued before the publisher ran: one pipelined write carried them.
        assert relay.publish_stats() == (0, 1, 200, 0, 0)
    finally:
        relay.close()


def test_a_full_queue_makes_the_emitter_wait_and_loses_nothing(
    redis_url: str, wire: tuple[str, Any, Any]
) -> None:
    """Redis answering slower than the process emits (here: its writes paused) fills the
    publisher's queue to its bound; then an emitter waits for room, as it waited for Redis
    before the publisher, instead of the queue growing with the message rate."""
    channel, _, admin = wire
    relay = _web(redis_url, channel, publish_max_queue=10)
    emitted: list[int] = []

    def emit_all() -> None:
        for i in range(40):
            relay.emit("message:new", {"seq": i}, room="session:s1", namespace="/")
            emitted.append(i)

    admin.execute_command("CLIENT", "PAUSE", "1000", "WRITE")  # PUBLISH waits it out
    try:
        emitter = gevent.spawn(emit_all)
        gevent.sleep(0.4)
        # Ten went out in the write Redis holds, ten more queued; the next emitter waits.
        assert relay._publisher is not None and len(relay._publisher) == 10
        assert len(emitted) == 20 and not emitter.dead
        emitter.join(timeout=10)
        assert emitted == list(range(40))
        relay.flush()
        got = _until_marker(wire)
        assert [m["data"][0]["seq"] for m in got] == list(range(40))
        assert relay.delivered == []
        queued, _, sent, here, waited = relay.publish_stats()
        assert (queued, sent, here) == (0, 40, 0) and waited >= 2
        families = {f.name: f for f in RelayPublishCollector(relay).collect()}
        assert families["livechat_relay_publish_waits"].samples[0].value == waited
    finally:
        admin.execute_command("CLIENT", "UNPAUSE")
        relay.close()


def test_a_loopback_emit_nobody_hears_is_delivered_here(redis_url: str) -> None:
    relay = _web(redis_url, f"lc-test-relay-nobody-{secrets.token_hex(4)}")
    try:
        relay.emit("message:new", {"seq": 1}, room="session:s1", namespace="/")
        relay.flush()
        assert [m["data"] for m in relay.delivered] == [[{"seq": 1}]]
    finally:
        relay.close()


def test_with_redis_unreachable_the_publisher_gives_up_and_delivers_here(
    caplog: pytest.LogCaptureFixture,
) -> None:
    relay = _web("redis://127.0.0.1:1/0", "lc-test-relay-down")
    try:
        with caplog.at_level(logging.ERROR, logger="livechat.realtime.relay"):
            for i in range(3):
                relay.emit("message:new", {"seq": i}, room="session:s1", namespace="/")
            relay.flush()
        assert [m["data"][0]["seq"] for m in relay.delivered] == [0, 1, 2]
        messages = [r.getMessage() for r in caplog.records]
        assert any("retrying" in m for m in messages) and any("giving up" in m for m in messages)
        # Within the outage window the next emits are delivered here without another wait.
        caplog.clear()
        relay.emit("message:new", {"seq": 3}, room="session:s1", namespace="/")
        relay.flush()
        assert [m["data"][0]["seq"] for m in relay.delivered] == [0, 1, 2, 3]
        assert caplog.records == []
        assert relay.publish_stats() == (0, 0, 0, 4, 0)
        families = {f.name: f for f in RelayPublishCollector(relay).collect()}
        outcomes = {
            s.labels["outcome"]: s.value for s in families["livechat_relay_published"].samples
        }
        assert outcomes == {"sent": 0, "delivered_here": 4}
        assert families["livechat_relay_publish_queue"].samples[0].value == 0
    finally:
        relay.close()


def test_the_publisher_reconnects_when_redis_drops_its_connection(
    redis_url: str, wire: tuple[str, Any, Any]
) -> None:
    channel, _, admin = wire
    name = f"lc-test-publisher-{secrets.token_hex(4)}"
    relay = _web(redis_url, channel, redis_options={"client_name": name})
    try:
        relay.emit("message:new", {"seq": 1}, room="session:s1", namespace="/")
        relay.flush()
        ids = [c["id"] for c in admin.client_list() if c.get("name") == name]
        assert ids, "the publisher's connection is not in CLIENT LIST"
        for client_id in ids:
            admin.client_kill_filter(_id=client_id)
        relay.emit("message:new", {"seq": 2}, room="session:s1", namespace="/")
        relay.flush()
        got = _until_marker(wire)
        assert [m["data"][0]["seq"] for m in got] == [1, 2]
        assert relay.delivered == []
    finally:
        relay.close()


def test_publishes_other_than_emits_share_the_one_order(
    redis_url: str, wire: tuple[str, Any, Any]
) -> None:
    """A socket entering a room, then an emit to it, then the user's sockets ended: other
    processes must hear them in that order, so every publish takes the publisher's queue."""
    channel, _, _ = wire
    relay = _web(redis_url, channel)
    try:
        relay.emit("message:new", {"seq": 1}, room="session:s1", namespace="/")
        relay.end_user("u1", "user:u1", {"code": "account_erased", "message": "gone"})
        relay.emit("message:new", {"seq": 2}, room="session:s1", namespace="/")
        relay.flush()
        got = _until_marker(wire)
        assert [m["method"] for m in got] == ["emit", "livechat:end_user", "emit"]
    finally:
        relay.close()


def test_a_process_that_never_listened_publishes_as_it_emits(
    redis_url: str, wire: tuple[str, Any, Any]
) -> None:
    """A CLI command (removing an agent ends their sockets everywhere) exits right after its
    emit: nothing may be left in a queue."""
    channel, _, _ = wire
    relay = _Recording(redis_url, channel=channel)  # holds sockets, but never subscribed
    try:
        relay.end_user("u1", "user:u1", {"code": "staff_access_revoked", "message": "gone"})
        assert relay._publisher is None
        assert [m["method"] for m in _until_marker(wire)] == ["livechat:end_user"]
    finally:
        relay.close()

"""Two processes deliver each chat's messages in `seq` order, whichever reached Redis first."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
import redis

from livechat.realtime.relay import LOOPBACK, RelayManager
from livechat.realtime.rooms import session_room

pytestmark = pytest.mark.timeout(120)
BASE = "/api/support/chat"


def _seqs(client: Any) -> list[int]:
    return [d["seq"] for e, d in client.history if e == "message:new"]


def test_a_message_that_overtook_an_earlier_one_waits_for_it(
    server_pair: tuple[Any, Any],
    connect: Any,
    token: Any,
    redis_url: str,
    request: pytest.FixtureRequest,
) -> None:
    a, b = server_pair
    status, session = a.request("POST", f"{BASE}/sessions/user", token("order-cust"), {})
    assert status == 201
    sid = session["id"]
    customer = connect(a, "order-cust")
    agent = connect(b, "order-agent", "agent")
    assert customer.call("join:session", sid)["lastSeq"] == 0  # no message seen yet
    assert agent.call("join:session", sid)["ok"]

    # A third process's manager publishes what two web processes would have: seq 3 reaching
    # Redis before seq 2 (stored first by one process, published after the other's).
    channel = f"{a.env['REDIS_CHANNEL']}-socketio"
    relay = RelayManager(redis_url, channel=channel, write_only=True)
    request.addfinalizer(lambda: relay.redis.close())
    room = session_room(sid)

    def new(seq: int) -> None:
        message = {"id": f"m{seq}", "sessionId": sid, "seq": seq, "content": f"n{seq}"}
        relay.emit("message:new", message, room=room, namespace="/")

    def mark(name: str) -> None:
        # Another event of the chat: it goes out after whatever the chat holds.
        relay.emit("ai:processing", {"sessionId": sid, "streamId": name}, room=room, namespace="/")

    def until(client: Any, name: str) -> list[tuple[str, Any]]:
        client.wait_for("ai:processing", lambda d: d["streamId"] == name)
        return [
            (e, d["seq"] if e == "message:new" else d["streamId"])
            for e, d in client.history
            if e in ("message:new", "ai:processing")
        ]

    new(1)  # the chat's first: at once
    new(3)  # overtook 2: held ...
    new(2)  # ... until 2 arrives, then both in order
    mark("first")
    for client in (customer, agent):
        assert until(client, "first")[-4:] == [
            ("message:new", 1),
            ("message:new", 2),
            ("message:new", 3),
            ("ai:processing", "first"),
        ], client.history

    # A gap that never fills (4 is lost): 5 still goes out, after the wait, and the chat's
    # other event behind it.
    new(5)
    mark("gap")
    for client in (customer, agent):
        assert until(client, "gap")[-2:] == [("message:new", 5), ("ai:processing", "gap")]

    # The chat's other events wait behind its held messages, in the order emitted.
    new(7)
    mark("behind")
    new(6)
    for client in (customer, agent):
        assert until(client, "behind")[-3:] == [
            ("message:new", 6),
            ("message:new", 7),
            ("ai:processing", "behind"),
        ]

    # Nothing twice, nothing else.
    for client in (customer, agent):
        client.sync()
        assert _seqs(client) == [1, 2, 3, 5, 6, 7], client.history
    # What each process's /metrics says of it: 3 and 7 waited and were filled, 5 went alone.
    for server in (a, b):
        assert _reorder_metrics(server) == {"held": 3, "released_after_wait": 1, "late": 0}


def _reorder_metrics(server: Any) -> dict[str, float]:
    return _metrics(server, 'livechat_relay_reorder_total{outcome="')


def _metrics(server: Any, prefix: str) -> dict[str, float]:
    """The samples of one labelled family on the server's /metrics, by label value."""
    with urllib.request.urlopen(f"{server.url}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    return {
        line[len(prefix) :].split('"', 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(prefix)
    }


def test_a_process_hears_its_own_room_emits_back_from_redis_once(
    server_pair: tuple[Any, Any], connect: Any, token: Any, redis_url: str
) -> None:
    a, _ = server_pair
    channel = f"{a.env['REDIS_CHANNEL']}-socketio"
    wire = redis.Redis.from_url(redis_url).pubsub()
    wire.subscribe(channel)
    confirmation = wire.get_message(timeout=5)
    assert confirmation is not None and confirmation["type"] == "subscribe", confirmation
    try:
        status, session = a.request("POST", f"{BASE}/sessions/user", token("loop-cust"), {})
        assert status == 201
        sid = session["id"]
        customer = connect(a, "loop-cust")
        agent = connect(a, "loop-agent", "agent")  # both on one process
        assert customer.call("join:session", sid)["ok"]
        assert agent.call("join:session", sid)["ok"]
        sent = customer.call("message:send", {"sessionId": sid, "content": "same process"})
        assert sent["ok"], sent
        got = agent.wait_for("message:new", lambda m: m["id"] == sent["message"]["id"])
        assert got["seq"] == sent["message"]["seq"]
        customer.sync()
        agent.sync()
        for client in (customer, agent):  # once each: from Redis, not also at once
            ids = [d["id"] for e, d in client.history if e == "message:new"]
            assert ids.count(sent["message"]["id"]) == 1, client.history
        on_wire = []  # everything published so far (the sync()s came after the sends)
        while (raw := wire.get_message(timeout=0.5)) is not None:
            on_wire.append(json.loads(raw["data"]))
        news = [m for m in on_wire if m.get("event") == "message:new"]
        assert len(news) == 1 and news[0][LOOPBACK] is True
        # What went to one socket held here (each join's session:history) stayed off Redis.
        assert not [m for m in on_wire if m.get("event") == "session:history"]
        # The process's publisher sent them (its /metrics: all out, none delivered in its stead).
        published = _metrics(a, 'livechat_relay_published_total{outcome="')
        mine = [m for m in on_wire if m.get("host_id") == news[0]["host_id"]]
        assert published["sent"] >= len(mine) >= 1 and published["delivered_here"] == 0
    finally:
        wire.close()

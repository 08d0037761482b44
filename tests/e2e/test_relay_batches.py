"""A batch of events an assistant process publishes reaches a web process's sockets in order."""

from __future__ import annotations

from typing import Any

import pytest

from livechat.realtime.relay import RelayManager
from livechat.realtime.rooms import session_room

pytestmark = pytest.mark.timeout(120)
BASE = "/api/support/chat"


def test_a_batch_reaches_the_room_in_order(
    server_pair: tuple[Any, Any], connect: Any, token: Any, redis_url: str
) -> None:
    web, _ = server_pair
    status, session = web.request("POST", f"{BASE}/sessions/user", token("relay-cust"), {})
    assert status == 201
    sid = session["id"]
    customer = connect(web, "relay-cust")
    assert customer.call("join:session", sid)["ok"]

    # What `flask livechat assistant` does with AI_RELAY_INTERVAL: one Redis message for all.
    channel = f"{web.env['REDIS_CHANNEL']}-socketio"
    relay = RelayManager(redis_url, channel=channel, write_only=True, batch_seconds=0.2)
    room = session_room(sid)
    relay.emit("ai:processing", {"sessionId": sid, "streamId": "s1"}, room=room, namespace="/")
    for part in ("Hello ", "there", "!"):
        payload = {"sessionId": sid, "streamId": "s1", "delta": part}
        relay.emit("ai:delta", payload, room=room, namespace="/")
    relay.emit("ai:complete", {"sessionId": sid, "streamId": "s1"}, room=room, namespace="/")

    assert customer.wait_for("ai:complete")["streamId"] == "s1"
    customer.sync()  # the batch was one Redis message: all of it has been relayed
    seen = [(e, d.get("delta")) for e, d in customer.history if e.startswith("ai:")]
    assert seen == [
        ("ai:processing", None),
        ("ai:delta", "Hello "),
        ("ai:delta", "there"),
        ("ai:delta", "!"),
        ("ai:complete", None),
    ], customer.history

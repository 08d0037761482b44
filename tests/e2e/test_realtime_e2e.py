"""The seed's contract against the real gevent server, driven by python-socketio over websocket."""

from __future__ import annotations

from typing import Any

import pytest
import socketio

from tests.support.server import SOCKET_PATH, refused_connect

pytestmark = pytest.mark.timeout(90)
BASE = "/api/support/chat"


def _open_session(server: Any, token: Any, uid: str) -> str:
    status, body = server.request("POST", f"{BASE}/sessions/user", token(uid), {})
    assert status in (200, 201), body
    return body["id"]


def test_seed_client_snippet_connects_over_websocket(server: Any, connect: Any, token: Any) -> None:
    sid = _open_session(server, token, "seed-user")
    client = connect(server, "seed-user")
    assert client.transport == "websocket"
    client.sio.emit("join:session", sid)  # exactly what the seed's snippet does, no ack
    history = client.wait_for("session:history")
    assert history["sessionId"] == sid and history["messages"] == []


def _raw_connect(server: Any, namespace: str, auth: dict[str, Any]) -> Any:
    """A bare websocket speaking engine.io 4 / socket.io 5 by hand, so the order of the
    packets the server sends is seen as sent (client libraries buffer or reorder)."""
    import json

    import websocket

    url = server.url.replace("http", "ws") + SOCKET_PATH + "/?EIO=4&transport=websocket"
    ws = websocket.create_connection(url, timeout=10)
    assert ws.recv().startswith("0")  # engine.io open
    prefix = "" if namespace == "/" else f"{namespace},"
    ws.send("40" + prefix + json.dumps(auth))
    return ws


def _next_event(ws: Any, namespace: str) -> tuple[str, Any]:
    import json

    prefix = "42" + ("" if namespace == "/" else f"{namespace},")
    packet = ws.recv()
    assert packet.startswith(prefix), packet
    event, payload = json.loads(packet.removeprefix(prefix))
    return event, payload


def test_session_current_comes_right_after_the_connect_packet(server: Any, token: Any) -> None:
    """Not before it (as python-socketio sends what a connect handler emits): a client that
    drops events for a namespace it has not joined yet still learns its open chat."""
    sid = _open_session(server, token, "e2e-current")
    ws = _raw_connect(server, "/", {"token": token("e2e-current")})
    try:
        assert ws.recv().startswith("40{")  # socket.io connected
        event, payload = _next_event(ws, "/")
        assert event == "session:current" and payload["session"]["id"] == sid
    finally:
        ws.shutdown()


def test_the_agents_queue_comes_right_after_the_support_connect_packet(
    server: Any, token: Any
) -> None:
    """The same on /support: an agent's first queue:updated follows CONNECT."""
    ws = _raw_connect(server, "/support", {"token": token("e2e-raw-agent", "agent")})
    try:
        assert ws.recv().startswith("40/support,{")  # socket.io connected
        event, payload = _next_event(ws, "/support")
        assert event == "queue:updated"
        assert "e2e-raw-agent" in [a["id"] for a in payload["agentsOnline"]]
    finally:
        ws.shutdown()


def test_bad_tokens_get_connect_error_with_a_code(server: Any) -> None:
    for auth in ({"token": "garbage"}, {}):
        error = refused_connect(server.url, auth)
        assert error["message"] == "unauthorized", error
        assert error["data"]["code"] == "unauthorized"
    assert "garbage" not in server.log()  # tokens are never logged


def test_two_parties_chat_type_and_read(server: Any, connect: Any, token: Any) -> None:
    sid = _open_session(server, token, "e2e-cust")
    customer = connect(server, "e2e-cust")
    agent = connect(server, "e2e-agent", "agent", claims={"name": "Ada"})
    status, _ = server.request("POST", f"{BASE}/sessions/{sid}/assign", token("e2e-agent", "agent"))
    assert status == 200

    assert customer.call("join:session", sid)["ok"]
    assert agent.call("join:session", {"sessionId": sid})["ok"]
    assert customer.wait_for("user:joined")["userId"] == "e2e-agent"

    agent.call("typing:start", {"sessionId": sid})
    typing = customer.wait_for("typing:start")
    assert typing == {"sessionId": sid, "userId": "e2e-agent", "role": "agent"}
    ack = agent.call(
        "message:send", {"sessionId": sid, "content": "Hi, I'm Ada", "clientMessageId": "a1"}
    )
    assert ack["ok"]
    assert customer.wait_for("typing:stop")["userId"] == "e2e-agent"
    new = customer.wait_for("message:new")
    assert new == ack["message"] and new["senderType"] == "AGENT"

    reply = customer.call("message:send", {"sessionId": sid, "content": "Thanks!"})
    assert agent.wait_for("message:new", lambda m: m["id"] == reply["message"]["id"])
    read = customer.call("message:read", {"sessionId": sid, "upToSeq": new["seq"]})
    assert read["messageIds"] == [new["id"]]
    receipt = agent.wait_for("message:read")
    assert receipt["readerId"] == "e2e-cust" and receipt["messageIds"] == [new["id"]]

    # Idempotent resend over the wire: no second message:new (it would be sent before the
    # resend's ack, so before the customer's next round trip is answered).
    customer.sync()
    before = len(customer.history)
    again = agent.call(
        "message:send", {"sessionId": sid, "content": "Hi, I'm Ada", "clientMessageId": "a1"}
    )
    assert again["duplicate"] is True and again["message"]["id"] == ack["message"]["id"]
    customer.sync()
    assert [e for e, _ in customer.history[before:] if e == "message:new"] == []

    server.request("POST", f"{BASE}/sessions/{sid}/end", token("e2e-agent", "agent"))
    assert customer.wait_for("session:updated")["session"]["status"] == "ENDED"


def test_catch_up_after_a_forced_disconnect(server: Any, connect: Any, token: Any) -> None:
    sid = _open_session(server, token, "e2e-away")
    agent_token = token("e2e-agent2", "agent")
    server.request("POST", f"{BASE}/sessions/{sid}/assign", agent_token)
    customer = connect(server, "e2e-away")
    customer.call("join:session", sid)
    first = server.request(
        "POST", f"{BASE}/sessions/{sid}/messages", agent_token, {"content": "one"}
    )[1]
    assert customer.wait_for("message:new")["id"] == first["id"]
    last_seen = first["seq"]

    # The network drops: the transport is cut without a goodbye.
    customer.sio.eio.ws.close()
    customer.sio.eio.disconnect(abort=True)
    sent = [
        server.request(
            "POST", f"{BASE}/sessions/{sid}/messages", agent_token, {"content": f"while away {i}"}
        )[1]
        for i in range(3)
    ]
    back = connect(server, "e2e-away")
    ack = back.call("join:session", {"sessionId": sid, "afterSeq": last_seen})
    assert ack["ok"] and ack["lastSeq"] == sent[-1]["seq"]
    history = back.wait_for("session:history")
    assert [m["id"] for m in history["messages"]] == [m["id"] for m in sent]
    assert [m["seq"] for m in history["messages"]] == [last_seen + 1, last_seen + 2, last_seen + 3]


def test_bad_events_leave_the_connection_and_data_intact(
    server: Any, connect: Any, token: Any
) -> None:
    sid = _open_session(server, token, "e2e-bad")
    customer = connect(server, "e2e-bad")
    bystander_sid = _open_session(server, token, "e2e-bystander")
    bystander = connect(server, "e2e-bystander")
    bystander.call("join:session", bystander_sid)
    for event, payload, code in [
        ("message:send", {"sessionId": sid, "content": "x" * 5000}, "message_too_long"),
        ("message:send", {"sessionId": sid}, "validation_error"),
        ("message:send", 12, "validation_error"),
        ("join:session", bystander_sid, "forbidden"),
        ("join:session", "nope", "session_not_found"),
        ("nonsense", {}, "unknown_event"),
    ]:
        ack = customer.call(event, payload)
        assert ack["ok"] is False and ack["error"]["code"] == code, (event, ack)
    assert customer.sio.connected and bystander.sio.connected
    assert customer.call("message:send", {"sessionId": sid, "content": "still here"})["ok"]
    _, body = server.request("GET", f"{BASE}/sessions/{sid}/messages", token("e2e-bad"))
    assert [m["content"] for m in body["items"]] == ["still here"]


def test_agents_live_queue(server: Any, connect: Any, token: Any) -> None:
    agent = connect(server, "e2e-agent3", "agent", namespaces=["/", "/support"])
    snapshot = agent.wait_for("queue:updated")
    assert any(a["id"] == "e2e-agent3" for a in snapshot["agentsOnline"])
    with pytest.raises(socketio.exceptions.ConnectionError):
        connect(server, "e2e-cust9", namespaces=["/support"])


def test_procfile_web_process_serves_websocket(
    app: Any, pg_url: str, connect: Any, token: Any, tmp_path: Any
) -> None:
    """The Procfile's gunicorn command (gevent websocket worker) upgrades to websocket."""
    import shlex
    import sys
    from pathlib import Path

    from tests.support.server import ROOT, ServerProcess

    web = next(
        line.split(":", 1)[1].strip()
        for line in (ROOT / "Procfile").read_text().splitlines()
        if line.startswith("web:")
    )
    argv = shlex.split(web)
    argv[0] = str(Path(sys.executable).parent / argv[0])
    env = {
        "LIVECHAT_ENV": "testing",
        "DATABASE_URL": pg_url,
        "SECRET_KEY": app.config["SECRET_KEY"],
    }
    gunicorn = ServerProcess(env, tmp_path / "gunicorn.log", argv=argv)
    try:
        sid = _open_session(gunicorn, token, "gu-cust")
        client = connect(gunicorn, "gu-cust")
        assert client.transport == "websocket"
        assert client.call("join:session", sid)["ok"]
        assert client.call("message:send", {"sessionId": sid, "content": "via gunicorn"})["ok"]
        assert client.wait_for("message:new")["content"] == "via gunicorn"
        client.close()
    finally:
        gunicorn.stop()


def test_browser_origins_outside_the_allow_list_are_refused(server: Any) -> None:
    """No CORS_ORIGINS: only same-origin pages may open a socket (engine.io checks every request)."""
    import urllib.error
    import urllib.request

    url = f"{server.url}{SOCKET_PATH}/?EIO=4&transport=polling"
    req = urllib.request.Request(url, headers={"Origin": "https://evil.example"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(req, timeout=5)
    assert refused.value.code == 400
    refused.value.close()
    same_origin = urllib.request.Request(url, headers={"Origin": server.url})
    with urllib.request.urlopen(same_origin, timeout=5) as resp:
        assert resp.status == 200


@pytest.mark.parametrize("length", [4001, 64 * 1024, 500_000])
def test_a_message_over_the_limit_is_refused_and_the_socket_stays(
    server: Any, connect: Any, token: Any, length: int
) -> None:
    sid = _open_session(server, token, f"e2e-long-{length}")
    customer = connect(server, f"e2e-long-{length}")
    assert customer.call("join:session", sid)["ok"]
    ack = customer.call("message:send", {"sessionId": sid, "content": "x" * length})
    assert ack["ok"] is False, ack
    assert ack["error"]["code"] == "message_too_long"
    assert ack["error"]["details"] == {"limit": 4000}
    assert customer.wait_for("error")["code"] == "message_too_long"
    assert customer.sio.connected
    ok = customer.call("message:send", {"sessionId": sid, "content": "a short one"})
    assert ok["ok"], ok
    _, body = server.request("GET", f"{BASE}/sessions/{sid}/messages", token(f"e2e-long-{length}"))
    assert [m["content"] for m in body["items"]] == ["a short one"]


def test_an_oversized_packet_closes_only_that_connection(
    server: Any, connect: Any, token: Any
) -> None:
    """A raw Engine.IO websocket (so the test owns and closes its socket) sends a packet over
    MAX_SOCKET_MESSAGE_BYTES (1 MiB by default)."""
    import json

    import websocket

    sid = _open_session(server, token, "e2e-big")
    bystander_sid = _open_session(server, token, "e2e-big-bystander")
    bystander = connect(server, "e2e-big-bystander")
    bystander.call("join:session", bystander_sid)

    url = server.url.replace("http", "ws") + SOCKET_PATH + "/?EIO=4&transport=websocket"
    ws = websocket.create_connection(url, timeout=10)
    try:
        assert ws.recv().startswith("0")  # engine.io open
        ws.send("40" + json.dumps({"token": token("e2e-big")}))
        assert ws.recv().startswith("40")  # socket.io connected
        payload = {"sessionId": sid, "content": "x" * (1024 * 1024 + 1)}
        ws.send("42" + json.dumps(["message:send", payload]))
        with pytest.raises(
            (websocket.WebSocketConnectionClosedException, ConnectionError, OSError)
        ):
            while True:  # the server closes this connection (pings may arrive first)
                if ws.recv() == "":
                    raise websocket.WebSocketConnectionClosedException("closed")
    finally:
        ws.shutdown()  # close() skips the socket once the server has closed the connection
    assert bystander.call("message:send", {"sessionId": bystander_sid, "content": "still fine"})[
        "ok"
    ]
    _, body = server.request("GET", f"{BASE}/sessions/{sid}/messages", token("e2e-big"))
    assert body["items"] == []

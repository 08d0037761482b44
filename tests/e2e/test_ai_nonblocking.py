"""Slow AI streams never block other chats: proved against the real server over websocket."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.support.openai_stub import OpenAIStub
from tests.support.server import ServerProcess

pytestmark = pytest.mark.timeout(120)
BASE = "/api/support/chat"
STREAMS = 20


@pytest.fixture()
def ai_server(app: Any, pg_url: str, tmp_path: Any) -> Any:
    stub = OpenAIStub()
    stub.chunks = [f"word{i} " for i in range(12)]
    stub.chunk_delay = 0.4  # ~5 s per reply
    env = {
        "LIVECHAT_ENV": "testing",
        "DATABASE_URL": pg_url,
        "SECRET_KEY": app.config["SECRET_KEY"],
        "AI_ENABLED": "true",
        "AI_PROVIDER": "openai",
        "OPENAI_BASE_URL": stub.base_url,
        "OPENAI_API_KEY": "sk-test",
        "AI_MAX_CONCURRENCY": str(STREAMS + 5),
        "AI_READ_TIMEOUT": "10",
        "DB_POOL_SIZE": "10",
    }
    server = ServerProcess(env, tmp_path / "ai-server.log")
    yield server, stub
    server.stop()
    stub.stop()


def test_twenty_slow_streams_do_not_slow_a_human_chat(
    ai_server: Any, connect: Any, token: Any
) -> None:
    server, _stub = ai_server
    customers = []
    for i in range(STREAMS):
        uid = f"nb-cust-{i}"
        _, session = server.request("POST", f"{BASE}/sessions/user", token(uid), {})
        client = connect(server, uid)
        client.call("join:session", session["id"])
        customers.append((client, session["id"]))
    for client, sid in customers:
        client.sio.emit("message:send", {"sessionId": sid, "content": "How do transfers work?"})
    for client, _ in customers:
        client.wait_for("ai:delta", timeout=20)  # every stream is under way

    # A human chat (agent assigned: no AI) in the middle of it all.
    _, human = server.request("POST", f"{BASE}/sessions/user", token("nb-human"), {})
    agent_token = token("nb-agent", "agent")
    server.request("POST", f"{BASE}/sessions/{human['id']}/assign", agent_token)
    customer = connect(server, "nb-human")
    agent = connect(server, "nb-agent", "agent")
    customer.call("join:session", human["id"])
    agent.call("join:session", human["id"])
    before = [_deltas(client) for client, _ in customers]
    for i in range(5):
        sent = customer.call("message:send", {"sessionId": human["id"], "content": f"ping {i}"})
        agent.wait_for("message:new", lambda m, mid=sent["message"]["id"]: m["id"] == mid)
    during = [_deltas(client) - n for (client, _), n in zip(customers, before, strict=True)]

    # Measured against the streams' own pace, not a clock (figures belong in bench/run ai):
    # the five pings went back and forth within two chunks of any stream (0.4 s apart), so
    # no ping waited for the streams, and the replies (~5 s) were still under way.
    assert max(during) <= 2, during
    still_streaming = sum(1 for client, _ in customers if _streaming(client))
    assert still_streaming >= STREAMS // 2, "the AI streams finished before the human chat did"
    deadline = time.monotonic() + 30
    for (_, sid), i in zip(customers, range(STREAMS), strict=True):
        while True:
            _, body = server.request(
                "GET", f"{BASE}/sessions/{sid}/messages", token(f"nb-cust-{i}")
            )
            if [m["senderType"] for m in body["items"]] == ["USER", "AI"]:
                break
            assert time.monotonic() < deadline, body
            time.sleep(0.2)


def _deltas(client: Any) -> int:
    """ai:delta events this client has received so far."""
    return sum(1 for event, _ in list(client.history) if event == "ai:delta")


def _streaming(client: Any) -> bool:
    try:
        client.wait_for("ai:delta", timeout=1.0)
        return True
    except AssertionError:
        return False

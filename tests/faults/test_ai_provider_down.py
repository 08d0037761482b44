"""The model hangs, fails or talks nonsense: the chat goes on and a human takes over.

What the assistant does on each failure (ai:error codes, the notice, the escalation, bounded
retries) is tested in tests/ai/test_openai_path.py; this test adds the rest of the story with a
real server process: the customer keeps writing while waiting, an agent is told, picks the chat
up and the conversation continues, every message stored once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.faults.harness import stored_messages
from tests.support.openai_stub import OpenAIStub
from tests.support.server import ChatClient

pytestmark = pytest.mark.timeout(60)
BASE = "/api/support/chat"


@pytest.fixture()
def stub() -> Iterator[OpenAIStub]:
    server = OpenAIStub()
    yield server
    server.stop()


@pytest.mark.parametrize(("mode", "code"), [("hang", "ai_timeout"), ("garbage", "ai_bad_output")])
def test_chat_goes_on_after_the_model_fails(
    start_server: Any, stub: OpenAIStub, token: Any, pg_url: str, mode: str, code: str
) -> None:
    stub.mode = mode
    server = start_server(
        AI_ENABLED="true",
        AI_PROVIDER="openai",
        OPENAI_BASE_URL=stub.base_url,
        OPENAI_API_KEY="sk-test",
        OPENAI_MODEL="stub-model",
        AI_READ_TIMEOUT="1",
        AI_TOTAL_TIMEOUT="3",
        AI_MAX_RETRIES="0",
    )
    cust, agent_id = f"ai-{mode}-cust", f"ai-{mode}-agent"
    agent = ChatClient(server.url, token(agent_id, "agent"), namespaces=["/", "/support"])
    customer = ChatClient(server.url, token(cust))
    try:
        status, session = server.request("POST", f"{BASE}/sessions/user", token(cust), {})
        assert status == 201
        sid = session["id"]
        assert customer.call("join:session", sid)["ok"]
        first = customer.call("message:send", {"sessionId": sid, "content": "How do fees work?"})
        assert first["ok"]

        error = customer.wait_for("ai:error", timeout=15)
        assert error["code"] == code and error["sessionId"] == sid
        waiting = customer.wait_for("session:updated")["session"]
        assert waiting["status"] == "WAITING" and waiting["agentId"] is None
        escalated = agent.wait_for("session:escalated", lambda e: e["session"]["id"] == sid)
        assert escalated["reason"] == "ai_unavailable" and escalated["ticket"]["id"]

        # The customer keeps writing while waiting: stored and acked, never lost.
        more = customer.call("message:send", {"sessionId": sid, "content": "Anyone there?"})
        assert more["ok"] and not more["duplicate"]

        status, _ = server.request(
            "POST", f"{BASE}/sessions/{sid}/assign", token(agent_id, "agent")
        )
        assert status == 200
        assert agent.call("join:session", {"sessionId": sid})["ok"]
        history = agent.wait_for("session:history")
        assert [m["content"] for m in history["messages"] if m["senderType"] == "USER"] == [
            "How do fees work?",
            "Anyone there?",
        ]
        reply = agent.call("message:send", {"sessionId": sid, "content": "Hi, Ada here."})
        assert customer.wait_for("message:new", lambda m: m["id"] == reply["message"]["id"])
        back = customer.call("message:send", {"sessionId": sid, "content": "Thanks!"})
        assert agent.wait_for("message:new", lambda m: m["id"] == back["message"]["id"])

        kinds = [m["sender_id"] for m in stored_messages(pg_url, sid)]
        assert kinds == [cust, "SYSTEM", cust, agent_id, cust]  # the notice; no AI text
    finally:
        customer.close()
        agent.close()

"""Typing indicators over real sockets: only the chat's other parties hear them, however the
typing ends (typing:stop, the timeout, or the message it led to), for customers and agents."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.server import ChatClient, ServerProcess, server_env

pytestmark = pytest.mark.timeout(90)
BASE = "/api/support/chat"
# Long enough that an explicit stop or a message comes first, short enough to wait for.
TYPING_TIMEOUT = 2.0


@pytest.fixture(scope="module")
def server(app: Any, pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    env = server_env(app.config["SECRET_KEY"], pg_url, TYPING_TIMEOUT=str(TYPING_TIMEOUT))
    proc = ServerProcess(env, tmp_path_factory.mktemp("typing-srv") / "server.log")
    yield proc
    proc.stop()


@dataclass
class Chat:
    session_id: str
    typist_id: str
    typist: ChatClient  # the socket that types
    typist_tab: ChatClient  # the typist's other socket in the chat
    other: ChatClient  # the other party


def _chat(server: Any, connect: Any, token: Any, role: str) -> Chat:
    """A customer's chat assigned to an agent; both are in it with two sockets each."""
    customer_id, agent_id = f"typing-{role}-customer", f"typing-{role}-agent"
    status, body = server.request("POST", f"{BASE}/sessions/user", token(customer_id), {})
    assert status in (200, 201), body
    session_id = body["id"]
    status, body = server.request(
        "POST", f"{BASE}/sessions/{session_id}/assign", token(agent_id, "agent")
    )
    assert status == 200, body
    customers = [connect(server, customer_id) for _ in range(2)]
    agents = [connect(server, agent_id, "agent") for _ in range(2)]
    for client in customers + agents:
        assert client.call("join:session", session_id)["ok"]
    if role == "agent":
        return Chat(session_id, agent_id, agents[0], agents[1], customers[0])
    return Chat(session_id, customer_id, customers[0], customers[1], agents[0])


def _send(client: ChatClient, session_id: str, content: str) -> dict[str, Any]:
    ack = client.call("message:send", {"sessionId": session_id, "content": content})
    assert ack["ok"], ack
    return ack["message"]


@pytest.mark.parametrize("role", ["user", "agent"])
@pytest.mark.parametrize("ending", ["typing:stop", "timeout", "message"])
def test_typing_reaches_only_the_other_parties(
    server: Any, connect: Any, token: Any, role: str, ending: str
) -> None:
    chat = _chat(server, connect, token, role)
    sid = chat.session_id
    assert chat.typist.call("typing:start", {"sessionId": sid})["ok"]
    started = chat.other.wait_for("typing:start")
    assert started == {"sessionId": sid, "userId": chat.typist_id, "role": role}

    if ending == "typing:stop":
        assert chat.typist.call("typing:stop", {"sessionId": sid})["ok"]
    elif ending == "message":
        _send(chat.typist, sid, "here it is")
    # "timeout": the server ends it after TYPING_TIMEOUT seconds.
    assert chat.other.wait_for("typing:stop", timeout=TYPING_TIMEOUT + 10) == started

    # The typing:stop went out before each of these messages, in one stream per socket: once a
    # socket has its message back, it would have had any typing event sent to it.
    for client in (chat.typist, chat.typist_tab):
        sent = _send(client, sid, "after the typing")
        client.wait_for("message:new", lambda m, sent=sent: m["id"] == sent["id"])
        assert [name for name, _ in client.history if name.startswith("typing:")] == []


def test_the_typists_sockets_on_another_process_hear_nothing(
    server_pair: tuple[Any, Any], connect: Any, token: Any
) -> None:
    """The typist's sockets are known across processes (presence in Redis) and skipped there."""
    a, b = server_pair
    status, body = a.request("POST", f"{BASE}/sessions/user", token("mp-typist"), {})
    assert status == 201, body
    sid = body["id"]
    status, _ = a.request("POST", f"{BASE}/sessions/{sid}/assign", token("mp-agent", "agent"))
    assert status == 200
    typist, typist_elsewhere = connect(a, "mp-typist"), connect(b, "mp-typist")
    agent = connect(b, "mp-agent", "agent")
    for client in (typist, typist_elsewhere, agent):
        assert client.call("join:session", sid)["ok"]

    assert typist.call("typing:start", {"sessionId": sid})["ok"]
    started = agent.wait_for("typing:start")
    assert typist.call("typing:stop", {"sessionId": sid})["ok"]
    assert agent.wait_for("typing:stop") == started

    sent = _send(typist_elsewhere, sid, "after the typing")  # relayed after the typing events
    typist_elsewhere.wait_for("message:new", lambda m: m["id"] == sent["id"])
    assert [name for name, _ in typist_elsewhere.history if name.startswith("typing:")] == []

"""The queue over real sockets: priority order, customers told their changing position, and the
first-response SLA announced once, on two processes sharing PostgreSQL and Redis."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import two_servers

pytestmark = pytest.mark.timeout(120)
SUPPORT = "/api/support/chat"
SLA_SECONDS = 3


@pytest.fixture()
def queue_servers(
    app: Any, pg_url: str, redis_url: str, tmp_path: Path
) -> Iterator[tuple[Any, Any]]:
    """Two processes with the (offline) assistant on, which escalates; a short SLA."""
    yield from two_servers(
        app,
        pg_url,
        redis_url,
        tmp_path,
        AI_ENABLED="true",
        AI_PROVIDER="offline",
        AI_OFFLINE_CHUNK_DELAY="0",
        SLA_FIRST_RESPONSE_SECONDS=str(SLA_SECONDS),
    )


def _escalated(server: Any, connect: Any, token: Any, uid: str, text: str) -> tuple[Any, str]:
    """A customer on ``server`` whose message the assistant hands to humans; (client, chat id)."""
    customer = connect(server, uid)
    _, session = server.request("POST", f"{SUPPORT}/sessions/user", token(uid), {})
    assert customer.call("join:session", session["id"])["ok"]
    assert customer.call("message:send", {"sessionId": session["id"], "content": text})["ok"]
    customer.wait_for("session:updated", lambda p: p["session"]["status"] == "WAITING")
    return customer, session["id"]


def _position(client: Any, session_id: str, position: int) -> dict[str, Any]:
    return client.wait_for(
        "queue:position", lambda p: p["sessionId"] == session_id and p["position"] == position
    )


def test_urgent_first_positions_follow_and_sla_is_announced_once(
    queue_servers: tuple[Any, Any], connect: Any, token: Any
) -> None:
    a, b = queue_servers
    agent = connect(a, "q-agent", "agent", namespaces=["/", "/support"])
    agent.wait_for("queue:updated")

    # Two people ask for a person (MEDIUM), on different processes...
    first, first_id = _escalated(a, connect, token, "q-cust-1", "I want to speak to a human agent")
    assert _position(first, first_id, 1)["etaSeconds"] == 4 * 60  # QUEUE_MINUTES_PER_CHAT=4
    second, second_id = _escalated(b, connect, token, "q-cust-2", "Can I talk to a human please")
    _position(second, second_id, 2)

    # ...then a fraud report (URGENT) jumps the queue: both move down one.
    fraud, fraud_id = _escalated(
        b, connect, token, "q-cust-3", "There is a fraud payment on my card"
    )
    assert _position(fraud, fraud_id, 1)["etaSeconds"] == 4 * 60
    _position(first, first_id, 2)
    assert _position(second, second_id, 3)["etaSeconds"] == 12 * 60

    status, queue = a.request("GET", f"{SUPPORT}/queue", token("q-agent", "agent"))
    assert status == 200
    assert [(i["id"], i["position"], i["priority"]) for i in queue["items"]] == [
        (fraud_id, 1, "URGENT"),
        (first_id, 2, "MEDIUM"),
        (second_id, 3, "MEDIUM"),
    ]
    live = agent.wait_for("queue:updated", lambda q: len(q["waiting"]) == 3)
    assert [i["id"] for i in live["waiting"]] == [fraud_id, first_id, second_id]

    # The fraud chat is taken (on the other process): the two behind it move up.
    status, _ = b.request(
        "POST", f"{SUPPORT}/sessions/{fraud_id}/assign", token("q-agent", "agent")
    )
    assert status == 200
    _position(first, first_id, 1)
    _position(second, second_id, 2)

    # Nobody answers the other two in time: the agents hear it once per chat, from one process.
    breached = {first_id, second_id}
    for _ in breached:
        notice = agent.wait_for("queue:sla_breached", lambda p: p["sessionId"] in breached)
        assert notice["priority"] == "MEDIUM"
        assert notice["waitSeconds"] >= SLA_SECONDS
    marked = agent.wait_for(
        "queue:updated", lambda q: all(i["slaBreachedAt"] for i in q["waiting"])
    )
    assert {i["id"] for i in marked["waiting"]} == breached
    # Each process counts the breaches it announced: one per chat in all, not one per process
    # (the fraud chat too, had it waited past the SLA on a slow machine before it was taken).
    agent.sync()
    notified = [p["sessionId"] for e, p in agent.history if e == "queue:sla_breached"]
    assert len(notified) == len(set(notified)) >= 2
    assert sum(_breaches(server) for server in (a, b)) == len(notified)


def _breaches(server: Any) -> float:
    import urllib.request

    with urllib.request.urlopen(f"{server.url}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("livechat_sla_breaches_total{")
    )

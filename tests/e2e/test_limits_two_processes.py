"""The per-user message limit holds for a user whose sockets are on two processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import two_servers

pytestmark = pytest.mark.timeout(120)
BASE = "/api/support/chat"


@pytest.fixture()
def limited_pair(app: Any, pg_url: str, redis_url: str, tmp_path: Path) -> Iterator[Any]:
    # Lookahead as shipped: each process counts some of the user's hits ahead in Redis.
    yield from two_servers(
        app,
        pg_url,
        redis_url,
        tmp_path,
        RATE_LIMITS_ENABLED="true",
        RATE_LIMIT_MESSAGES="6/minute",
        RATE_LIMIT_LOOKAHEAD="2",
    )


def test_a_user_on_two_processes_gets_no_more_than_the_limit(
    limited_pair: tuple[Any, Any], connect: Any, token: Any
) -> None:
    a, b = limited_pair
    status, session = a.request("POST", f"{BASE}/sessions/user", token("lim-cust"), {})
    assert status == 201
    sid = session["id"]
    sockets = [connect(a, "lim-cust"), connect(b, "lim-cust")]
    for s in sockets:
        assert s.call("join:session", sid)["ok"]
    acks = [
        s.call("message:send", {"sessionId": sid, "content": f"m{i}"})
        for i in range(8)
        for s in sockets
    ]
    passed = [ack for ack in acks if ack["ok"]]
    refused = [ack["error"] for ack in acks if not ack["ok"]]
    # Never more than 6; short of 6 by at most what the lookahead may cost (see
    # docs/configuration.md: 6 x 2 s / 60 s, rounded up, plus one counted ahead unspent).
    assert 4 <= len(passed) <= 6, acks
    assert {e["code"] for e in refused} == {"rate_limited"}
    assert all(e["details"]["retryAfter"] >= 1 for e in refused)

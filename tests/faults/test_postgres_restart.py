"""PostgreSQL goes down mid-chat and comes back: nothing acked is lost, nothing is stored twice."""

from __future__ import annotations

import gc
import json
import time
from typing import Any

import gevent
import pytest
import sqlalchemy as sa

from tests.faults.harness import Sender, UptimeWatch, check_exactly_once, figures
from tests.support import leaks, services

pytestmark = pytest.mark.timeout(90)
BASE = "/api/support/chat"
OUTAGE_SECONDS = 3.0


def _dispose_engines() -> None:
    """Drop this test process's pooled connections: PostgreSQL's restart broke every one.

    The app fixtures of other test modules hold pools too (session-scoped), unreachable from
    here; disposing every engine keeps the tests after this one from meeting a dead connection.
    Those apps are registered as enduring (tests/support/leaks.py); gc.get_objects() sees only
    what this test created, the rest is frozen for the greenlet-leak check.
    """
    from livechat import runtime
    from livechat.extensions import db

    for app in leaks.enduring_apps():
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose()
        writer = runtime.writer.find(app)
        if writer is not None:  # its own engine, frozen out of gc.get_objects() below
            writer.drop_connection()
    for obj in gc.get_objects():
        if isinstance(obj, sa.engine.Engine):
            obj.dispose()


def test_postgres_restart_mid_chat(
    start_server: Any, open_chat: Any, party: Any, token: Any, pg_url: str
) -> None:
    services.require_root("Restarting PostgreSQL")
    server = start_server()
    sid = open_chat(server, "pg-cust", "pg-agent")
    customer = party("customer", "pg-cust", [server.url], sid)
    agent = party("agent", "pg-agent", [server.url], sid, role="agent")
    senders = [Sender(customer), Sender(agent)]
    for s in senders:
        s.wait_acked_after(0, count=5)  # chatting, and the server's pool holds connections

    watch = UptimeWatch(services.postgres_accepts)
    try:
        t_down = time.monotonic()
        services.stop_postgres()
        t_stopped = time.monotonic()
        # REST is refused the same way: 503, retryable, Retry-After (not a 500).
        status, body = server.request("GET", f"{BASE}/sessions/active", token("pg-cust"))
        assert status == 503, body
        assert body["error"]["code"] == "unavailable" and body["error"]["retryable"] is True
        gevent.sleep(OUTAGE_SECONDS)
        t_start = time.monotonic()
        services.start_postgres()
        t_up = time.monotonic()
    finally:
        if not services.postgres_accepts():
            services.start_postgres()
        _dispose_engines()
    observed = watch.stop()

    # The same server process recovers by itself (no pre-ping: a dead pooled connection fails
    # one statement, SQLAlchemy invalidates the pool, new connections are opened).
    recovered = [s.wait_acked_after(watch.last_seen_down) for s in senders]
    gevent.sleep(1.0)
    sent = [s.stop() for s in senders]
    for p in (customer, agent):
        p.join()  # catch up by sequence (nothing should be missing: stored means announced)

    check_exactly_once(pg_url, sid, [(customer, sent[0], agent), (agent, sent[1], customer)])
    for s in sent:
        refused = [e for m in s for _, e in m.refusals]
        # The outage was seen (the test cannot pass vacuously) and always as retryable.
        assert refused and {e["code"] for e in refused} == {"unavailable"}
        # Nothing sent while PostgreSQL was down was acked while it was still down.
        assert not [
            m for m in s if watch.went_down < m.first_try and m.acked_at < watch.last_seen_down
        ]
    assert "socket event message:send failed" not in server.log()  # no internal_error

    report = {
        "stopSeconds": round(t_stopped - t_down, 2),  # pg_ctlcluster stop -m fast
        "startSeconds": round(t_up - t_start, 2),  # pg_ctlcluster start, until it accepts
        "observedDownSeconds": observed,  # refusing connections, as polled every 50 ms
        "firstAckAfterBackSeconds": [round(r - watch.came_back, 3) for r in recovered],
        "customer": figures(sent[0], watch.went_down, watch.came_back),
        "agent": figures(sent[1], watch.went_down, watch.came_back),
        "caughtUp": {"customer": customer.caught_up, "agent": agent.caught_up},
    }
    print("FAULT postgres_restart " + json.dumps(report))

"""Redis stops and restarts under two server processes: chat goes on, delivery resumes."""

from __future__ import annotations

import json
import time
from typing import Any

import gevent
import pytest

from tests.faults.harness import Sender, UptimeWatch, check_exactly_once, figures
from tests.support import services

pytestmark = pytest.mark.timeout(90)
OUTAGE_SECONDS = 3.0


def test_redis_restart_with_two_processes(
    redis_pair: Any, open_chat: Any, party: Any, pg_url: str
) -> None:
    services.require_root("Restarting Redis")
    a, b = redis_pair
    sid = open_chat(a, "rd-cust", "rd-agent")
    customer = party("customer", "rd-cust", [a.url], sid)  # on process A
    agent = party("agent", "rd-agent", [b.url], sid, role="agent")  # on process B
    senders = [Sender(customer), Sender(agent)]
    t0 = time.monotonic()
    senders[0].wait_delivered_live(agent, t0)  # across processes, through Redis
    senders[1].wait_delivered_live(customer, t0)

    watch = UptimeWatch(services.redis_up)
    try:
        t_down = time.monotonic()
        services.stop_redis()
        t_stopped = time.monotonic()
        gevent.sleep(OUTAGE_SECONDS)
        t_start = time.monotonic()
        services.start_redis()
        t_up = time.monotonic()
    finally:
        if not services.redis_up():
            services.start_redis()
    observed = watch.stop()

    # Each process's message-queue listener reconnects by itself: live delivery resumes.
    resumed = [
        senders[0].wait_delivered_live(agent, watch.came_back),
        senders[1].wait_delivered_live(customer, watch.came_back),
    ]
    gevent.sleep(0.5)
    sent = [s.stop() for s in senders]
    missed = {
        "customer": sum(1 for m in sent[1] if m.message["id"] not in customer.received_at),
        "agent": sum(1 for m in sent[0] if m.message["id"] not in agent.received_at),
    }
    for p in (customer, agent):
        p.join()  # catch up by sequence what Redis could not carry

    check_exactly_once(pg_url, sid, [(customer, sent[0], agent), (agent, sent[1], customer)])
    for s in sent:
        # Redis down is no reason to refuse a message: stored (PostgreSQL) and acked.
        assert not [m for m in s if m.refusals or m.lost_acks]
        assert [m for m in s if watch.went_down < m.first_try < watch.last_seen_down]
    assert "socket event message:send failed" not in a.log() + b.log()

    report = {
        "stopSeconds": round(t_stopped - t_down, 2),
        "startSeconds": round(t_up - t_start, 2),
        "observedDownSeconds": observed,
        "liveDeliveryResumedAfterSeconds": [round(r - watch.came_back, 3) for r in resumed],
        "customer": figures(sent[0], watch.went_down, watch.came_back),
        "agent": figures(sent[1], watch.went_down, watch.came_back),
        "missedLive": missed,
        "caughtUp": {"customer": customer.caught_up, "agent": agent.caught_up},
    }
    print("FAULT redis_restart " + json.dumps(report))

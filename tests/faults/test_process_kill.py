"""SIGKILL one of two server processes: its clients move to the other and miss nothing."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.faults.harness import Sender, check_exactly_once, figures

pytestmark = pytest.mark.timeout(90)


def test_sigkill_one_of_two_processes(
    redis_pair: Any, open_chat: Any, party: Any, pg_url: str
) -> None:
    a, b = redis_pair
    sid = open_chat(b, "kill-cust", "kill-agent")
    # The customer is on A; when A is gone it connects to the next URL, the survivor B.
    customer = party("customer", "kill-cust", [a.url, b.url], sid)
    agent = party("agent", "kill-agent", [b.url], sid, role="agent")
    senders = [Sender(customer), Sender(agent)]
    t0 = time.monotonic()
    senders[0].wait_delivered_live(agent, t0)
    senders[1].wait_delivered_live(customer, t0)

    t_kill = time.monotonic()
    a.kill()  # SIGKILL: no disconnect packets, nothing flushed, acks in flight are lost

    # The customer notices, reconnects to B, catches up by sequence and resends what was not
    # acked (same clientMessageId: stored at most once even if A stored it before dying).
    back = senders[0].wait_acked_after(t_kill)
    assert customer.url == b.url and customer.connects == 2
    live_again = senders[1].wait_delivered_live(customer, back)
    for s in senders:  # a few more messages each through the survivor, counted, not timed
        s.wait_acked_after(live_again, count=3)
    sent = [s.stop() for s in senders]
    caught_up_on_reconnect = customer.caught_up
    for p in (customer, agent):
        p.join()

    check_exactly_once(pg_url, sid, [(customer, sent[0], agent), (agent, sent[1], customer)])
    assert not [m for s in sent for m in s if m.refusals]  # the survivor never refused
    assert not [m for m in sent[1] if m.lost_acks]  # the agent's process was never touched

    report = {
        "customerFirstAckOnSurvivorSeconds": round(back - t_kill, 3),
        "customerLiveAgainSeconds": round(live_again - t_kill, 3),
        "customer": figures(sent[0], t_kill, back),
        "agent": figures(sent[1], t_kill, back),
        "caughtUpOnReconnect": caught_up_on_reconnect,
        "caughtUpAtEnd": {"customer": customer.caught_up, "agent": agent.caught_up},
    }
    print("FAULT process_kill " + json.dumps(report))

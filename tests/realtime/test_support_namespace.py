"""The agents' namespace: live queue, escalations, presence."""

from __future__ import annotations

from typing import Any

from tests.realtime.conftest import events, wait_event


def test_customers_are_refused(app: Any, token: Any) -> None:
    client = app.extensions["socketio"].test_client(
        app, namespace="/support", auth={"token": token("cust-1")}
    )
    assert not client.is_connected("/support")


def test_agent_gets_the_queue_and_its_changes(
    ctx: Any, sio: Any, make_user: Any, client: Any, auth: Any
) -> None:
    from livechat.models import TicketPriority
    from livechat.services import escalation, sessions

    user = make_user("cust-1")
    waiting, _ = sessions.open_session(user)
    escalation.escalate(waiting.id, reason="human_requested", requested_by="AI_ASSISTANT")

    agent = sio("agent-1", "agent", namespace="/support", name="Ada")
    first = events(agent, "queue:updated", "/support")[0]
    assert [s["id"] for s in first["waiting"]] == [waiting.id]
    assert first["waiting"][0]["escalation"]["reason"] == "human_requested"
    assert [a["id"] for a in first["agentsOnline"]] == ["agent-1"]

    # A second session is escalated: session:escalated, then a fresh queue.
    other, _ = sessions.open_session(make_user("cust-2"))
    escalation.escalate(
        other.id, reason="fraud_report", priority=TicketPriority.URGENT, requested_by="AI_ASSISTANT"
    )
    escalated = events(agent, "session:escalated", "/support")  # sent on commit
    assert len(escalated) == 1
    assert escalated[0]["session"]["id"] == other.id
    assert escalated[0]["reason"] == "fraud_report"
    assert escalated[0]["ticket"]["priority"] == "URGENT"

    # Assignment through REST empties that slot for everyone.
    agent.get_received("/support")
    client.post(f"/api/support/chat/sessions/{waiting.id}/assign", headers=auth("agent-1", "agent"))
    latest = wait_event(agent, "queue:updated", "/support", until=lambda q: len(q["waiting"]) == 1)
    assert [s["id"] for s in latest["waiting"]] == [other.id]

    ack = agent.emit("queue:get", None, callback=True, namespace="/support")
    assert ack["ok"] and [s["id"] for s in ack["waiting"]] == [other.id]


def test_agents_online_follows_connections(ctx: Any, sio: Any) -> None:
    a1 = sio("agent-1", "agent", namespace="/support")
    a2 = sio("admin-1", "admin", namespace="/support")
    update = wait_event(
        a1, "queue:updated", "/support", until=lambda q: len(q["agentsOnline"]) == 2
    )
    assert sorted(a["id"] for a in update["agentsOnline"]) == ["admin-1", "agent-1"]
    a2.disconnect(namespace="/support")
    update = wait_event(
        a1, "queue:updated", "/support", until=lambda q: len(q["agentsOnline"]) == 1
    )
    assert [a["id"] for a in update["agentsOnline"]] == ["agent-1"]


def test_agent_status_is_set_shown_and_checked(ctx: Any, sio: Any, make_user: Any) -> None:
    agent = sio("agent-st", "agent", namespace="/support", name="Ada")
    first = events(agent, "queue:updated", "/support")[0]
    assert first["agentsOnline"] == [
        {
            "id": "agent-st",
            "displayName": "Ada",
            "role": "agent",
            "status": "available",
            "openChats": 0,
        }
    ]
    ack = agent.emit("agent:status", {"status": "away"}, namespace="/support", callback=True)
    assert ack == {"ok": True, "status": "away"}
    shown = wait_event(
        agent,
        "queue:updated",
        "/support",
        lambda d: d["agentsOnline"][0]["status"] == "away",
    )
    assert shown["agentsOnline"][0]["openChats"] == 0
    for bad in ({"status": "busy"}, {"status": None}, {}, "away", None, {"status": ["away"]}):
        ack = agent.emit("agent:status", bad, namespace="/support", callback=True)
        assert ack["ok"] is False and ack["error"]["code"] == "validation_error", bad
    from livechat import runtime

    assert runtime.agent_router().statuses.get("agent-st").status == "away"


def test_a_burst_of_queue_changes_is_announced_a_few_times_not_once_per_change(
    app: Any, ctx: Any, sio: Any, make_user: Any
) -> None:
    """Each queue:updated goes to every agent online: changes that keep coming are announced
    at most every QueueBroadcaster min_interval (0.25 s), still during the burst, and the
    last announcement has the queue as the burst left it."""
    import time

    import gevent

    from livechat import runtime
    from livechat.services import escalation, sessions

    broadcaster = runtime.queue_broadcaster(app)
    agent = sio("agent-1", "agent", namespace="/support")
    broadcaster.join(timeout=5)
    broadcaster.min_interval = 0.25  # the shipped default (testing runs 0.05: config.py)
    try:
        gevent.sleep(0.3)  # past the interval of the refresh the agent's connect asked for
        agent.get_received("/support")
        started = time.monotonic()
        ids = []
        for i in range(30):  # a chat joins the queue every 20 ms
            chat, _ = sessions.open_session(make_user(f"burst-{i}"))
            escalation.escalate(chat.id, reason="human_requested", requested_by="AI_ASSISTANT")
            ids.append(chat.id)
            gevent.sleep(0.02)
        elapsed = time.monotonic() - started
        broadcaster.join(timeout=5)
    finally:
        broadcaster.min_interval = float(app.config["QUEUE_UPDATE_INTERVAL_SECONDS"])
    updates = events(agent, "queue:updated", "/support")
    # One per change before; now one per interval, plus the one that ends the burst.
    assert 2 <= len(updates) <= 2 + elapsed / 0.25, (len(updates), elapsed)
    assert {s["id"] for s in updates[-1]["waiting"]} >= set(ids)


def test_with_more_agents_online_a_burst_is_announced_less_often(
    app: Any, ctx: Any, sio: Any, make_user: Any
) -> None:
    """The interval grows with the agents online (each announcement goes to every one of
    them): here 0.4 s per agent, so two agents space announcements 0.8 s apart."""
    import time

    import gevent

    from livechat import runtime
    from livechat.realtime.queue import QueueBroadcaster

    broadcaster = QueueBroadcaster(app, runtime.presence(app), per_agent=0.4)
    first = sio("agent-1", "agent", namespace="/support")
    sio("agent-2", "agent", namespace="/support")
    runtime.queue_broadcaster(app).join(timeout=5)
    try:
        broadcaster.request_refresh().wait(5)  # learns that two agents are online
        first.get_received("/support")
        started = time.monotonic()
        while time.monotonic() - started < 1.2:
            broadcaster.request_refresh()
            gevent.sleep(0.02)
        broadcaster.join(timeout=5)
        elapsed = time.monotonic() - started
        updates = events(first, "queue:updated", "/support")
        assert 1 <= len(updates) <= 1 + elapsed / 0.8, (len(updates), elapsed)
    finally:
        broadcaster.shutdown()

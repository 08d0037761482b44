"""GET /metrics: what an operator sees, moving with real traffic."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families


def _samples(client: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    resp = client.get("/metrics")
    assert resp.status_code == 200 and resp.content_type.startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(resp.get_data(as_text=True))
        for s in family.samples
    }


def test_metrics_follow_traffic(app: Any, client: Any, sio: Any, ctx: Any, make_user: Any) -> None:
    from livechat.services import escalation, sessions

    before = _samples(client)
    session, _ = sessions.open_session(make_user("cust-m"))
    customer = sio("cust-m")
    customer.emit("join:session", session.id, callback=True)
    assert customer.emit("message:send", {"sessionId": session.id, "content": "hi"}, callback=True)[
        "ok"
    ]
    escalation.escalate(session.id, reason="x", rule="human_request", requested_by="AI_ASSISTANT")
    after = _samples(client)

    def delta(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert delta("livechat_messages_stored_total", sender_type="USER") == 1
    assert delta("livechat_message_send_seconds_count") == 1
    assert delta("livechat_db_commit_seconds_count") == 1
    assert delta("livechat_fanout_seconds_count") == 1
    assert delta("livechat_escalations_total", rule="human_request") == 1
    assert after[("livechat_socket_connections", (("namespace", "/"),))] >= 1
    assert after[("livechat_queue_waiting", ())] == 1


def test_garbage_collector_pauses_are_timed_by_generation(
    app: Any, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every greenlet stops during a collection: operators see how long, per generation.

    The clock is a fake that moves 0.125 s per reading, so a collection observes exactly the
    time between gc's start and stop callbacks, in seconds, whatever the machine's speed; with
    automatic collection off meanwhile, the two below are the only ones."""
    import gc
    import itertools
    import types

    from livechat import metrics as metrics_module

    ticks = itertools.count()
    clock = types.SimpleNamespace(perf_counter=lambda: next(ticks) * 0.125)
    monkeypatch.setattr(metrics_module, "time", clock)
    automatic = gc.isenabled()
    gc.disable()
    try:
        before = _samples(client)
        gc.collect(0)
        gc.collect(2)
        after = _samples(client)
    finally:
        if automatic:
            gc.enable()

    def delta(generation: str, suffix: str) -> float:
        key = (f"livechat_gc_pause_seconds_{suffix}", (("generation", generation),))
        return after.get(key, 0) - before.get(key, 0)

    for generation in ("0", "2"):
        assert (delta(generation, "count"), delta(generation, "sum")) == (1, 0.125)

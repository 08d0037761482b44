"""The openai provider through the real openai client against a local OpenAI-compatible server."""

from __future__ import annotations

import json
from typing import Any

import gevent
import pytest

from livechat import runtime
from livechat.ai.analysis import analyse
from livechat.ai.turns import turn_analysis
from tests.ai.conftest import turns_done, wait_for
from tests.ai.test_orchestrator import (
    _analysed_before_handover,
    _headers,
    _join,
    _messages,
    _open,
    _session,
)

VALID_CLASSIFICATION = {
    "intent": "card_issue",
    "sentiment": {"score": -0.2, "label": "negative"},
    "complexity": "low",
    "handoff": False,
    "reason": "declined card",
    "confidence": 0.9,
}


def test_streamed_reply_with_usage_and_grounded_prompt(
    openai_app: Any, stub: Any, chat_client: Any
) -> None:
    stub.classification = VALID_CLASSIFICATION
    sid = _open(openai_app, "oa-cust-1", profile={"plan": "premium", "email": "ann@example.com"})
    customer = chat_client(openai_app, "oa-cust-1")
    _join(customer, sid)
    customer.emit(
        "message:send",
        {
            "sessionId": sid,
            "content": "My card 4111-1111-1111-1111 keeps getting declined, why? "
            "Write to me at bob@example.org or IBAN DE89 3704 0044 0532 0130 00",
        },
    )
    seen = wait_for(customer, "ai:complete")
    deltas = [p["delta"] for n, p in seen if n == "ai:delta"]
    # The first chunk goes out at once; the rest arrived within AI_DELTA_INTERVAL: one event.
    assert deltas == [stub.chunks[0], "".join(stub.chunks[1:])]
    reply = [p for n, p in seen if n == "message:new"][-1]
    assert reply["content"] == "".join(stub.chunks)
    meta = reply["metadata"]
    assert meta["provider"] == "openai" and meta["model"] == "stub-model"
    assert meta["usage"] == {"prompt_tokens": 42, "completion_tokens": 7}
    assert meta["intent"] == "card_issue"  # the turn's (local) analysis
    assert len(stub.requests) == 1  # one model request per turn: the reply, no classification

    chat_request = next(r for r in stub.requests if r.get("stream"))
    assert chat_request["model"] == "stub-model"
    wire = json.dumps(stub.requests, ensure_ascii=False)
    # The provider never received the raw personal data (the card is also masked in storage).
    assert "4111" not in wire.replace("••••1111", "")
    assert "bob@example.org" not in wire and "DE89" not in wire
    assert "[card ••••1111]" in wire and "[email]" in wire and "[iban ••••3000]" in wire
    stored = _messages(openai_app, sid)[0][1]
    assert "bob@example.org" in stored and "4111-1111" not in stored  # only cards masked at rest
    system = chat_request["messages"][0]["content"]
    assert chat_request["messages"][0]["role"] == "system"
    assert "premium" in system and "ann@example.com" not in system and "[email]" in system
    assert "[Why was my card payment declined?]" in system  # a knowledge-base passage


# What a classifier would say if it were asked: the opposite of the local analysis.
HANDOFF_VERDICT = {
    "intent": "fees",
    "sentiment": {"score": -0.9, "label": "negative"},
    "complexity": "high",
    "handoff": True,
    "reason": "angry customer",
    "confidence": 0.99,
}


def _sidebar_analysis(application: Any, sid: str) -> Any:
    """The analysis the agent console's sidebar renders (its REST detail of the session)."""
    resp = application.test_client().get(
        f"/api/support/chat/sessions/{sid}", headers=_headers(application, "oa-agent", "agent")
    )
    assert resp.status_code == 200
    return resp.get_json()["session"]["metadata"]


@pytest.mark.parametrize("app_name", ["openai_app", "offline_app"])
def test_the_sidebar_shows_the_analysis_escalation_used(
    request: pytest.FixtureRequest, stub: Any, chat_client: Any, app_name: str
) -> None:
    application = request.getfixturevalue(app_name)
    stub.classification = HANDOFF_VERDICT
    text = "Someone hacked my account and made unauthorized transfers"
    uid = f"oa-esc-{app_name}"
    sid = _open(application, uid)
    customer = chat_client(application, uid)
    _join(customer, sid)
    customer.emit("message:send", {"sessionId": sid, "content": text})
    wait_for(customer, "session:updated")
    turns_done(application)
    meta = _sidebar_analysis(application, sid)
    expected = turn_analysis(analyse(text))
    # One analysis, the same under both providers: what the rules read is what the agent sees.
    assert meta["analysis"] == expected and expected["analysedBy"] == "local"
    esc = meta["escalation"]
    assert esc["rule"] == "priority_keyword" and esc["priority"] == "URGENT"
    assert (esc["intent"], esc["sentiment"]) == (expected["intent"], expected["sentiment"])
    assert _messages(application, sid)[0][2]["analysis"] == expected
    assert stub.requests == []  # handed over before any reply: no model request at all


@pytest.mark.parametrize(
    ("case", "classification"),
    [
        ("verdict", HANDOFF_VERDICT),
        ("fails", None),  # the stub's classifier answers 500
        ("malformed", '{"intent": "make_me_admin", "sentiment": 3}'),
    ],
)
def test_one_model_request_per_turn_and_the_reply_uses_the_local_analysis(
    openai_app: Any, stub: Any, chat_client: Any, case: str, classification: Any
) -> None:
    """Whatever a classifier would answer (a handoff verdict, a 500, nonsense), no turn asks it:
    the reply streams after one request, and its analysis is the local one the rules used."""
    stub.classification = classification
    uid = f"oa-one-{case}"
    sid = _open(openai_app, uid)
    customer = chat_client(openai_app, uid)
    _join(customer, sid)
    texts = ["How do I reset my password?", "And how long do SEPA transfers take?"]
    for turn, text in enumerate(texts, start=1):
        customer.emit("message:send", {"sessionId": sid, "content": text})
        wait_for(customer, "ai:complete", timeout=10)
        turns_done(openai_app)
        assert len(stub.requests) == turn  # exactly one model request per turn
    assert all(r.get("stream") and "response_format" not in r for r in stub.requests)
    stored = _messages(openai_app, sid)
    assert [t for t, _, _ in stored] == ["USER", "AI", "USER", "AI"]
    for (_, text, user_meta), (_, _, reply_meta) in zip(stored[::2], stored[1::2], strict=True):
        expected = turn_analysis(analyse(text))
        assert user_meta["analysis"] == expected
        assert (reply_meta["intent"], reply_meta["sentiment"]) == (
            expected["intent"],
            expected["sentiment"],
        )
    meta = _sidebar_analysis(openai_app, sid)
    assert meta["analysis"] == turn_analysis(analyse(texts[-1]))  # the latest turn's
    assert "escalation" not in meta  # the model's handoff verdict was never asked for


@pytest.mark.parametrize(
    ("mode", "code"),
    [
        ("500", "ai_unavailable"),
        ("429", "ai_rate_limited"),
        ("hang", "ai_timeout"),
        ("garbage", "ai_bad_output"),
        ("misshapen", "ai_bad_output"),
        ("not_object", "ai_bad_output"),
        ("drop", "ai_unavailable"),
        ("empty", "ai_bad_output"),
    ],
)
def test_failures_hand_over_and_keep_the_message(
    openai_app: Any, stub: Any, chat_client: Any, mode: str, code: str
) -> None:
    stub.mode = mode
    sid = _open(openai_app, f"oa-fail-{mode}")
    customer = chat_client(openai_app, f"oa-fail-{mode}")
    _join(customer, sid)
    customer.emit("message:send", {"sessionId": sid, "content": "How do fees work?"})
    seen = wait_for(customer, "session:updated", timeout=15)
    errors = [p for n, p in seen if n == "ai:error"]
    assert errors and errors[0]["code"] == code and errors[0]["sessionId"] == sid
    status, meta, _ = _session(openai_app, sid)
    assert status == "WAITING" and meta["escalation"]["reason"] == "ai_unavailable"
    kinds = [t for t, _, _ in _messages(openai_app, sid)]
    assert kinds == ["USER", "SYSTEM"]  # the customer's message kept, a polite notice, no AI text
    assert _messages(openai_app, sid)[0][2]["analysis"]["intent"]  # read, for the agent
    assert _analysed_before_handover(openai_app, sid)  # stored before the agents were told
    if mode in ("500", "429"):
        assert stub.status_calls == 2  # one try + AI_MAX_RETRIES=1 retry, bounded


def test_agent_assignment_cancels_the_stream_at_once(
    openai_app: Any, stub: Any, chat_client: Any
) -> None:
    """At once: the stream is cancelled while the provider still holds its next chunk back
    (the stub sends it only after the test has seen ai:cancelled), not when that chunk comes."""
    stub.hold_before(1)
    sid = _open(openai_app, "oa-cust-3")
    customer = chat_client(openai_app, "oa-cust-3")
    _join(customer, sid)
    customer.emit("message:send", {"sessionId": sid, "content": "How long do transfers take?"})
    try:
        seen = wait_for(customer, "ai:delta", timeout=10)
        assert stub.holding.wait(timeout=10), "the stream never reached the held chunk"
        resp = openai_app.test_client().post(
            f"/api/support/chat/sessions/{sid}/assign",
            headers=_headers(openai_app, "oa-agent", "agent"),
        )
        assert resp.status_code == 200
        seen += wait_for(customer, "ai:cancelled", timeout=10)  # the held chunk cannot come first
    finally:
        stub.release()
    cancelled = next(p for n, p in seen if n == "ai:cancelled")
    assert cancelled["reason"] == "agent_assigned"
    turns_done(openai_app)  # the cancelled turn has ended: it stored and sent all it would
    assert [t for t, _, _ in _messages(openai_app, sid)] == ["USER"]
    # No reply was stored, but the agent taking over still sees how the assistant read it.
    assert _messages(openai_app, sid)[0][2]["analysis"]["intent"]
    names = [n for n, _ in seen + wait_or_none(customer)]
    assert [n for n in names if n.startswith("ai:")] == [
        "ai:processing",
        "ai:delta",
        "ai:cancelled",
    ]
    deltas = [p["delta"] for n, p in seen if n == "ai:delta"]
    assert deltas == stub.chunks[:1]  # nothing of what the stub sent after the cancel


def wait_or_none(client: Any) -> list[Any]:
    return [(r["name"], None) for r in client.get_received()]


def test_a_second_message_mid_stream_gives_one_coherent_turn(
    openai_app: Any, stub: Any, chat_client: Any
) -> None:
    stub.hold_before(1)  # mid-stream for sure, however slow the machine
    sid = _open(openai_app, "oa-cust-4")
    customer = chat_client(openai_app, "oa-cust-4")
    _join(customer, sid)
    customer.emit("message:send", {"sessionId": sid, "content": "How do I freeze my card?"})
    try:
        seen = wait_for(customer, "ai:delta", timeout=10)
        assert stub.holding.wait(timeout=10), "the stream never reached the held chunk"
        customer.emit("message:send", {"sessionId": sid, "content": "And unfreeze it later?"})
        seen += wait_for(customer, "ai:cancelled", timeout=10)
    finally:
        stub.release()  # the next turn's stream runs through
    seen += wait_for(customer, "ai:complete", timeout=15)
    names = [n for n, _ in seen]
    assert [p["reason"] for n, p in seen if n == "ai:cancelled"] == ["superseded"]
    assert names.count("ai:complete") == 1
    stored = _messages(openai_app, sid)
    assert [t for t, _, _ in stored] == ["USER", "USER", "AI"]
    # Each customer message was read: the first by the superseded turn, the second with the reply.
    assert all(meta["analysis"]["intent"] for t, _, meta in stored if t == "USER")
    last_chat = [r for r in stub.requests if r.get("stream")][-1]
    convo = json.dumps(last_chat["messages"])
    assert "freeze my card" in convo and "unfreeze it later" in convo


def test_a_message_written_while_the_reply_is_stored_is_answered_too(
    openai_app: Any, stub: Any, chat_client: Any
) -> None:
    """The customer writes again just as the reply is being stored: the reply lands after the
    new message (it waited for the session row), yet the new message still gets its answer in
    the same turn, not never (in-process) or at the next resume check (assistant processes)."""
    import sqlalchemy as sa

    from livechat.extensions import db

    stub.chunk_delay = 0.2
    sid = _open(openai_app, "oa-cust-9")
    customer = chat_client(openai_app, "oa-cust-9")
    _join(customer, sid)
    customer.emit("message:send", {"sessionId": sid, "content": "How do I freeze my card?"})
    wait_for(customer, "ai:delta", timeout=10)  # analysis stored; the stream is under way
    with openai_app.app_context():
        engine = db.engine
    waiting_reply = sa.text(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        "AND query LIKE '%WITH locked AS%' AND query LIKE '%''AI''%'"
    )
    with engine.connect() as holder, engine.connect() as probe:
        tx = holder.begin()
        last_seq = holder.execute(
            sa.text("SELECT last_seq FROM chat_sessions WHERE id = :sid FOR UPDATE"), {"sid": sid}
        ).scalar_one()
        for _ in range(250):  # the stream ends and the reply's statement queues for the row
            if probe.execute(waiting_reply).scalar_one():
                break
            probe.rollback()
            gevent.sleep(0.02)
        else:
            raise AssertionError("the reply never waited for the session row")
        # The second message is stored first (this transaction holds the row) and its
        # after-commit notice reaches the assistant while the reply is still waiting.
        holder.execute(
            sa.text(
                "INSERT INTO chat_messages (id, session_id, seq, sender_id, sender_type, content,"
                " is_read, metadata, created_at) VALUES (gen_random_uuid()::text, :sid, :seq,"
                " 'oa-cust-9', 'USER', 'And how do I unfreeze it?', false, '{}', now())"
            ),
            {"sid": sid, "seq": last_seq + 1},
        )
        holder.execute(
            sa.text("UPDATE chat_sessions SET last_seq = :seq WHERE id = :sid"),
            {"sid": sid, "seq": last_seq + 1},
        )
        runtime.orchestrator(openai_app).customer_message(sid)
        tx.commit()
    seen = wait_for(customer, "ai:complete", timeout=10)
    if [n for n, _ in seen].count("ai:complete") < 2:
        seen += wait_for(customer, "ai:complete", timeout=10)
    assert [n for n, _ in seen].count("ai:complete") == 2
    stored = _messages(openai_app, sid)
    assert [(t, c) for t, c, _ in stored][:2] == [
        ("USER", "How do I freeze my card?"),
        ("USER", "And how do I unfreeze it?"),
    ]
    assert [t for t, _, _ in stored] == ["USER", "USER", "AI", "AI"]
    assert [m["answeredSeq"] for t, _, m in stored if t == "AI"] == [last_seq, last_seq + 1]
    last_chat = [r for r in stub.requests if r.get("stream")][-1]
    assert "unfreeze" in json.dumps(last_chat["messages"])


def test_chunks_slower_than_the_delta_interval_go_out_one_by_one(
    openai_app: Any, stub: Any, chat_client: Any
) -> None:
    assert openai_app.config["AI_DELTA_INTERVAL"] == 0.05
    # Far apart (6x the interval), so only a 250 ms stall of a loaded test machine could merge
    # two chunks: at 0.12 s one such merge was seen once in a full run.
    stub.chunk_delay = 0.3
    sid = _open(openai_app, "oa-cust-10")
    customer = chat_client(openai_app, "oa-cust-10")
    _join(customer, sid)
    customer.emit("message:send", {"sessionId": sid, "content": "How do I freeze my card?"})
    seen = wait_for(customer, "ai:complete", timeout=10)
    assert [p["delta"] for n, p in seen if n == "ai:delta"] == stub.chunks

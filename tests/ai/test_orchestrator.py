"""The assistant end to end in-process: socket in, streamed reply or handoff out, DB checked."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from livechat import runtime
from tests.ai.conftest import turns_done, wait_for


def _headers(application: Any, uid: str, role: str = "user") -> dict[str, str]:
    token = runtime.verifier(application).issue(uid, role=role)
    return {"Authorization": f"Bearer {token}"}


def _open(application: Any, uid: str, profile: dict[str, Any] | None = None) -> str:
    client = application.test_client()
    resp = client.post("/api/support/chat/sessions/user", headers=_headers(application, uid))
    assert resp.status_code in (200, 201)
    if profile is not None:
        with application.app_context():
            from livechat.services.users import update_profile

            update_profile(uid, profile)
    return resp.get_json()["id"]


def _messages(application: Any, sid: str) -> list[Any]:
    from livechat.extensions import db
    from livechat.models import ChatMessage

    with application.app_context():
        rows = db.session.scalars(
            sa.select(ChatMessage).where(ChatMessage.session_id == sid).order_by(ChatMessage.seq)
        ).all()
        return [(m.sender_type.value, m.content, dict(m.meta)) for m in rows]


def _session(application: Any, sid: str) -> Any:
    from livechat.extensions import db
    from livechat.models import ChatSession

    with application.app_context():
        s = db.session.get(ChatSession, sid)
        return s.status.value, dict(s.meta), s.agent_id


def _analysed_before_handover(application: Any, sid: str) -> bool:
    """Whether the chat's first customer message had its analysis stored in an earlier
    transaction than the one that opened the chat's ticket (the handover, which tells the
    agents): ``xmin`` is the id of the transaction that last wrote a row."""
    from livechat.extensions import db

    sql = sa.text(
        "SELECT m.xmin::text::bigint AS message, t.xmin::text::bigint AS ticket"
        " FROM chat_messages m JOIN tickets t ON t.session_id = m.session_id"
        " WHERE m.session_id = :sid AND m.seq = 1"
    )
    with application.app_context():
        row = db.session.execute(sql, {"sid": sid}).one()
        return bool(row.message < row.ticket)


def _join(client: Any, sid: str) -> None:
    assert client.emit("join:session", sid, callback=True)["ok"]
    client.get_received()


def test_offline_answer_streams_then_is_stored(offline_app: Any, chat_client: Any) -> None:
    sid = _open(offline_app, "ai-cust-1")
    customer = chat_client(offline_app, "ai-cust-1")
    _join(customer, sid)
    ack = customer.emit(
        "message:send",
        {"sessionId": sid, "content": "How long does a SEPA transfer take?"},
        callback=True,
    )
    assert ack["ok"]
    seen = wait_for(customer, "ai:complete")
    names = [n for n, _ in seen]
    assert names[0] == "message:new"  # the customer's own message, stored first
    assert names.index("ai:processing") < names.index("ai:delta") < names.index("ai:complete")
    deltas = "".join(p["delta"] for n, p in seen if n == "ai:delta")
    stream_ids = {p["streamId"] for n, p in seen if n == "ai:delta"}
    assert len(stream_ids) == 1
    reply = [p for n, p in seen if n == "message:new"][-1]
    assert reply["senderId"] == "AI_ASSISTANT" and reply["senderType"] == "AI"
    assert reply["content"] == deltas
    assert "Source:" in reply["content"]
    complete = next(p for n, p in seen if n == "ai:complete")
    assert complete == {"sessionId": sid, "messageId": reply["id"], "streamId": stream_ids.pop()}
    meta = reply["metadata"]
    assert meta["model"] == "offline-kb" and meta["provider"] == "offline"
    assert meta["intent"] and meta["sentiment"]["label"] and isinstance(meta["latencyMs"], int)
    assert meta["sources"]
    stored = _messages(offline_app, sid)
    assert [t for t, _, _ in stored] == ["USER", "AI"]
    assert stored[0][2]["analysis"]["intent"]  # the customer's message carries the analysis


def test_offline_says_when_it_does_not_know(offline_app: Any, chat_client: Any) -> None:
    sid = _open(offline_app, "ai-cust-2")
    customer = chat_client(offline_app, "ai-cust-2")
    _join(customer, sid)
    customer.emit("message:send", {"sessionId": sid, "content": "What is the capital of Peru?"})
    seen = wait_for(customer, "ai:complete")
    reply = [p for n, p in seen if n == "message:new"][-1]
    assert "human agent" in reply["content"]
    assert reply["metadata"]["sources"] == []


def test_human_request_hands_over_with_a_ticket(offline_app: Any, chat_client: Any) -> None:
    sid = _open(offline_app, "ai-cust-3")
    customer = chat_client(offline_app, "ai-cust-3")
    _join(customer, sid)
    customer.emit("message:send", {"sessionId": sid, "content": "I want to talk to a real person"})
    seen = wait_for(customer, "session:updated")
    assert "ai:processing" not in [n for n, _ in seen]
    status, meta, _ = _session(offline_app, sid)
    assert status == "WAITING"
    esc = meta["escalation"]
    assert esc["rule"] == "human_request" and esc["ticketId"] and esc["at"]
    assert esc["intent"] == "human_request" and "label" in esc["sentiment"]
    assert meta["analysis"]["intent"] == "human_request"  # kept for the agent, no reply needed
    first = _messages(offline_app, sid)[0]
    assert first[0] == "USER" and first[2]["analysis"]["intent"] == "human_request"
    assert _analysed_before_handover(offline_app, sid)  # agents open it with the analysis
    notice = _messages(offline_app, sid)[-1]
    assert notice[0] == "SYSTEM" and "number 1 in the queue" in notice[1]
    # While waiting the assistant stays quiet: stored (acked), and no turn ran after it.
    ack = customer.emit("message:send", {"sessionId": sid, "content": "hello?"}, callback=True)
    assert ack["ok"]
    turns_done(offline_app)
    assert [t for t, _, _ in _messages(offline_app, sid)] == ["USER", "SYSTEM", "USER"]


def test_priority_keyword_opens_an_urgent_ticket(offline_app: Any, chat_client: Any) -> None:
    sid = _open(offline_app, "ai-cust-4")
    customer = chat_client(offline_app, "ai-cust-4")
    _join(customer, sid)
    customer.emit(
        "message:send",
        {"sessionId": sid, "content": "There are unauthorized payments, my card was stolen"},
    )
    wait_for(customer, "session:updated")
    _, meta, _ = _session(offline_app, sid)
    assert meta["escalation"]["rule"] == "priority_keyword"
    assert meta["escalation"]["priority"] == "URGENT"


def test_unresolved_tickets_rule(offline_app: Any, chat_client: Any) -> None:
    from livechat.services import tickets
    from livechat.services.users import Identity

    sid = _open(offline_app, "ai-cust-5")
    with offline_app.app_context():
        from livechat.models import Role
        from livechat.services.users import sync_user

        agent = sync_user(Identity(uid="ai-agent", role=Role.AGENT))
        for subject in ("Card not arrived", "Fee question"):
            tickets.open_ticket(agent, user_id="ai-cust-5", subject=subject)
    customer = chat_client(offline_app, "ai-cust-5")
    _join(customer, sid)
    customer.emit("message:send", {"sessionId": sid, "content": "How do I activate my card?"})
    wait_for(customer, "session:updated")
    assert _session(offline_app, sid)[1]["escalation"]["rule"] == "unresolved_tickets"


def test_negative_complex_rule(offline_app: Any, chat_client: Any) -> None:
    sid = _open(offline_app, "ai-cust-6")
    customer = chat_client(offline_app, "ai-cust-6")
    _join(customer, sid)
    text = (
        "This is absolutely terrible and I am furious. I sent 2,400 EUR to my landlord on Monday, "
        "it still has not arrived, the fee was wrong and nobody explains why. What is going on?"
    )
    customer.emit("message:send", {"sessionId": sid, "content": text})
    wait_for(customer, "session:updated")
    assert _session(offline_app, sid)[1]["escalation"]["rule"] == "negative_complex"


def test_notices_in_the_customers_language(offline_app: Any, chat_client: Any) -> None:
    sid = _open(offline_app, "ai-cust-7")
    customer = chat_client(offline_app, "ai-cust-7")
    _join(customer, sid)
    customer.emit(
        "message:send", {"sessionId": sid, "content": "Quiero hablar con una persona, por favor"}
    )
    wait_for(customer, "session:updated")
    notice = _messages(offline_app, sid)[-1]
    assert notice[0] == "SYSTEM" and "cola" in notice[1]


def test_card_numbers_are_masked_in_storage(offline_app: Any, chat_client: Any) -> None:
    sid = _open(offline_app, "ai-cust-8")
    customer = chat_client(offline_app, "ai-cust-8")
    _join(customer, sid)
    ack = customer.emit(
        "message:send",
        {"sessionId": sid, "content": "my card 4111 1111 1111 1111 was declined"},
        callback=True,
    )
    assert "4111 1111 1111 1111" not in ack["message"]["content"]
    assert "[card ••••1111]" in ack["message"]["content"]
    wait_for(customer, "ai:complete")
    assert all("4111 1111 1111 1111" not in c for _, c, _ in _messages(offline_app, sid))


def test_broad_topic_questions_find_their_article(offline_app: Any, chat_client: Any) -> None:
    sid = _open(offline_app, "ai-cust-9")
    customer = chat_client(offline_app, "ai-cust-9")
    _join(customer, sid)
    customer.emit("message:send", {"sessionId": sid, "content": "How do fees work?"})
    seen = wait_for(customer, "ai:complete")
    reply = [p for n, p in seen if n == "message:new"][-1]
    assert reply["metadata"]["sources"] == ["Fees, plans and ATM withdrawals"]


def test_a_turn_that_fails_unexpectedly_hands_the_chat_over(
    offline_app: Any, chat_client: Any
) -> None:
    """The database refuses the reply (here a trigger; in life a bug or a constraint): the
    customer hears it and a person takes over, in the customer's language."""
    from livechat.extensions import db

    sid = _open(offline_app, "ai-cust-crash")
    refuse = (
        "CREATE FUNCTION lc_test_refuse_ai() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF NEW.sender_type = 'AI' AND NEW.session_id = '{sid}' THEN "
        "RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$; "
        "CREATE TRIGGER lc_test_refuse_ai BEFORE INSERT ON chat_messages "
        "FOR EACH ROW EXECUTE FUNCTION lc_test_refuse_ai()"
    )
    with offline_app.app_context():
        engine = db.engine
    with engine.begin() as conn:
        conn.exec_driver_sql(refuse)
    try:
        customer = chat_client(offline_app, "ai-cust-crash")
        _join(customer, sid)
        customer.emit(
            "message:send",
            {"sessionId": sid, "content": "¿Cuánto tarda una transferencia SEPA?"},
        )
        seen = wait_for(customer, "session:updated", timeout=10)
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TRIGGER lc_test_refuse_ai ON chat_messages")
            conn.exec_driver_sql("DROP FUNCTION lc_test_refuse_ai()")
    error = next(p for n, p in seen if n == "ai:error")
    assert error["code"] == "internal" and error["sessionId"] == sid and error["streamId"]
    status, meta, _ = _session(offline_app, sid)
    assert status == "WAITING"
    assert meta["escalation"]["reason"] == "ai_unavailable" and meta["escalation"]["ticketId"]
    stored = _messages(offline_app, sid)
    assert [t for t, _, _ in stored] == ["USER", "SYSTEM"]
    assert stored[-1][1].startswith("Lo siento")  # the notice in the customer's language


def test_a_handoff_refused_for_an_ended_chat_leaves_no_transaction_behind(
    offline_app: Any,
) -> None:
    """The chat ended while the turn was deciding to hand it over: escalate refuses (holding
    the row lock it took), and the turn's next unit of work still runs: the analysis is kept."""
    from livechat.extensions import db
    from livechat.models import Role
    from livechat.services import assistant, messages, sessions
    from livechat.services.users import Identity

    sid = _open(offline_app, "ai-cust-ended")
    customer = Identity(uid="ai-cust-ended", role=Role.USER)
    orchestrator = runtime.orchestrator(offline_app)
    with offline_app.app_context():
        orchestrator.enabled = False  # no turn of its own for this message
        try:
            mid = messages.post_message(customer, sid, "I want a human")[0].id
        finally:
            orchestrator.enabled = True
        sessions.end_session(customer, sid)
        orchestrator._queue(sid, "en", "queued", reason="human_request")
        assert not db.session().in_transaction()
        assistant.record_analysis(sid, mid, {"intent": "human_request"})
    assert _session(offline_app, sid)[1]["analysis"] == {"intent": "human_request"}

"""Data rights over REST: export a customer's data; erase a customer, checked in PostgreSQL itself.

The world: customer "cust-cora" (every piece of her text carries the word "zebra") has an ended
chat with an agent, an open chat the assistant escalated (a WAITING session, its ticket and the
queue notice), an agent-opened ticket and audit entries; customer "cust-dan" has his own chat and
ticket and must come through every operation byte for byte unchanged.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa

CORA = "cust-cora"
DAN = "cust-dan"
BASE = "/api/support/customers"
TABLES = ("users", "chat_sessions", "chat_messages", "tickets", "audit_events")


def build_world() -> dict[str, Any]:
    """Cora's and Dan's data, made through the services (needs an app context)."""
    from livechat.models import Role, TicketPriority
    from livechat.services import assistant, escalation, messages, sessions, tickets
    from livechat.services.users import Identity, sync_user, update_profile

    cora = sync_user(Identity(CORA, Role.USER, email="zebra.cora@example.com", name="Cora Zebra"))
    update_profile(CORA, {"plan": "gold", "iban": "DE89 ZEBRA 0000"})
    agent = sync_user(Identity("agent-1", Role.AGENT, name="Ada Agent"))
    sync_user(Identity("admin-1", Role.ADMIN, name="Root Admin"))

    ended, _ = sessions.open_session(cora, "Zebra card question", {"page": "zebra-checkout"})
    messages.post_message(
        cora,
        ended.id,
        "Hi, I am Cora Zebra",
        client_message_id="zebra-cmid-1",
        metadata={"device": "zebra-phone"},
    )
    sessions.assign_agent(agent, ended.id)
    messages.post_message(agent, ended.id, "Hello Cora Zebra, how can I help?")
    messages.post_message(cora, ended.id, "My zebra account is 12345")
    sessions.session_detail(agent, ended.id)  # an audited read
    refund = tickets.open_ticket(
        agent,
        user_id=CORA,
        subject="Cora Zebra refund",
        description="Refund zebra order 77 for Cora",
        session_id=ended.id,
        category="refunds",
        metadata={"orderRef": "zebra-77", "reason": "refund"},
    )
    sessions.end_session(cora, ended.id)  # the customer is an actor in the trail too

    waiting, _ = sessions.open_session(cora)
    messages.post_message(cora, waiting.id, "Zebra here: my card was stolen")
    assistant.post_reply(waiting.id, "Sorry to hear that, Cora Zebra.", {"source": "zebra-kb"})
    _, handoff = escalation.escalate(
        waiting.id,
        reason="priority_keyword",
        rule="priority_keyword",
        intent="fraud_report",
        priority=TicketPriority.HIGH,
        sentiment={"score": -0.5, "label": "negative"},
        summary="Cora Zebra says her card was stolen",
        requested_by="AI_ASSISTANT",
        notice=lambda position, minutes: f"You are number {position}, about {minutes} min.",
    )
    assert handoff is not None

    dan = sync_user(Identity(DAN, Role.USER, email="dan@example.com", name="Dan Other"))
    dan_chat, _ = sessions.open_session(dan, "Dan's question", {"page": "checkout"})
    messages.post_message(dan, dan_chat.id, "Dan's own words", metadata={"device": "phone"})
    dan_ticket = tickets.open_ticket(
        agent, user_id=DAN, subject="Dan ticket", description="Dan's description"
    )
    return {
        "ended": ended.id,
        "waiting": waiting.id,
        "tickets": {refund.id, handoff.id},
        "dan_session": dan_chat.id,
        "dan_ticket": dan_ticket.id,
    }


@pytest.fixture()
def world(ctx: Any) -> dict[str, Any]:
    from livechat import runtime

    built = build_world()
    # The escalation's queue refresh records the position it announces (chat_sessions): done
    # before a test compares rows.
    runtime.queue_broadcaster(ctx).join(timeout=5)
    return built


def sql(query: str, **params: Any) -> list[Any]:
    """Raw SQL on the test database (its own connection, autocommitted)."""
    from livechat.extensions import db

    with db.engine.connect() as conn:
        return list(conn.execute(sa.text(query), params).all())


def rows_mentioning(needle: str) -> dict[str, int]:
    """How many rows of each table hold ``needle`` in any column (the whole row as text)."""
    found = {}
    for table in TABLES:
        count = sql(f"SELECT count(*) FROM {table} t WHERE t::text ILIKE :n", n=f"%{needle}%")
        found[table] = count[0][0]
    return found


def dan_snapshot() -> list[Any]:
    """Every row that belongs to Dan, whole, as text."""
    return [
        sql("SELECT u::text FROM users u WHERE id = :u", u=DAN),
        sql("SELECT s::text FROM chat_sessions s WHERE user_id = :u ORDER BY id", u=DAN),
        sql(
            "SELECT m::text FROM chat_messages m JOIN chat_sessions s ON s.id = m.session_id "
            "WHERE s.user_id = :u ORDER BY m.id",
            u=DAN,
        ),
        sql("SELECT t::text FROM tickets t WHERE user_id = :u ORDER BY id", u=DAN),
    ]


def admin(auth: Any) -> dict[str, str]:
    return auth("admin-1", "admin")


def erase(client: Any, headers: dict[str, str], uid: str = CORA, **kwargs: Any) -> Any:
    kwargs.setdefault("json", {"confirm": uid})
    return client.post(f"{BASE}/{uid}/erase", headers=headers, **kwargs)


# ---- export ---------------------------------------------------------------------------------


def test_export_has_everything_about_the_customer_and_nothing_else(
    client: Any, auth: Any, world: dict[str, Any]
) -> None:
    resp = client.get(f"{BASE}/{CORA}/export", headers=admin(auth))
    assert resp.status_code == 200, resp.get_json()
    doc = resp.get_json()

    assert doc["schemaVersion"] == 1
    assert datetime.fromisoformat(doc["exportedAt"]).utcoffset() is not None
    customer = doc["customer"]
    assert customer["id"] == CORA and customer["email"] == "zebra.cora@example.com"
    assert customer["displayName"] == "Cora Zebra"
    assert customer["profile"] == {"plan": "gold", "iban": "DE89 ZEBRA 0000"}
    assert customer["erasedAt"] is None

    by_id = {s["id"]: s for s in doc["sessions"]}
    assert set(by_id) == {world["ended"], world["waiting"]}
    ended = by_id[world["ended"]]
    assert ended["subject"] == "Zebra card question"
    assert ended["metadata"] == {"client": {"page": "zebra-checkout"}}
    assert ended["status"] == "ENDED" and ended["agentId"] == "agent-1"
    # Every message, in order, with its metadata, whoever wrote it.
    stored = sql(
        "SELECT session_id, seq, sender_type, content FROM chat_messages "
        "WHERE session_id IN (:a, :b) ORDER BY session_id, seq",
        a=world["ended"],
        b=world["waiting"],
    )
    exported = [
        (s["id"], m["seq"], m["senderType"], m["content"])
        for s in sorted(doc["sessions"], key=lambda s: s["id"])
        for m in s["messages"]
    ]
    assert exported == [tuple(r) for r in stored]
    first = ended["messages"][0]
    assert first["metadata"] == {"device": "zebra-phone"}
    assert first["clientMessageId"] == "zebra-cmid-1"
    assert {m["senderType"] for s in doc["sessions"] for m in s["messages"]} == {
        "USER",
        "AGENT",
        "AI",
        "SYSTEM",
    }
    waiting = by_id[world["waiting"]]
    assert waiting["metadata"]["escalation"]["summary"] == "Cora Zebra says her card was stolen"
    for session in doc["sessions"]:
        for stamp in (session["createdAt"], *(m["createdAt"] for m in session["messages"])):
            assert datetime.fromisoformat(stamp).utcoffset() is not None

    assert {t["id"] for t in doc["tickets"]} == world["tickets"]
    refund = next(t for t in doc["tickets"] if t["category"] == "refunds")
    assert refund["description"] == "Refund zebra order 77 for Cora"
    assert refund["metadata"] == {"orderRef": "zebra-77", "reason": "refund"}

    actions = [e["action"] for e in doc["auditEvents"]]
    for action in ("session.assigned", "customer.viewed", "session.ended", "session.escalated"):
        assert action in actions
    assert all(e["subjectUserId"] == CORA or e["sessionId"] in by_id for e in doc["auditEvents"])

    # Scoped: nothing of Dan's.
    text = json.dumps(doc)
    for needle in ("Dan", world["dan_session"], world["dan_ticket"], DAN):
        assert needle not in text


def test_export_is_an_audited_read(client: Any, auth: Any, world: dict[str, Any]) -> None:
    assert client.get(f"{BASE}/{CORA}/export", headers=admin(auth)).status_code == 200
    trail = client.get(f"/api/support/audit?userId={CORA}", headers=admin(auth)).get_json()
    newest = trail["items"][0]
    assert newest["action"] == "customer.exported"
    assert newest["actorId"] == "admin-1"
    assert newest["details"] == {"schemaVersion": 1}


def test_export_is_documented_in_openapi(client: Any) -> None:
    spec = client.get("/api/openapi.json").get_json()
    export = spec["paths"]["/api/support/customers/{uid}/export"]["get"]
    erase_op = spec["paths"]["/api/support/customers/{uid}/erase"]["post"]
    assert {"200", "401", "403", "404"} <= set(export["responses"])
    assert {"200", "400", "401", "403", "404", "422"} <= set(erase_op["responses"])
    schemas = spec["components"]["schemas"]
    assert "confirm" in schemas["EraseRequest"]["properties"]
    assert {"schemaVersion", "exportedAt", "sessions"} <= set(
        schemas["CustomerExport"]["properties"]
    )


# ---- erase ----------------------------------------------------------------------------------


def test_erase_removes_every_trace_and_keeps_the_shape(
    client: Any, auth: Any, world: dict[str, Any]
) -> None:
    from livechat.services.privacy import REDACTED, pseudonym_for

    assert rows_mentioning("zebra")["chat_messages"] > 0  # the check below can fail
    before_counts = {
        "tickets": sql("SELECT count(*) FROM tickets")[0][0],
        "messages": sql("SELECT count(*) FROM chat_messages")[0][0],
        "sessions": sql("SELECT count(*) FROM chat_sessions")[0][0],
    }
    seqs_before = sql(
        "SELECT session_id, seq, sender_type FROM chat_messages WHERE session_id IN (:a, :b) "
        "ORDER BY session_id, seq",
        a=world["ended"],
        b=world["waiting"],
    )
    dan_before = dan_snapshot()

    resp = erase(client, admin(auth))
    assert resp.status_code == 200, resp.get_json()
    summary = resp.get_json()
    pseudonym = pseudonym_for(CORA)
    assert pseudonym.startswith("erased-") and CORA not in pseudonym
    assert summary["erasedId"] == pseudonym
    assert summary["alreadyErased"] is False
    assert summary["sessionsEnded"] == 1  # the WAITING chat
    assert summary["sessions"] == 2
    assert summary["messagesRedacted"] == len(seqs_before)
    assert summary["ticketsAnonymised"] == 2
    assert summary["auditEntriesPseudonymised"] > 0
    assert datetime.fromisoformat(summary["erasedAt"]).utcoffset() is not None

    # No trace of her words, name, e-mail, profile or uid anywhere, in any column.
    for needle in ("zebra", "cora", CORA, "example.com"):
        mentions = rows_mentioning(needle)
        if needle == "example.com":
            mentions["users"] -= 1  # Dan's address
        assert mentions == dict.fromkeys(TABLES, 0), needle

    # The identity is gone; a pseudonymous row keeps the references whole.
    assert sql("SELECT count(*) FROM users WHERE id = :u", u=CORA)[0][0] == 0
    row = sql(
        "SELECT email, display_name, profile, role, erased_at FROM users WHERE id = :u",
        u=pseudonym,
    )[0]
    assert row.email is None and row.display_name is None and row.profile == {}
    assert row.role == "user" and row.erased_at is not None

    # Chats, messages (same sequence and senders, redacted) and tickets are all still there.
    assert sql("SELECT count(*) FROM tickets")[0][0] == before_counts["tickets"]
    assert sql("SELECT count(*) FROM chat_messages")[0][0] == before_counts["messages"]
    assert sql("SELECT count(*) FROM chat_sessions")[0][0] == before_counts["sessions"]
    messages = sql(
        "SELECT session_id, seq, sender_type, content, metadata, client_message_id, sender_id "
        "FROM chat_messages WHERE session_id IN (:a, :b) ORDER BY session_id, seq",
        a=world["ended"],
        b=world["waiting"],
    )
    assert [tuple(m[:3]) for m in messages] == [tuple(r) for r in seqs_before]
    assert {m.content for m in messages} == {REDACTED}
    assert all(m.metadata == {} and m.client_message_id is None for m in messages)
    assert {m.sender_id for m in messages if m.sender_type == "USER"} == {pseudonym}
    assert {m.sender_id for m in messages if m.sender_type == "AGENT"} == {"agent-1"}

    chats = sql(
        "SELECT id, user_id, status, subject, metadata FROM chat_sessions WHERE id IN (:a, :b)",
        a=world["ended"],
        b=world["waiting"],
    )
    assert {c.user_id for c in chats} == {pseudonym}
    assert {c.status for c in chats} == {"ENDED"}
    assert all(c.subject is None for c in chats)
    escalated = next(c for c in chats if c.id == world["waiting"]).metadata["escalation"]
    # Codes stay for the queue history and the figures; the summary quoting her does not.
    assert escalated["rule"] == "priority_keyword" and escalated["priority"] == "HIGH"
    assert "summary" not in escalated and "sentiment" not in escalated

    tickets = sql(
        "SELECT id, user_id, subject, description, metadata, status, priority, category "
        "FROM tickets WHERE user_id = :u",
        u=pseudonym,
    )
    assert {t.id for t in tickets} == world["tickets"]
    refund = next(t for t in tickets if t.category == "refunds")
    assert refund.subject == REDACTED and refund.description == REDACTED
    assert refund.metadata == {"reason": "refund"}
    handoff = next(t for t in tickets if t.category == "chat_escalation")
    assert handoff.subject == "Fraud report"  # a generated subject, not her words
    assert handoff.priority == "HIGH" and handoff.status == "OPEN"

    assert dan_snapshot() == dan_before

    trail = client.get(f"/api/support/audit?userId={pseudonym}", headers=admin(auth)).get_json()
    assert trail["items"][0]["action"] == "customer.erased"
    assert trail["items"][0]["actorId"] == "admin-1"
    assert trail["items"][0]["details"]["messagesRedacted"] == len(seqs_before)
    ended_by_her = [i for i in trail["items"] if i["action"] == "session.ended"]
    assert {i["actorId"] for i in ended_by_her} == {pseudonym, "admin-1"}


def test_erase_is_idempotent(client: Any, auth: Any, world: dict[str, Any]) -> None:
    first = erase(client, admin(auth)).get_json()
    state = [sql(f"SELECT t::text FROM {t} t ORDER BY 1") for t in TABLES[:-1]]

    again = erase(client, admin(auth))
    assert again.status_code == 200
    body = again.get_json()
    assert body["alreadyErased"] is True
    assert body["erasedId"] == first["erasedId"] and body["erasedAt"] == first["erasedAt"]
    assert body["messagesRedacted"] == 0 and body["sessionsEnded"] == 0
    assert [sql(f"SELECT t::text FROM {t} t ORDER BY 1") for t in TABLES[:-1]] == state
    # The repeat is recorded too.
    actions = sql("SELECT details FROM audit_events WHERE action = 'customer.erased' ORDER BY id")
    assert [a.details.get("alreadyErased", False) for a in actions] == [False, True]
    # Naming the pseudonym is the same request.
    pseudonym = first["erasedId"]
    by_pseudonym = erase(client, admin(auth), uid=pseudonym)
    assert by_pseudonym.status_code == 200 and by_pseudonym.get_json()["alreadyErased"] is True


def test_export_after_erase(client: Any, auth: Any, world: dict[str, Any]) -> None:
    pseudonym = erase(client, admin(auth)).get_json()["erasedId"]
    gone = client.get(f"{BASE}/{CORA}/export", headers=admin(auth))
    assert gone.status_code == 404 and gone.get_json()["error"]["code"] == "user_not_found"
    doc = client.get(f"{BASE}/{pseudonym}/export", headers=admin(auth)).get_json()
    assert doc["customer"]["erasedAt"] and doc["customer"]["email"] is None
    assert len(doc["sessions"]) == 2 and len(doc["tickets"]) == 2
    assert "zebra" not in json.dumps(doc).lower()


def test_a_returning_customer_starts_empty_and_can_be_erased_again(
    client: Any, auth: Any, world: dict[str, Any]
) -> None:
    pseudonym = erase(client, admin(auth)).get_json()["erasedId"]
    cora = auth(CORA, email="zebra.cora@example.com", name="Cora Zebra")
    assert client.get("/api/support/tickets/mine", headers=cora).get_json()["items"] == []
    sid = client.post("/api/support/chat/sessions/user", headers=cora).get_json()["id"]
    sent = client.get("/api/support/chat/sessions/active", headers=cora)
    assert sent.get_json()["id"] == sid and sent.get_json()["messages"] == []

    again = erase(client, admin(auth)).get_json()
    assert again["erasedId"] == pseudonym and again["alreadyErased"] is False
    assert again["sessionsEnded"] == 1 and again["sessions"] == 1
    assert sql("SELECT count(*) FROM chat_sessions WHERE user_id = :u", u=pseudonym)[0][0] == 3
    assert rows_mentioning("zebra") == dict.fromkeys(TABLES, 0)


def test_erase_ends_the_customers_live_chat_for_her_sockets(
    app: Any, client: Any, auth: Any, token: Any, world: dict[str, Any]
) -> None:
    socketio = app.extensions["socketio"]
    sock = socketio.test_client(app, auth={"token": token(CORA)})
    try:
        assert sock.is_connected()
        ack = sock.emit("join:session", {"sessionId": world["waiting"]}, callback=True)
        assert ack["ok"] is True
        sock.get_received()

        assert erase(client, admin(auth)).status_code == 200

        updates = [
            r["args"][0]["session"] for r in sock.get_received() if r["name"] == "session:updated"
        ]
        assert [u["status"] for u in updates] == ["ENDED"]
        # Her chats are no longer hers: no sending, no history.
        sent = sock.emit(
            "message:send", {"sessionId": world["waiting"], "content": "hi"}, callback=True
        )
        assert sent["ok"] is False and sent["error"]["code"] == "forbidden"
        joined = sock.emit("join:session", {"sessionId": world["ended"]}, callback=True)
        assert joined["ok"] is False and joined["error"]["code"] == "forbidden"
    finally:
        sock.disconnect()


# ---- who may, and bad input -------------------------------------------------------------------

ROLES = [
    ("none", None, 401),
    ("the customer herself", (CORA, "user"), 403),
    ("another customer", (DAN, "user"), 403),
    ("an agent", ("agent-1", "agent"), 403),
    ("an admin", ("admin-1", "admin"), 200),
]


@pytest.mark.parametrize(("who", "caller", "expected"), ROLES, ids=[r[0] for r in ROLES])
def test_only_admins_export_or_erase(
    client: Any, auth: Any, world: dict[str, Any], who: str, caller: Any, expected: int
) -> None:
    headers = auth(*caller) if caller else {}
    export = client.get(f"{BASE}/{CORA}/export", headers=headers)
    assert export.status_code == expected
    erased = erase(client, headers)
    assert erased.status_code == expected
    if expected != 200:
        assert erased.get_json()["error"]["code"] in {"unauthorized", "forbidden"}
        assert sql("SELECT count(*) FROM users WHERE id = :u", u=CORA)[0][0] == 1
        assert rows_mentioning("zebra")["chat_messages"] > 0


def test_unknown_customer_is_404_and_staff_are_not_customers(
    client: Any, auth: Any, world: dict[str, Any]
) -> None:
    for resp in (
        client.get(f"{BASE}/nobody/export", headers=admin(auth)),
        erase(client, admin(auth), uid="nobody"),
    ):
        assert resp.status_code == 404
        assert resp.get_json()["error"]["code"] == "user_not_found"
    for resp in (
        client.get(f"{BASE}/agent-1/export", headers=admin(auth)),
        erase(client, admin(auth), uid="agent-1"),
    ):
        assert resp.status_code == 409
        assert resp.get_json()["error"]["code"] == "not_a_customer"
    assert sql("SELECT display_name FROM users WHERE id = 'agent-1'")[0][0] == "Ada Agent"


BAD_BODIES = [
    ("no body", {"data": b""}, 422, "validation_error"),
    ("no confirm", {"json": {}}, 422, "validation_error"),
    ("confirm of someone else", {"json": {"confirm": DAN}}, 400, "confirmation_mismatch"),
    ("confirm wrong case", {"json": {"confirm": CORA.upper()}}, 400, "confirmation_mismatch"),
    ("confirm not a string", {"json": {"confirm": 42}}, 422, "validation_error"),
    ("confirm empty", {"json": {"confirm": ""}}, 422, "validation_error"),
    ("unknown field", {"json": {"confirm": CORA, "force": True}}, 422, "validation_error"),
    ("a list", {"json": [CORA]}, 422, "validation_error"),
    (
        "malformed JSON",
        {"data": b'{"confirm": ', "content_type": "application/json"},
        400,
        "invalid_json",
    ),
]


@pytest.mark.parametrize(
    ("case", "kwargs", "status", "code"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES]
)
def test_erase_refuses_bad_input_and_changes_nothing(
    client: Any,
    auth: Any,
    world: dict[str, Any],
    case: str,
    kwargs: dict[str, Any],
    status: int,
    code: str,
) -> None:
    before = [sql(f"SELECT t::text FROM {t} t ORDER BY 1") for t in TABLES[:-1]]
    resp = client.post(f"{BASE}/{CORA}/erase", headers=admin(auth), **kwargs)
    assert resp.status_code == status, resp.get_json()
    error = resp.get_json()["error"]
    assert error["code"] == code and error["message"]
    assert [sql(f"SELECT t::text FROM {t} t ORDER BY 1") for t in TABLES[:-1]] == before
    # Nor did the refused request end her open chat.
    assert sql("SELECT status FROM chat_sessions WHERE id = :s", s=world["waiting"])[0][0] == (
        "WAITING"
    )

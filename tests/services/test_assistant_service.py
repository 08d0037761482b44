"""What the assistant reads and writes (services/assistant.py), on PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from livechat import runtime


def _identity(uid: str, role: str = "user") -> Any:
    from livechat.models import Role
    from livechat.services.users import Identity

    return Identity(uid=uid, role=Role(role))


@pytest.fixture()
def chat(ctx: Any, make_user: Any) -> str:
    """An open chat of cust-a (profile set) with two customer messages."""
    from livechat.extensions import db
    from livechat.services import messages, sessions

    user = make_user("cust-a")
    user.profile = {"plan": "premium"}
    db.session.commit()
    make_user("agent-a", "agent")
    sid = sessions.open_session(user)[0].id
    messages.post_message(_identity("cust-a"), sid, "first")
    messages.post_message(_identity("cust-a"), sid, "second")
    return sid


def _rows(sid: str) -> list[tuple[int, str, str]]:
    from livechat.extensions import db
    from livechat.models import ChatMessage

    db.session.remove()
    return [
        (m.seq, m.sender_type.value, m.content)
        for m in db.session.scalars(
            sa.select(ChatMessage).where(ChatMessage.session_id == sid).order_by("seq")
        )
    ]


def test_load_turn_reads_the_pending_messages_history_and_profile(chat: str) -> None:
    from livechat.services import assistant

    ctx = assistant.load_turn(chat)
    assert ctx is not None
    assert [p[1:] for p in ctx.pending] == [("first", 1), ("second", 2)]
    assert ctx.history == [("USER", "first", 1), ("USER", "second", 2)]
    assert ctx.profile == {"plan": "premium"} and ctx.user_id == "cust-a" and ctx.last_seq == 2
    assert ctx.unresolved_tickets == 0 and ctx.open_tickets == []

    assistant.post_reply(chat, "an answer", {"provider": "test"})
    assert assistant.load_turn(chat).pending == []  # answered: nothing pending


def test_load_turn_is_none_where_the_assistant_must_not_answer(chat: str, make_user: Any) -> None:
    from livechat.services import assistant, sessions

    assert assistant.load_turn("no-such-chat") is None
    sessions.assign_agent(_identity("agent-a", "agent"), chat)
    assert assistant.load_turn(chat) is None


def test_post_reply_stores_the_next_seq_masks_cards_and_publishes(
    app: Any, chat: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from livechat.events import MessagePosted
    from livechat.services import assistant

    seen: list[Any] = []
    runtime.bus(app).subscribe(MessagePosted, seen.append)
    message = assistant.post_reply(chat, "card 4111 1111 1111 1111 is fine", {"k": "v"})
    assert message.seq == 3
    assert _rows(chat)[-1] == (3, "AI", message.content)
    assert "4111 1111 1111 1111" not in message.content
    assert [e.message["id"] for e in seen] == [message.id]
    assert seen[0].message["seq"] == 3 and seen[0].message["senderType"] == "AI"


def test_post_reply_is_refused_once_a_human_took_over(chat: str, make_user: Any) -> None:
    from livechat.errors import Conflict, NotFound
    from livechat.services import assistant, sessions

    sessions.assign_agent(_identity("agent-a", "agent"), chat)
    with pytest.raises(Conflict) as err:
        assistant.post_reply(chat, "too late", {})
    assert err.value.code == "ai_not_allowed"
    with pytest.raises(NotFound):
        assistant.post_reply("no-such-chat", "nobody", {})
    assert [r[1] for r in _rows(chat)] == ["USER", "USER"]


def _meta(chat: str, mid: str) -> tuple[Any, Any]:
    """(customer message metadata, session metadata), fresh from the database."""
    from livechat.extensions import db
    from livechat.models import ChatMessage, ChatSession

    db.session.remove()
    return db.session.get(ChatMessage, mid).meta, db.session.get(ChatSession, chat).meta


def test_post_reply_stores_the_turns_analysis_with_the_reply(chat: str) -> None:
    from livechat.extensions import db
    from livechat.models import ChatSession
    from livechat.services import assistant

    mid = assistant.load_turn(chat).pending[-1][0]
    session = db.session.get(ChatSession, chat)
    session.meta = {"kept": 1}
    db.session.commit()
    reply = assistant.post_reply(chat, "an answer", {"k": "v"}, analysis=(mid, {"intent": "fees"}))
    assert reply.seq == 3 and reply.meta == {"k": "v"}
    message_meta, session_meta = _meta(chat, mid)
    assert message_meta["analysis"] == {"intent": "fees"}
    assert session_meta == {"kept": 1, "analysis": {"intent": "fees"}}
    # Without one, the session's metadata is left as it is (NULL stays NULL).
    session = db.session.get(ChatSession, chat)
    session.meta = None
    db.session.commit()
    assistant.post_reply(chat, "another answer", {})
    assert _meta(chat, mid)[1] is None


def test_a_refused_reply_stores_no_analysis_either(chat: str) -> None:
    from livechat.errors import Conflict
    from livechat.services import assistant, sessions

    mid = assistant.load_turn(chat).pending[-1][0]
    sessions.assign_agent(_identity("agent-a", "agent"), chat)
    with pytest.raises(Conflict):
        assistant.post_reply(chat, "too late", {}, analysis=(mid, {"intent": "fees"}))
    message_meta, session_meta = _meta(chat, mid)
    assert "analysis" not in (message_meta or {})
    assert "analysis" not in (session_meta or {})
    assert [r[1] for r in _rows(chat)] == ["USER", "USER"]


def test_record_analysis_merges_into_both_rows(chat: str) -> None:
    from livechat.extensions import db
    from livechat.models import ChatMessage, ChatSession
    from livechat.services import assistant

    ctx = assistant.load_turn(chat)
    mid = ctx.pending[-1][0]
    session = db.session.get(ChatSession, chat)
    session.meta = {"kept": 1}
    db.session.commit()
    assistant.record_analysis(chat, mid, {"intent": "fees"})
    assistant.record_analysis("no-such-chat", mid, {"intent": "x"})  # no match: no change
    assistant.record_analysis(chat, "no-such-message", {"intent": "y"})
    db.session.remove()
    assert db.session.get(ChatMessage, mid).meta["analysis"] == {"intent": "fees"}
    assert db.session.get(ChatSession, chat).meta == {"kept": 1, "analysis": {"intent": "fees"}}


def test_awaiting_reply_finds_unanswered_customer_messages(chat: str, make_user: Any) -> None:
    from livechat.extensions import db
    from livechat.services import assistant, messages, sessions

    # Another open chat, answered by the assistant; a third, assigned to an agent.
    answered = sessions.open_session(make_user("cust-b"))[0].id
    messages.post_message(_identity("cust-b"), answered, "hi")
    assistant.post_reply(answered, "hello", {})
    taken = sessions.open_session(make_user("cust-c"))[0].id
    messages.post_message(_identity("cust-c"), taken, "hi")
    sessions.assign_agent(_identity("agent-a", "agent"), taken)

    assert assistant.awaiting_reply(0, 600) == [chat]
    assert assistant.awaiting_reply(60, 600) == []  # too recent for a periodic check
    db.session.execute(
        sa.text(
            "UPDATE chat_messages SET created_at = created_at - interval '1 hour' "
            "WHERE session_id = :sid"
        ),
        {"sid": chat},
    )
    db.session.commit()
    assert assistant.awaiting_reply(0, 600) == []  # too old to answer now


def test_pending_counts_what_the_last_reply_did_not_answer(chat: str) -> None:
    """A reply records the last customer message it answered (answeredSeq): one stored while
    the reply waited (lower seq than the reply) is still pending, older ones are not."""
    from livechat.extensions import db
    from livechat.services import assistant, messages

    assistant.post_reply(chat, "answer to first", {"answeredSeq": 1})  # seq 3; "second" is 2
    db.session.commit()
    assert [t for _, t, _ in assistant.load_turn(chat).pending] == ["second"]
    messages.post_message(_identity("cust-a"), chat, "third")  # seq 4
    assert [t for _, t, _ in assistant.load_turn(chat).pending] == ["second", "third"]
    assistant.post_reply(chat, "answer to both", {"answeredSeq": 4})  # seq 5
    assert assistant.load_turn(chat).pending == []
    assistant.post_reply(chat, "a reply of an older version", {})  # no answeredSeq: as before
    messages.post_message(_identity("cust-a"), chat, "fourth")
    assert [t for _, t, _ in assistant.load_turn(chat).pending] == ["fourth"]


def test_load_turn_reads_the_latest_window_and_the_unresolved_tickets(
    chat: str, make_user: Any
) -> None:
    from livechat.extensions import db
    from livechat.models import Ticket, TicketPriority, TicketStatus
    from livechat.services import assistant, messages

    for i in range(assistant.HISTORY_WINDOW + 3):  # 2 + 43 messages: the oldest fall out
        messages.post_message(_identity("cust-a"), chat, f"m{i}")
    for subject, status in [
        ("Card blocked", TicketStatus.OPEN),
        ("Refund", TicketStatus.IN_PROGRESS),
        ("Old issue", TicketStatus.RESOLVED),
    ]:
        db.session.add(
            Ticket(
                user_id="cust-a",
                subject=subject,
                status=status,
                priority=TicketPriority.HIGH,
                created_by="cust-a",
            )
        )
        db.session.commit()
    ctx = assistant.load_turn(chat)
    assert len(ctx.history) == assistant.HISTORY_WINDOW
    assert [seq for _, _, seq in ctx.history] == list(range(6, 46))  # the latest 40, in order
    assert ctx.history[-1] == ("USER", "m42", 45)
    assert ctx.unresolved_tickets == 2
    assert sorted(t["subject"] for t in ctx.open_tickets) == ["Card blocked", "Refund"]
    assert {t["status"] for t in ctx.open_tickets} == {"OPEN", "IN_PROGRESS"}
    assert {t["priority"] for t in ctx.open_tickets} == {"HIGH"}

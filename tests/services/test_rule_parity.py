"""The same scenarios through every path that applies a rule, with the same outcome.

Posting: a message sent alone (a batch of one) and the same message sharing a batch with other
chats' messages, against the rule's Python form (what post_message explains a refusal with) and
its SQL fragment (what the batched statement checks). The assistant: the reply statement, the
turn's read, the unanswered-chats sweep, the listener and the Python form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gevent
import pytest
import sqlalchemy as sa

from tests.support.batches import batch_counts

STORED = "stored"


def _identity(uid: str, role: str = "user") -> Any:
    from livechat.models import Role
    from livechat.services.users import Identity

    return Identity(uid=uid, role=Role(role))


CUSTOMER = _identity("cust-a")
AGENT = _identity("agent-1", "agent")
OTHER_AGENT = _identity("agent-2", "agent")
STRANGER = _identity("cust-b")


def _chat(make_user: Any) -> str:
    """cust-a's open chat with one message of hers; agents and another customer exist."""
    from livechat.services import messages, sessions

    for uid in ("cust-b", "cust-f0", "cust-f1", "cust-f2"):
        make_user(uid)
    make_user("agent-1", "agent")
    make_user("agent-2", "agent")
    sid = sessions.open_session(make_user("cust-a"))[0].id
    messages.post_message(CUSTOMER, sid, "hello")
    return sid


def _assigned(sid: str) -> None:
    from livechat.services import sessions

    sessions.assign_agent(AGENT, sid)


def _waiting(sid: str) -> None:
    from livechat.services import escalation

    escalation.escalate(sid, reason="human_request", requested_by="AI_ASSISTANT")


def _ended(sid: str) -> None:
    from livechat.services import sessions

    sessions.end_session(CUSTOMER, sid)


def _erased(sid: str) -> None:
    from livechat.services import privacy

    privacy.erase_customer(privacy.CLI_ADMIN, "cust-a", confirm="cust-a")


def _as_is(sid: str) -> None:
    pass


# (state of cust-a's chat, who posts, expected outcome)
POSTING = {
    "the customer": (_as_is, CUSTOMER, STORED),
    "the assigned agent": (_assigned, AGENT, STORED),
    "the customer after a human took over": (_assigned, CUSTOMER, STORED),
    "refused sender: another customer": (_as_is, STRANGER, "forbidden"),
    "ended chat": (_ended, CUSTOMER, "session_ended"),
    "ended chat, its agent": (lambda s: (_assigned(s), _ended(s)), AGENT, "session_ended"),
    "unassigned agent: the chat is another's": (_assigned, OTHER_AGENT, "not_assigned"),
    "unassigned agent: the chat waits": (_waiting, AGENT, "not_assigned"),
    "erased customer": (_erased, CUSTOMER, "forbidden"),
    "erased customer, her agent": (lambda s: (_assigned(s), _erased(s)), AGENT, "session_ended"),
}


def _outcome(call: Callable[[], Any]) -> str:
    from livechat.errors import DomainError
    from livechat.extensions import db

    try:
        call()
        return STORED
    except DomainError as exc:
        db.session.rollback()
        return exc.code


def _in_a_batch(app: Any, actor: Any, sid: str, content: str) -> str:
    """Send with three other chats' messages, all queued before the writer wakes."""
    from livechat.extensions import db
    from livechat.services import messages, sessions

    fillers = [_identity(f"cust-f{i}") for i in range(3)]
    chats = [sessions.open_session(f)[0].id for f in fillers]
    db.session.rollback()
    sends = [(actor, sid, content)] + [
        (f, c, "filler") for f, c in zip(fillers, chats, strict=True)
    ]

    def send(who: Any, chat: str, text: str) -> str:
        with app.app_context():
            try:
                return _outcome(lambda: messages.post_message(who, chat, text))
            finally:
                db.session.remove()

    before = batch_counts(app)
    jobs = [gevent.spawn(send, *s) for s in sends]
    gevent.joinall(jobs, raise_error=True)
    statements, messages_in_them = (a - b for a, b in zip(batch_counts(app), before, strict=True))
    # Each message went to the statement once, and they really shared one.
    assert messages_in_them == len(sends) and statements < len(sends)
    assert [j.value for j in jobs[1:]] == [STORED] * 3  # its neighbours are unaffected
    return jobs[0].value


def _messages(sid: str) -> list[tuple[str, str]]:
    from livechat.extensions import db
    from livechat.models import ChatMessage

    db.session.rollback()
    return [
        (m.sender_id, m.content)
        for m in db.session.scalars(
            sa.select(ChatMessage).where(ChatMessage.session_id == sid).order_by(ChatMessage.seq)
        )
    ]


@pytest.mark.parametrize("scenario", sorted(POSTING))
def test_posting_alone_and_in_a_batch_agree_with_the_rule(
    app: Any, ctx: Any, make_user: Any, scenario: str
) -> None:
    from livechat.extensions import db
    from livechat.models import ChatSession
    from livechat.services import messages, rules

    arrange, actor, expected = POSTING[scenario]
    sid = _chat(make_user)
    arrange(sid)
    db.session.rollback()
    before = _messages(sid)

    alone = _outcome(lambda: messages.post_message(actor, sid, "alone", client_message_id="1"))
    batched = _in_a_batch(app, actor, sid, "batched")
    assert alone == batched == expected

    # The rule itself, both forms, on the chat as it is now.
    session = db.session.get(ChatSession, sid)
    refusal = rules.posting_refusal(actor.id, actor.role.is_staff, session)
    assert (refusal.code if refusal else STORED) == expected
    allowed = db.session.scalar(
        sa.text(
            f"SELECT {rules.may_post_sql('s', ':actor', ':staff')} FROM chat_sessions s"
            " WHERE s.id = :sid"
        ),
        {"actor": actor.id, "staff": actor.role.is_staff, "sid": sid},
    )
    assert allowed is (expected == STORED)
    written = _messages(sid)[len(before) :]
    assert written == ([(actor.id, "alone"), (actor.id, "batched")] if allowed else [])


def test_posting_to_an_unknown_chat_is_not_found_alone_and_in_a_batch(
    app: Any, ctx: Any, make_user: Any
) -> None:
    from livechat.services import messages

    _chat(make_user)
    alone = _outcome(lambda: messages.post_message(CUSTOMER, "no-such-chat", "x"))
    assert alone == _in_a_batch(app, CUSTOMER, "no-such-chat", "x") == "session_not_found"


# (state of cust-a's chat, the assistant may answer)
ASSISTANT = {
    "the assistant's chat": (_as_is, True),
    "human took over": (_assigned, False),
    "unassigned agent: waiting for a human": (_waiting, False),
    "ended chat": (_ended, False),
    "erased customer": (_erased, False),
}


@pytest.mark.parametrize("scenario", sorted(ASSISTANT))
def test_every_assistant_path_agrees_with_the_rule(
    app: Any, ctx: Any, make_user: Any, scenario: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from livechat.events import MessagePosted
    from livechat.extensions import db
    from livechat.listeners import assistant as listener
    from livechat.models import ChatSession
    from livechat.services import assistant, rules

    arrange, may_answer = ASSISTANT[scenario]
    sid = _chat(make_user)
    arrange(sid)
    db.session.rollback()
    session = db.session.get(ChatSession, sid)
    status, agent_id = session.status.value, session.agent_id
    db.session.rollback()

    assert rules.assistant_may_answer(status, agent_id) is may_answer
    # The listener decides from the event's copy of the session's state.
    started: list[str] = []
    dispatch = type("Dispatch", (), {"customer_message": lambda self, s: started.append(s)})()
    monkeypatch.setitem(app.extensions, "livechat.ai.dispatch", dispatch)
    listener.on_message_posted(MessagePosted(sid, {"senderType": "USER"}, status, agent_id))
    assert started == ([sid] if may_answer else [])
    # The reads: the turn's context, and the sweep for unanswered customer messages.
    assert (assistant.load_turn(sid) is not None) is may_answer
    assert (sid in assistant.awaiting_reply(0, 600)) is may_answer
    # The write: the reply statement.
    before = _messages(sid)
    outcome = _outcome(lambda: assistant.post_reply(sid, "an answer", {}))
    assert outcome == (STORED if may_answer else "ai_not_allowed")
    assert len(_messages(sid)) == len(before) + (1 if may_answer else 0)


def test_a_reply_to_an_unknown_chat_is_not_found(ctx: Any) -> None:
    from livechat.services import assistant

    assert assistant.load_turn("no-such-chat") is None
    assert _outcome(lambda: assistant.post_reply("no-such-chat", "x", {})) == "session_not_found"

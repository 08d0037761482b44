"""Session and message rules that need the database to hold under concurrency."""

from __future__ import annotations

from typing import Any

import gevent
import pytest
import sqlalchemy as sa


def test_one_open_session_per_user_is_enforced_by_the_database(ctx: Any, make_user: Any) -> None:
    from livechat.extensions import db
    from livechat.models import ChatSession, SessionStatus
    from livechat.services import sessions

    user = make_user("cust-1")
    sessions.open_session(user)
    # Bypass the service: the partial unique index must refuse a second open session.
    db.session.add(ChatSession(user_id="cust-1", status=SessionStatus.WAITING, meta={}))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()
    # An ENDED one is fine.
    db.session.add(ChatSession(user_id="cust-1", status=SessionStatus.ENDED, meta={}))
    db.session.commit()


def test_concurrent_opens_yield_one_session(app: Any, make_user: Any) -> None:
    from livechat.extensions import db
    from livechat.services import sessions

    make_user("cust-1")

    def open_one() -> tuple[str, bool]:
        with app.app_context():
            from livechat.models import User

            try:
                s, created = sessions.open_session(db.session.get(User, "cust-1"))
                return s.id, created
            finally:
                db.session.remove()

    jobs = [gevent.spawn(open_one) for _ in range(8)]
    gevent.joinall(jobs, raise_error=True)
    ids = {j.value[0] for j in jobs}
    assert len(ids) == 1
    assert sum(1 for j in jobs if j.value[1]) == 1


def test_a_customer_erased_while_signing_in_gets_a_retryable_conflict(
    ctx: Any, make_user: Any
) -> None:
    """The request signed the customer in, then an erasure replaced their row by a pseudonym
    before the chat was stored: a 409 the client may resend (it then signs in a new, empty
    customer), not a 500 from the foreign key."""
    from livechat.extensions import db
    from livechat.models import ChatSession, User
    from livechat.services import privacy, sessions

    admin = make_user("admin-1", "admin")
    customer = make_user("cust-gone")
    signed_in = User(id=customer.id, role=customer.role)  # the request's actor, as it was
    privacy.erase_customer(admin, "cust-gone", confirm="cust-gone")
    with pytest.raises(sessions.AccountChanged) as caught:
        sessions.open_session(signed_in)
    assert caught.value.status == 409
    assert caught.value.to_dict()["code"] == "account_changed"
    assert caught.value.to_dict()["retryable"] is True
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ChatSession)) == 0
    # Sent again, the request signs in a new customer, who gets a chat.
    session, created = sessions.open_session(make_user("cust-gone"))
    assert created and session.user_id == "cust-gone"


def test_concurrent_posts_get_increasing_unique_sequence_numbers(app: Any, make_user: Any) -> None:
    from livechat.extensions import db
    from livechat.models import ChatMessage, User
    from livechat.services import messages, sessions

    session, _ = sessions.open_session(make_user("cust-1"))
    sid = session.id  # ORM objects stay in their own greenlet's session

    def post(i: int) -> int:
        with app.app_context():
            try:
                user = db.session.get(User, "cust-1")
                # Every other send is a retry of the same client id: stored once.
                cid = f"c-{i // 2}"
                msg, _ = messages.post_message(user, sid, f"m{i}", client_message_id=cid)
                return msg.seq
            finally:
                db.session.remove()

    jobs = [gevent.spawn(post, i) for i in range(20)]
    gevent.joinall(jobs, raise_error=True)
    db.session.remove()
    seqs = sorted(
        db.session.scalars(sa.select(ChatMessage.seq).where(ChatMessage.session_id == sid)).all()
    )
    # Ten messages, strictly increasing; a number may be skipped only where two copies of one
    # message raced (the loser stored nothing).
    assert len(seqs) == 10 and seqs == sorted(set(seqs))
    # Both sends of one client id got the same stored message.
    assert len({j.value for j in jobs}) == 10


def test_escalation_opens_a_ticket_and_is_idempotent(ctx: Any, make_user: Any) -> None:
    from livechat.extensions import db
    from livechat.models import SessionStatus, Ticket, TicketPriority
    from livechat.services import escalation, sessions

    user = make_user("cust-1")
    session, _ = sessions.open_session(user)
    s, ticket = escalation.escalate(
        session.id,
        reason="fraud_report",
        priority=TicketPriority.URGENT,
        requested_by="AI_ASSISTANT",
    )
    assert s.status == SessionStatus.WAITING and s.waiting_since is not None
    assert ticket is not None and ticket.session_id == session.id
    assert s.meta["escalation"]["ticketId"] == ticket.id
    again, none = escalation.escalate(session.id, reason="x", requested_by="AI_ASSISTANT")
    assert none is None and again.meta["escalation"]["reason"] == "fraud_report"
    # The second escalation opened no second ticket.
    count = sa.select(sa.func.count()).select_from(Ticket).where(Ticket.user_id == "cust-1")
    assert db.session.scalar(count) == 1


def test_customer_may_end_own_session(ctx: Any, make_user: Any) -> None:
    from livechat.errors import Forbidden
    from livechat.extensions import db
    from livechat.models import SessionStatus
    from livechat.services import sessions

    session, _ = sessions.open_session(make_user("cust-1"))
    with pytest.raises(Forbidden):
        sessions.end_session(make_user("cust-2"), session.id)
    db.session.rollback()  # as REST and sockets do: a refusal releases the row lock it took
    assert sessions.end_session(make_user("cust-1"), session.id).status == SessionStatus.ENDED


def test_ai_and_system_messages(ctx: Any, make_user: Any) -> None:
    from livechat.services import assistant, escalation, sessions

    session, _ = sessions.open_session(make_user("cust-1"))
    ai = assistant.post_reply(session.id, "Hello!", {})
    # A SYSTEM notice is written with the escalation that it announces.
    escalated, _ = escalation.escalate(
        session.id, reason="x", requested_by="AI_ASSISTANT", notice=lambda p, m: "Notice"
    )
    notice = sessions.recent_messages(escalated.id)[-1]
    assert (ai.sender_id, ai.seq) == ("AI_ASSISTANT", 1)
    assert (notice.sender_id, notice.seq, notice.content) == ("SYSTEM", 2, "Notice")

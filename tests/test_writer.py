"""livechat/writer.py: built by create_app, units of work never commit their caller's work, and a
crashed writer says so at once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import gevent
import pytest
import sqlalchemy as sa

from livechat import runtime


def _identity(uid: str) -> Any:
    from livechat.models import Role
    from livechat.services.users import Identity

    return Identity(uid=uid, role=Role.USER)


@pytest.fixture()
def chat(ctx: Any, make_user: Any) -> str:
    from livechat.extensions import db
    from livechat.services import sessions

    sid = sessions.open_session(make_user("cust-a"))[0].id
    db.session.rollback()
    return sid


def test_create_app_builds_the_writer_and_the_autocommit_helper(app: Any) -> None:
    from livechat.writer import Autocommit, GroupCommitWriter

    writer = runtime.writer(app)
    assert isinstance(writer, GroupCommitWriter) and not writer._greenlet.dead
    assert isinstance(runtime.autocommit(app), Autocommit)


def _change_subject(sid: str) -> None:
    from livechat.extensions import db
    from livechat.models import ChatSession

    db.session.get(ChatSession, sid).subject = "pending, not flushed"


def _update_subject(sid: str) -> None:
    from livechat.extensions import db

    db.session.execute(
        sa.text("UPDATE chat_sessions SET subject = 'written, not committed' WHERE id = :sid"),
        {"sid": sid},
    )


def _lock(sid: str) -> None:
    from livechat.services.access import find_session

    find_session(sid, lock=True)


def _post(sid: str) -> None:
    from livechat.services import messages

    messages.post_message(_identity("cust-a"), sid, "hello")


def _reply(sid: str) -> None:
    from livechat.services import assistant

    assistant.post_reply(sid, "an answer", {})


def test_the_writer_plans_its_statement_once_on_a_connection_of_its_own(
    app: Any, chat: str
) -> None:
    """Generic plans on the writer's connection (not the app's pool, whose queries keep theirs):
    a batch is not planned again for every batch."""
    from livechat.extensions import db
    from livechat.services import messages

    writer = runtime.writer(app)
    with writer._engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW plan_cache_mode").scalar() == "force_generic_plan"
    with app.app_context():
        assert db.session.execute(sa.text("SHOW plan_cache_mode")).scalar() == "auto"
        db.session.rollback()
    assert writer._engine is not db.engine and writer._engine.pool.size() == 1
    # Stored through it, in order, more times than psycopg waits before preparing.
    for i in range(8):
        message, created = messages.post_message(_identity("cust-a"), chat, f"m{i}")
        assert created and message.seq == i + 1


@pytest.mark.parametrize("unit", [_post, _reply], ids=["batched writer", "autocommit"])
@pytest.mark.parametrize(
    "work", [_change_subject, _update_subject, _lock], ids=["pending", "written", "row lock"]
)
def test_a_unit_of_work_fails_loudly_on_a_transaction_holding_work(
    chat: str, work: Callable[[str], None], unit: Callable[[str], None]
) -> None:
    from livechat.extensions import db
    from livechat.models import ChatMessage, ChatSession
    from livechat.writer import TransactionAlreadyOpen

    work(chat)
    with pytest.raises(TransactionAlreadyOpen):
        unit(chat)
    # Neither committed nor thrown away: the caller's transaction is still the caller's.
    assert db.session().in_transaction()
    db.session.rollback()
    assert db.session.get(ChatSession, chat).subject is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ChatMessage)) == 0


@pytest.mark.parametrize("unit", [_post, _reply], ids=["batched writer", "autocommit"])
def test_a_transaction_that_only_read_is_ended_and_the_work_done(
    chat: str, unit: Callable[[str], None]
) -> None:
    from livechat.extensions import db
    from livechat.models import ChatMessage, ChatSession

    assert db.session.get(ChatSession, chat) is not None  # a read: the transaction is open
    assert db.session().in_transaction()
    unit(chat)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ChatMessage)) == 1


def test_a_crashed_writer_fails_its_callers_at_once_and_logs(
    app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from livechat.extensions import db
    from livechat.writer import GroupCommitWriter

    def broken(conn: Any, items: list[Any]) -> list[Any]:
        return []  # one result too few: a bug, which the writer does not survive

    with app.app_context():
        writer = GroupCommitWriter(db.engine, lambda seconds, size: None)
    try:
        with caplog.at_level(logging.CRITICAL, logger="livechat.writer"):
            with pytest.raises(RuntimeError, match="crashed"):
                writer.submit(broken, "first")
            gevent.sleep(0)  # the exception link runs
        assert any("crashed" in r.getMessage() for r in caplog.records)
        with gevent.Timeout(1):  # no waiting for WAIT_SECONDS
            with pytest.raises(RuntimeError, match="crashed"):
                writer.submit(broken, "later")
    finally:
        writer.shutdown()


def test_a_stopped_writer_refuses_new_work(app: Any) -> None:
    from livechat.extensions import db
    from livechat.writer import GroupCommitWriter

    with app.app_context():
        writer = GroupCommitWriter(db.engine, lambda seconds, size: None)
    assert writer.submit(lambda conn, items: [i * 2 for i in items], 21) == 42
    writer.shutdown()
    with pytest.raises(RuntimeError, match="stopped"):
        writer.submit(lambda conn, items: items, 1)

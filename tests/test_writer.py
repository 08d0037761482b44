"""livechat/writer.py: built by create_app, and a crashed writer says so at once."""

from __future__ import annotations

import logging
from typing import Any

import gevent
import pytest


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

    writer = app.extensions["livechat.writer"]
    assert isinstance(writer, GroupCommitWriter) and not writer._greenlet.dead
    assert isinstance(app.extensions["livechat.autocommit"], Autocommit)


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

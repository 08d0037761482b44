"""The test infrastructure itself: isolation between tests, gevent-friendly database I/O."""

from __future__ import annotations

from typing import Any

import gevent
import sqlalchemy as sa


def _count_users() -> int:
    from livechat.extensions import db
    from livechat.models import User

    return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def test_isolation_canary_a(ctx: Any, make_user: Any) -> None:
    assert _count_users() == 0
    make_user("canary")
    assert _count_users() == 1


def test_isolation_canary_b(ctx: Any, make_user: Any) -> None:
    # Runs after canary_a: its user must be gone.
    assert _count_users() == 0
    make_user("canary")
    assert _count_users() == 1


def test_database_waits_yield_to_other_greenlets(app: Any) -> None:
    """psycopg 3 imported after monkey-patching: a slow query does not freeze the hub."""
    from livechat.extensions import db

    order: list[str] = []

    def slow_query() -> None:
        with app.app_context():
            db.session.execute(sa.text("SELECT pg_sleep(0.5)"))
            db.session.remove()
        order.append("query done")

    def other() -> None:
        gevent.sleep(0.05)  # a timer: it fires only if the hub runs while the query waits
        order.append("other ran")

    gevent.joinall([gevent.spawn(slow_query), gevent.spawn(other)], raise_error=True)
    assert order == ["other ran", "query done"]

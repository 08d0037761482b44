"""Fuzzing fixtures: an app without rate limits, row counts, a watch on error logs, clients.

Hypothesis runs many examples inside one test, while the suite truncates tables only after each
test. So the fuzz tests never assume an empty database: they compare row counts before and after
each example, and the state the examples share (users, sessions) is built once per test.

The fuzzed app has its rate limits switched off (RATE_LIMITS_ENABLED=false, the benchmark
switch): otherwise, after the first few valid examples, every later one would be answered
``rate_limited`` before reaching the code under test. The limits have their own tests.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis.configuration import set_hypothesis_home_dir

from tests.support import leaks
from tests.support.apps import app_with_env
from tests.support.sockets import socket_clients

# Hypothesis caches what it learns about the code under .hypothesis/ in the working directory:
# keep the work tree clean (the examples are derandomized, nothing is lost).
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "livechat-hypothesis")

COUNTED_TABLES = (
    "canned_responses",
    "chat_messages",
    "chat_notes",
    "chat_sessions",
    "tickets",
    "users",
)


@pytest.fixture(scope="session")
def fuzz_app(app: Any, pg_url: str) -> Iterator[Any]:
    """The app on the suite's database and key, with every rate limit off."""
    from livechat import shutdown_app

    application = app_with_env(
        DATABASE_URL=pg_url, SECRET_KEY=app.config["SECRET_KEY"], RATE_LIMITS_ENABLED="false"
    )
    yield leaks.enduring(application)
    shutdown_app(application)


@pytest.fixture()
def fuzz_token(fuzz_app: Any) -> Callable[..., str]:
    """fuzz_token(uid, role="user", **claims) -> a dev token."""
    from livechat import runtime

    verifier = runtime.verifier(fuzz_app)

    def issue(uid: str, role: str = "user", **claims: Any) -> str:
        return verifier.issue(uid, role=role, **claims)

    return issue


@pytest.fixture()
def fuzz_sio(fuzz_app: Any, fuzz_token: Any) -> Iterator[Callable[..., Any]]:
    """fuzz_sio(uid, role="user", namespace="/") -> a connected Socket.IO test client."""
    with socket_clients(fuzz_app, fuzz_token) as connect:
        yield connect


@pytest.fixture()
def table_counts(fuzz_app: Any) -> Callable[[], dict[str, int]]:
    """table_counts() -> rows per table, read on a connection of its own (no open transaction)."""
    from livechat.extensions import db

    query = sa.text(
        "SELECT " + ", ".join(f"(SELECT count(*) FROM {table})" for table in COUNTED_TABLES)
    )

    def count() -> dict[str, int]:
        with fuzz_app.app_context(), db.engine.connect() as conn:
            return dict(zip(COUNTED_TABLES, conn.execute(query).one(), strict=True))

    return count


class ErrorLog(logging.Handler):
    """Collects ERROR records from every logger (an unhandled exception is always logged)."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def take(self) -> list[str]:
        """The messages logged since the last call (and forgets them)."""
        out = [
            f"{r.name}: {r.getMessage()}" + (f" [{r.exc_info[1]!r}]" if r.exc_info else "")
            for r in self.records
        ]
        self.records.clear()
        return out


@pytest.fixture()
def error_log() -> Iterator[ErrorLog]:
    handler = ErrorLog()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)

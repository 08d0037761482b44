"""Writes that bypass the ORM session: the group-commit writer and one-statement units of work.

Both are infrastructure built once per app by ``init_writer`` (in ``create_app``) and stopped by
``shutdown_app``. They know nothing of chats: the SQL and its rules live with the services that
own them (services/messages_sql.py, services/assistant.py), which hand it over.

- ``submit(statement, item)``: the app's writer greenlet takes everything queued since its last
  statement (one item when quiet, hundreds under load), runs ``statement`` once for the whole
  batch on an autocommit connection, and wakes each caller with its item's result: the write is
  committed before anyone announces or acknowledges it.
- ``autocommit(sql, params)``: one self-contained statement on its own autocommit connection.

The writer holds one connection of its own (its statements run one at a time), outside the
app's pool, on which PostgreSQL plans its statement once: with the default plan cache the batch
statement was planned afresh for every batch (~0.3-0.4 ms of the backend's CPU each, more than
storing a message), as its array parameters make each custom plan look better than the generic
one. The autocommit helper takes a pooled connection.

Both are units of work on a connection of their own. Called while the caller's ORM session
holds a transaction, they end it first if it only read (a rollback loses nothing, and holding
the caller's pooled connection while taking another can deadlock a full pool), and fail loudly
(``TransactionAlreadyOpen``) if it holds work: pending changes, rows written or locked. They
used to commit it, silently committing whatever the caller had pending.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import gevent
import sqlalchemy as sa
from flask import Flask
from gevent.event import AsyncResult, Event
from sqlalchemy.engine import Connection, Engine

from livechat import runtime
from livechat.errors import TemporarilyUnavailable
from livechat.extensions import db
from livechat.metrics import metrics

log = logging.getLogger(__name__)

MAX_BATCH = 512
# A safety net only: a batch waits at most pool_timeout for a connection, then fails loudly.
WAIT_SECONDS = 60

# A batched statement: runs for items, returns one result per item (None: left out, the
# service that owns the statement says why).
BatchStatement = Callable[[Connection, list[Any]], list[Any]]


class TransactionAlreadyOpen(RuntimeError):
    """A programming error: a unit of work was called while the caller's ORM transaction held
    work (changes, writes, row locks). Commit it, or roll it back, first."""


# Has this transaction written or locked anything? (A transaction id is assigned at its first
# write or row lock: NULL means it only read.)
_XACT_WROTE_SQL = "SELECT pg_current_xact_id_if_assigned() IS NOT NULL"


def end_read_transaction() -> None:
    """Before a unit of work: roll back the caller's transaction if it only read, and raise
    ``TransactionAlreadyOpen`` if it holds work, which is never committed or dropped here.
    (registry.has(): a socket event that has not used the ORM creates no session here.)"""
    if not (db.session.registry.has() and db.session().in_transaction()):
        return
    session = db.session()
    if session.new or session.dirty or session.deleted or session.scalar(sa.text(_XACT_WROTE_SQL)):
        raise TransactionAlreadyOpen(
            "The caller's transaction on db.session holds changes, writes or row locks: commit"
            " or roll it back before calling a unit of work that writes on its own connection."
        )
    session.rollback()


@contextmanager
def reads_only() -> Iterator[None]:
    """For a service that only reads, on a hot path (a socket's connect and join): its
    statements on db.session run as autocommit statements, and the connection goes back to the
    pool when the block ends, not when the request does.

    Under READ COMMITTED each statement takes its own snapshot anyway: a transaction around
    reads only adds a BEGIN and a ROLLBACK round trip, and the request would hold its pooled
    connection while it dumps and emits. What the block loaded stays loaded (the transaction
    ends without expiring it); a later lazy load would start a new transaction. Never for work
    that writes across statements: a statement that writes commits on its own here (the one
    that does, ``sessions.sign_in``'s contact upsert, is a whole unit of work by itself)."""
    end_read_transaction()
    session = db.session()
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    try:
        yield
    finally:
        transaction = session.get_transaction()
        if transaction is not None:
            # Not rollback(), which would expire what was just read; nothing to undo anyway.
            transaction.close()


class GroupCommitWriter:
    """One greenlet per app that runs queued items' statements in batches (module docstring)."""

    def __init__(self, engine: Engine, observe: Callable[[float, int], None]) -> None:
        self._engine = engine
        self._observe = observe
        self._queue: deque[tuple[BatchStatement, Any, AsyncResult]] = deque()
        self._wake = Event()
        self._stopped = False
        self._crash: BaseException | None = None
        self._greenlet = gevent.spawn(self._run)
        self._greenlet.link_exception(self._crashed)

    def submit(self, statement: BatchStatement, item: Any) -> Any:
        """Run ``statement`` for ``item`` with the next batch; its result once committed."""
        if self._crash is not None:
            raise RuntimeError("the group-commit writer crashed") from self._crash
        if self._stopped:
            raise RuntimeError("the group-commit writer has stopped")
        result: AsyncResult = AsyncResult()
        self._queue.append((statement, item, result))
        self._wake.set()
        try:
            return result.get(timeout=WAIT_SECONDS)
        except gevent.Timeout:  # a BaseException: must not escape as one
            # The database is too slow to answer: the client resends (same clientMessageId).
            raise TemporarilyUnavailable("Storing messages is slow right now; retry.") from None

    @property
    def running(self) -> bool:
        """Whether this process can still store messages (not crashed, not shut down)."""
        return self._crash is None and not self._stopped

    def shutdown(self, timeout: float = 5) -> None:
        """Finish what is queued, then stop (and close the writer's connection)."""
        self._stopped = True
        self._wake.set()
        self._greenlet.join(timeout)
        self._greenlet.kill()
        self._engine.dispose()

    def drop_connection(self) -> None:
        """Close the writer's pooled connection; the next batch opens a new one (after the
        database was restarted, say: else that batch meets the dead connection and fails)."""
        self._engine.dispose()

    def _crashed(self, greenlet: gevent.Greenlet) -> None:
        # A bug in the writer itself (statements' errors are the callers'): no message can be
        # stored by this process any more. Say so loudly, and fail every waiting and later
        # caller at once instead of letting each wait WAIT_SECONDS for an answer.
        self._crash = greenlet.exception
        log.critical("the group-commit writer crashed", exc_info=greenlet.exc_info)
        while self._queue:
            _, _, result = self._queue.popleft()
            result.set_exception(RuntimeError("the group-commit writer crashed"))

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            while self._queue:
                batch = [self._queue.popleft() for _ in range(min(len(self._queue), MAX_BATCH))]
                try:
                    # One kind of statement today; kinds would be kept apart anyway.
                    for statement in dict.fromkeys(s for s, _, _ in batch):
                        self._write(statement, [(i, r) for s, i, r in batch if s is statement])
                except BaseException:
                    for _, _, result in batch:  # nobody of this batch waits in vain
                        if not result.ready():
                            result.set_exception(RuntimeError("the group-commit writer crashed"))
                    raise
            if self._stopped:
                return

    def _write(self, statement: BatchStatement, batch: list[tuple[Any, AsyncResult]]) -> None:
        try:
            started = time.perf_counter()
            with self._engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                results = statement(conn, [item for item, _ in batch])
            self._observe(time.perf_counter() - started, len(batch))
        except BaseException as exc:  # every caller hears about it; the writer lives on
            if not isinstance(exc, Exception):
                for _, result in batch:
                    result.set_exception(RuntimeError("the group-commit writer was stopped"))
                raise
            if len(batch) > 1 and not getattr(exc, "connection_invalidated", False):
                # One item the database refuses must not sink the others: one by one.
                for entry in batch:
                    self._write(statement, [entry])
                return
            log.warning("a batch of %d write(s) failed: %s", len(batch), exc)
            for _, result in batch:
                result.set_exception(exc)
            return
        for (_, result), value in zip(batch, results, strict=True):
            result.set(value)


class Autocommit:
    """One self-contained statement on its own autocommit connection."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def __call__(self, sql: str, params: dict[str, Any]) -> list[Any]:
        """Run ``sql`` (driver-level, ``%(name)s`` parameters); its rows."""
        with self._engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            result = conn.exec_driver_sql(sql, params)
            return list(result.all()) if result.returns_rows else []


def writer_engine(app: Flask, engine: Engine) -> Engine:
    """The writer's own engine: the app's database and options, one connection, and plans
    kept generic for prepared statements (psycopg prepares a statement run five times on a
    connection; every statement on this one is a batch statement of fixed text)."""
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.pop("connect_args", None) or {})
    connect_args["options"] = (
        f"{connect_args.get('options', '')} -c plan_cache_mode=force_generic_plan".strip()
    )
    options.update(pool_size=1, max_overflow=0, connect_args=connect_args)
    return sa.create_engine(engine.url, **options)


def init_writer(app: Flask) -> GroupCommitWriter:
    """Build the app's writer and autocommit helper (after ``db`` and metrics are set up)."""
    with app.app_context():
        engine = db.engine
    m = metrics(app)

    def observe(seconds: float, size: int) -> None:
        m.commit_seconds.observe(seconds)
        m.batch_size.observe(size)

    runtime.autocommit.set(app, Autocommit(engine))
    return runtime.writer.set(app, GroupCommitWriter(writer_engine(app, engine), observe))


def submit(statement: BatchStatement, item: Any) -> Any:
    """``GroupCommitWriter.submit`` on the current app's writer, as a unit of work."""
    end_read_transaction()
    return runtime.writer().submit(statement, item)


def autocommit(sql: str, params: dict[str, Any]) -> list[Any]:
    """``Autocommit`` on the current app's engine, as a unit of work."""
    end_read_transaction()
    return runtime.autocommit()(sql, params)

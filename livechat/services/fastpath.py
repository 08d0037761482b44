"""The hot path of a chat: store customer/agent messages with group commit (PostgreSQL).

Every ``message:send`` hands its message to the app's writer greenlet and waits. The writer takes
everything that has queued up since its last statement (one message when the chat is quiet,
hundreds under load) and stores the whole batch in ONE autocommit statement, then wakes each
sender with its stored row: the message is committed before anyone announces or acknowledges it.

The statement, for every message of the batch at once:
1. locks the sessions concerned in id order (``FOR UPDATE``: concurrent batches from several
   processes cannot deadlock, and a session's messages are serialised),
2. authorises each sender against the locked (current) row: the customer, or the assigned agent,
   of a session that has not ended, and skips client message ids already stored,
3. gives each session's messages consecutive ``seq`` numbers in arrival order (one UPDATE of the
   session per batch) and inserts them.
Anything unusual (a retry of a stored client message id, an ended session, a stranger, an
unassigned agent, an unknown session) is left out of the batch's result and that sender takes
the general path, which says precisely what happened. Two copies of one message racing from two
processes: the loser inserts nothing and its sequence number is skipped (``seq`` stays strictly
increasing, with a gap); the general path returns the stored message.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import gevent
from flask import current_app
from gevent.event import AsyncResult, Event
from psycopg.types.json import Jsonb
from sqlalchemy.engine import Engine

from livechat.errors import TemporarilyUnavailable
from livechat.extensions import db
from livechat.metrics import metrics
from livechat.models import AI_SENDER_ID, SenderType, SessionStatus, utcnow

log = logging.getLogger(__name__)

MAX_BATCH = 512
# A safety net only: a batch waits at most pool_timeout for a connection, then fails loudly.
WAIT_SECONDS = 60

SQL = """
WITH input AS (
    SELECT * FROM unnest(
        %(mid)s::text[], %(sid)s::text[], %(actor)s::text[], %(staff)s::boolean[],
        %(cmid)s::text[], %(content)s::text[], %(meta)s::jsonb[]
    ) WITH ORDINALITY AS t(mid, sid, actor, staff, cmid, content, meta, ord)
),
locked AS (
    SELECT s.id, s.user_id, s.agent_id, s.status, s.last_seq
    FROM chat_sessions s
    WHERE s.id = ANY(%(sid)s::varchar[])
    ORDER BY s.id
    FOR UPDATE
),
allowed AS (
    SELECT i.mid, i.sid, i.actor, i.cmid, i.content, i.meta, i.ord,
           l.last_seq + row_number() OVER (PARTITION BY i.sid ORDER BY i.ord) AS seq,
           CASE WHEN i.actor = l.user_id THEN 'USER' ELSE 'AGENT' END AS sender_type
    FROM input i JOIN locked l ON l.id = i.sid
    -- A retry of a stored client message id: one index probe per message (as a lateral
    -- subquery it can never become a scan of the whole table).
    LEFT JOIN LATERAL (
        SELECT true AS hit FROM chat_messages m
        WHERE m.session_id = i.sid AND m.client_message_id = i.cmid
        LIMIT 1
    ) stored ON true
    WHERE l.status <> 'ENDED'
      AND (i.actor = l.user_id OR (i.staff AND i.actor = l.agent_id))
      AND stored.hit IS NULL
),
claimed AS (
    -- We hold these rows' locks, so the last_seq read above is current.
    UPDATE chat_sessions s
    SET last_seq = c.top, updated_at = %(now)s
    FROM (SELECT sid, max(seq) AS top FROM allowed GROUP BY sid) c
    WHERE s.id = c.sid
    RETURNING s.id, s.status, s.agent_id
),
inserted AS (
    INSERT INTO chat_messages (id, session_id, seq, sender_id, sender_type, content, is_read,
                               metadata, client_message_id, created_at)
    SELECT mid, sid, seq, actor, sender_type, content, false, meta, cmid, %(now)s
    FROM allowed
    ORDER BY ord
    ON CONFLICT ON CONSTRAINT uq_chat_messages_session_client_message_id DO NOTHING
    RETURNING id, seq, sender_type
)
-- Only what the caller does not know yet: each stored message's seq and sender type, then one
-- row per session (its status and agent). No join: linear in the size of the batch.
SELECT 'message' AS kind, id, seq, sender_type, NULL AS status, NULL AS agent_id FROM inserted
UNION ALL
SELECT 'session', c.id, NULL, NULL, c.status, c.agent_id
FROM claimed c
"""

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A message just stored by the writer: ChatMessage's attributes without the ORM's
    instrumentation (building an ORM instance per message was ~7 % of a busy server's CPU)."""

    id: str
    session_id: str
    seq: int
    sender_id: str
    sender_type: SenderType
    content: str
    is_read: bool
    read_at: None
    meta: dict[str, Any]
    client_message_id: str | None
    created_at: datetime


class GroupCommitWriter:
    """One greenlet per app that stores queued messages in batches (see the module docstring)."""

    def __init__(self, engine: Engine, observe: Callable[[float, int], None]) -> None:
        self._engine = engine
        self._observe = observe
        self._queue: deque[tuple[dict[str, Any], AsyncResult]] = deque()
        self._wake = Event()
        self._stopped = False
        self._greenlet = gevent.spawn(self._run)

    def submit(self, message: dict[str, Any]) -> Row | None:
        """Store ``message`` with the next batch; its row once committed, None if left out."""
        if self._stopped:
            raise RuntimeError("the message writer has stopped")
        result: AsyncResult = AsyncResult()
        self._queue.append((message, result))
        self._wake.set()
        try:
            return result.get(timeout=WAIT_SECONDS)
        except gevent.Timeout:  # a BaseException: must not escape as one
            # The database is too slow to answer: the client resends (same clientMessageId).
            raise TemporarilyUnavailable("Storing messages is slow right now; retry.") from None

    def shutdown(self, timeout: float = 5) -> None:
        """Finish what is queued, then stop."""
        self._stopped = True
        self._wake.set()
        self._greenlet.join(timeout)
        self._greenlet.kill()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            while self._queue:
                batch = [self._queue.popleft() for _ in range(min(len(self._queue), MAX_BATCH))]
                self._write(batch)
            if self._stopped:
                return

    def _write(self, batch: list[tuple[dict[str, Any], AsyncResult]]) -> None:
        # A retry racing its own original inside one batch: only the first is written; the
        # other is answered by the general path once this batch has committed.
        seen: set[tuple[str, str]] = set()
        included: list[tuple[dict[str, Any], AsyncResult]] = []
        left_out: list[AsyncResult] = []
        for message, result in batch:
            key = (message["sid"], message["cmid"])
            if message["cmid"] is not None and key in seen:
                left_out.append(result)
                continue
            seen.add(key)
            included.append((message, result))
        try:
            rows = self._store([m for m, _ in included])
        except BaseException as exc:  # every sender hears about it; the writer lives on
            if not isinstance(exc, Exception):
                for _, result in batch:
                    result.set_exception(RuntimeError("the message writer was stopped"))
                raise
            if len(included) > 1 and not getattr(exc, "connection_invalidated", False):
                # One message the database refuses must not sink the others: one by one.
                for item in included:
                    self._write([item])
                for result in left_out:
                    result.set(None)
                return
            log.warning("storing %d message(s) failed: %s", len(included), exc)
            for _, result in batch:
                result.set_exception(exc)
            return
        for message, result in included:
            result.set(rows.get(message["mid"]))
        for result in left_out:
            result.set(None)

    def _store(self, messages: list[dict[str, Any]]) -> dict[str, Row]:
        """Run the statement for ``messages``: the stored rows by message id."""
        params: dict[str, Any] = {
            name: [m[name] for m in messages]
            for name in ("mid", "sid", "actor", "staff", "cmid", "content", "meta")
        }
        now = utcnow()
        params["now"] = now
        started = time.perf_counter()
        with self._engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            result = conn.exec_driver_sql(SQL, params).all()
        self._observe(time.perf_counter() - started, len(messages))
        sessions = {r.id: r for r in result if r.kind == "session"}
        by_id = {m["mid"]: m for m in messages}
        rows: dict[str, Row] = {}
        for r in result:
            if r.kind == "message":
                m = by_id[r.id]
                session = sessions[m["sid"]]
                rows[r.id] = {
                    "message": StoredMessage(
                        id=r.id,
                        session_id=m["sid"],
                        seq=r.seq,
                        sender_id=m["actor"],
                        sender_type=SenderType(r.sender_type),
                        content=m["content"],
                        is_read=False,
                        read_at=None,
                        meta=m["meta"].obj,
                        client_message_id=m["cmid"],
                        created_at=now,
                    ),
                    "status": SessionStatus(session.status).value,
                    "agent_id": session.agent_id,
                }
        return rows


def _writer() -> GroupCommitWriter:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    writer = app.extensions.get("livechat.writer")
    if writer is None:
        m = metrics(app)

        def observe(seconds: float, size: int) -> None:
            m.commit_seconds.observe(seconds)
            m.batch_size.observe(size)

        writer = app.extensions["livechat.writer"] = GroupCommitWriter(db.engine, observe)
    return writer


def _end_open_transaction() -> None:
    """Never hold a pooled connection while taking another (a full pool would deadlock): these
    services are units of work, so end the caller's read transaction. (registry.has(): a socket
    event that has not used the ORM creates no Session here.)"""
    if db.session.registry.has() and db.session().in_transaction():
        db.session.commit()


def autocommit(sql: str, params: dict[str, Any]) -> list[Any]:
    """Run one self-contained statement on its own autocommit connection; its rows."""
    _end_open_transaction()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        result = conn.exec_driver_sql(sql, params)
        return result.all() if result.returns_rows else []


def try_post(
    actor_id: str,
    staff: bool,
    session_id: str,
    content: str,
    client_message_id: str | None,
    metadata: dict[str, Any],
) -> tuple[StoredMessage, str, str | None] | None:
    """(message, session status, agent id) when stored; None when the general path must decide."""
    _end_open_transaction()
    row = _writer().submit(
        {
            "mid": str(uuid.uuid4()),
            "sid": session_id,
            "actor": actor_id,
            "staff": staff,
            "cmid": client_message_id,
            "content": content,
            "meta": Jsonb(metadata),
        }
    )
    if row is None:
        return None
    return row["message"], row["status"], row["agent_id"]


AI_REPLY_SQL = """
WITH locked AS (
    SELECT id, status, agent_id, last_seq FROM chat_sessions WHERE id = %(sid)s FOR UPDATE
),
claimed AS (
    -- The assistant answers only while nobody else does: ACTIVE and no agent, checked on the
    -- locked (current) row. The turn's analysis (if any) is merged into the session's metadata
    -- in the same row version.
    UPDATE chat_sessions s
    SET last_seq = l.last_seq + 1, updated_at = %(now)s,
        metadata = CASE WHEN %(analysis)s::jsonb IS NULL THEN s.metadata
                        ELSE coalesce(s.metadata, '{}'::jsonb) || %(analysis)s::jsonb END
    FROM locked l
    WHERE s.id = l.id AND l.status = 'ACTIVE' AND l.agent_id IS NULL
    RETURNING s.last_seq AS seq, s.status, s.agent_id
),
inserted AS (
    INSERT INTO chat_messages (id, session_id, seq, sender_id, sender_type, content, is_read,
                               metadata, client_message_id, created_at)
    SELECT %(mid)s, %(sid)s, seq, %(actor)s, 'AI', %(content)s, false, %(meta)s, NULL, %(now)s
    FROM claimed
    RETURNING seq
),
analysed AS (
    -- ... and into the customer message it analysed.
    UPDATE chat_messages SET metadata = coalesce(metadata, '{}'::jsonb) || %(analysis)s::jsonb
    WHERE id = %(analysed)s AND session_id = %(sid)s AND EXISTS (SELECT 1 FROM claimed)
)
SELECT i.seq, c.status, c.agent_id FROM inserted i, claimed c
"""


def post_assistant_reply(
    session_id: str,
    content: str,
    metadata: dict[str, Any],
    analysis: tuple[str, dict[str, Any]] | None = None,
) -> tuple[StoredMessage, str, str | None] | None:
    """Store the assistant's reply in one autocommit statement (lock, check, seq, insert, and
    with ``analysis`` = (customer message id, analysis) the turn's reading of that message
    into it and the session): (message, session status, agent id), or None when the session is
    not the assistant's to answer any more (the general path says why; nothing is written)."""
    mid, now = str(uuid.uuid4()), utcnow()
    params = {
        "sid": session_id,
        "mid": mid,
        "actor": AI_SENDER_ID,
        "content": content,
        "meta": Jsonb(metadata),
        "now": now,
        "analysis": Jsonb({"analysis": analysis[1]}) if analysis else None,
        "analysed": analysis[0] if analysis else None,
    }
    rows = autocommit(AI_REPLY_SQL, params)
    if not rows:
        return None
    row = rows[0]
    message = StoredMessage(
        id=mid,
        session_id=session_id,
        seq=row.seq,
        sender_id=AI_SENDER_ID,
        sender_type=SenderType.AI,
        content=content,
        is_read=False,
        read_at=None,
        meta=metadata,
        client_message_id=None,
        created_at=now,
    )
    return message, SessionStatus(row.status).value, row.agent_id

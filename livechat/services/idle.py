"""Idle chats: an ACTIVE chat whose customer has not answered support ends by itself.

The clock of a chat starts at the last message of a person or the assistant (SYSTEM notices,
this module's warning included, do not count), or at its assignment or creation if later, and
runs only while that message is not the customer's: support is waiting on them. WAITING chats
(the customer is waiting on support) are never touched. An agent's chat is warned once per
idle stretch at ``warn`` seconds and closed no sooner than ``close - warn`` seconds after that
warning; a chat only the assistant answered is closed at ``close`` seconds.

``sweep`` finds the due chats with ONE statement (``DUE_SQL``: the ACTIVE sessions through the
status index, each one's last message through the (session_id, seq) index) that locks them
``FOR UPDATE SKIP LOCKED``: several processes sweeping at once take disjoint chats, and a chat
whose message is being stored (the writer holds its lock) waits for the next sweep. The same
statement then runs again on the locked ids only: a new snapshot, in which a customer message
committed just before the lock was taken is seen (a row re-checked under a lock is compared with
the first snapshot's messages), so it is never closed on stale data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from livechat.extensions import db
from livechat.models import (
    SYSTEM_SENDER_ID,
    ChatSession,
    SenderType,
    SessionOutcome,
    SessionStatus,
    utcnow,
)
from livechat.services import rules
from livechat.services.messages import append_message
from livechat.services.sessions import finish_session

# Chats handled per statement; a sweep repeats while a batch comes back full.
BATCH = 100

WARNING_KIND = "idle_warning"
CLOSED_KIND = "idle_closed"
# session.metadata key: when this idle stretch's warning was given (ISO 8601).
WARNED_KEY = "idleWarnedAt"

DUE_SQL = sa.text(f"""
SELECT s.id,
       CASE WHEN c.since <= :now - make_interval(secs => :close)
                 AND (s.agent_id IS NULL
                      OR (c.warned >= c.since
                          AND c.warned <= :now - make_interval(secs => :close - :warn)))
            THEN 'close' ELSE 'warn' END AS action,
       EXISTS (SELECT 1 FROM tickets t
               WHERE t.session_id = s.id AND {rules.ticket_unresolved_sql("t")}) AS ticket_open
FROM chat_sessions s
LEFT JOIN LATERAL (
    SELECT m.sender_type, m.created_at FROM chat_messages m
    WHERE m.session_id = s.id AND m.sender_type <> '{SenderType.SYSTEM.value}'
    ORDER BY m.seq DESC LIMIT 1
) last ON true
CROSS JOIN LATERAL (
    SELECT greatest(last.created_at, s.assigned_at, s.created_at) AS since,
           (s.metadata ->> '{WARNED_KEY}')::timestamptz AS warned
) c
WHERE s.status = '{SessionStatus.ACTIVE.value}'
  AND last.sender_type IS DISTINCT FROM '{SenderType.USER.value}'
  AND (CAST(:ids AS text[]) IS NULL OR s.id = ANY(CAST(:ids AS text[])))
  AND (
        -- close
        (c.since <= :now - make_interval(secs => :close)
         AND (s.agent_id IS NULL
              OR (c.warned >= c.since
                  AND c.warned <= :now - make_interval(secs => :close - :warn))))
        -- warn (agents' chats, once per idle stretch)
     OR (s.agent_id IS NOT NULL
         AND c.since <= :now - make_interval(secs => :warn)
         AND (c.warned IS NULL OR c.warned < c.since))
  )
ORDER BY c.since
LIMIT :limit
FOR UPDATE OF s SKIP LOCKED
""")


@dataclass(frozen=True)
class SweepResult:
    warned: list[str]
    closed: list[str]


def _duration(seconds: int) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        minutes = seconds // 60
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def idle_outcome(ticket_open: bool) -> SessionOutcome:
    """The outcome of an idle close: ``follow_up`` while the chat's ticket is unresolved (support
    still owes the customer), else ``resolved``."""
    return SessionOutcome.FOLLOW_UP if ticket_open else SessionOutcome.RESOLVED


def _due(now: datetime, close: int, warn: int, ids: list[str] | None) -> list[sa.Row]:
    params = {"now": now, "close": close, "warn": warn, "ids": ids, "limit": BATCH}
    return list(db.session.execute(DUE_SQL, params).all())


def sweep_once(close: int, warn: int, now: datetime | None = None) -> SweepResult:
    """Warn and close one batch of due chats in one transaction; events go out after commit.
    ``now`` (default: the clock) is the moment the sweep judges by."""
    now = now or utcnow()
    try:
        claimed = _due(now, close, warn, None)
        if not claimed:
            return SweepResult([], [])
        rows = _due(now, close, warn, [r.id for r in claimed])  # re-checked, locks held
        loaded = db.session.scalars(
            sa.select(ChatSession)
            .where(ChatSession.id.in_([r.id for r in rows]))
            .execution_options(populate_existing=True)
        ).unique()
        by_id = {s.id: s for s in loaded}
        warned: list[str] = []
        closed: list[str] = []
        for row in rows:
            session = by_id[row.id]
            if row.action == "close":
                outcome = idle_outcome(row.ticket_open)
                append_message(
                    session,
                    sender_id=SYSTEM_SENDER_ID,
                    sender_type=SenderType.SYSTEM,
                    content=(
                        f"This chat was closed after {_duration(close)} without a reply. "
                        "You can start a new conversation any time."
                    ),
                    metadata={"kind": CLOSED_KIND, "idleSeconds": close, "outcome": outcome.value},
                )
                finish_session(session, SYSTEM_SENDER_ID, outcome=outcome)
                closed.append(session.id)
            else:
                append_message(
                    session,
                    sender_id=SYSTEM_SENDER_ID,
                    sender_type=SenderType.SYSTEM,
                    content=(
                        "Are you still there? This chat will close in "
                        f"{_duration(close - warn)} if we don't hear from you."
                    ),
                    metadata={"kind": WARNING_KIND, "closesInSeconds": close - warn},
                )
                session.meta = {**session.meta, WARNED_KEY: now.isoformat()}
                warned.append(session.id)
        db.session.commit()
        return SweepResult(warned, closed)
    finally:
        db.session.rollback()  # nothing open (or locked) between sweeps


def sweep(close: int, warn: int, now: datetime | None = None) -> SweepResult:
    """Warn and close every due chat, a batch at a time."""
    warned: list[str] = []
    closed: list[str] = []
    while True:
        batch = sweep_once(close, warn, now)
        warned += batch.warned
        closed += batch.closed
        if len(batch.warned) + len(batch.closed) < BATCH:
            return SweepResult(warned, closed)

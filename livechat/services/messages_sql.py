"""The statement that stores customers' and agents' messages, a batch at a time.

``messages.post_message`` hands each message to the group-commit writer (livechat/writer.py) with
``store_posts``, which stores the whole batch in ONE autocommit statement:
1. it locks the sessions concerned in id order (``FOR UPDATE``: concurrent batches from several
   processes cannot deadlock, and a session's messages are serialised),
2. it lets through each message whose sender ``rules.may_post_sql`` allows on the locked
   (current) row, and whose client message id is not stored yet,
3. it gives each session's messages consecutive ``seq`` numbers in arrival order (one UPDATE
   of the session per batch) and inserts them.
A message it leaves out (a refused sender, a retry of a stored client message id, an unknown
session) gets None, and ``post_message`` says why. Two copies of one message racing from two
processes: the loser inserts nothing and its sequence number is skipped (``seq`` stays strictly
increasing, with a gap); ``post_message`` then returns the stored copy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from livechat.models import SenderType, SessionStatus, utcnow
from livechat.services import rules

POST_SQL = f"""
WITH input AS (
    SELECT * FROM unnest(
        %(mid)s::text[], %(sid)s::text[], %(actor)s::text[], %(staff)s::boolean[],
        %(cmid)s::text[], %(content)s::text[], %(meta)s::text[]
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
           {rules.sender_type_sql("l", "i.actor")} AS sender_type
    FROM input i JOIN locked l ON l.id = i.sid
    -- A retry of a stored client message id: one index probe per message (as a lateral
    -- subquery it can never become a scan of the whole table).
    LEFT JOIN LATERAL (
        SELECT true AS hit FROM chat_messages m
        WHERE m.session_id = i.sid AND m.client_message_id = i.cmid
        LIMIT 1
    ) stored ON true
    WHERE {rules.may_post_sql("l", "i.actor", "i.staff")}
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
    SELECT mid, sid, seq, actor, sender_type, content, false, meta::jsonb, cmid, %(now)s
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


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A message just stored by a statement: ChatMessage's attributes without the ORM's
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


@dataclass(frozen=True, slots=True)
class Post:
    """One message for ``store_posts``."""

    mid: str
    sid: str
    actor: str
    staff: bool
    cmid: str | None
    content: str
    meta: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Posted:
    """A stored message and its session's state as the statement left it."""

    message: StoredMessage
    status: str
    agent_id: str | None


def store_posts(conn: Connection, posts: list[Post]) -> list[Posted | None]:
    """The writer's statement for ``posts``: each one's Posted, or None if left out."""
    # A retry racing its own original inside one batch: only the first goes to the statement;
    # post_message answers the other with the stored copy once this batch has committed.
    seen: set[tuple[str, str]] = set()
    included: list[Post] = []
    for post in posts:
        if post.cmid is not None:
            if (post.sid, post.cmid) in seen:
                continue
            seen.add((post.sid, post.cmid))
        included.append(post)
    now = utcnow()
    params: dict[str, Any] = {
        "mid": [p.mid for p in included],
        "sid": [p.sid for p in included],
        "actor": [p.actor for p in included],
        "staff": [p.staff for p in included],
        "cmid": [p.cmid for p in included],
        "content": [p.content for p in included],
        # JSON text (cast in the statement): no per-item adapter, and no encoding at all for the
        # usual empty metadata.
        "meta": ["{}" if not p.meta else json.dumps(p.meta) for p in included],
        "now": now,
    }
    rows = conn.exec_driver_sql(POST_SQL, params).all()
    sessions = {r.id: r for r in rows if r.kind == "session"}
    stored = {r.id: r for r in rows if r.kind == "message"}
    results: list[Posted | None] = []
    for post in posts:
        row = stored.get(post.mid)
        if row is None:
            results.append(None)
            continue
        session = sessions[post.sid]
        message = StoredMessage(
            id=post.mid,
            session_id=post.sid,
            seq=row.seq,
            sender_id=post.actor,
            sender_type=SenderType(row.sender_type),
            content=post.content,
            is_read=False,
            read_at=None,
            meta=post.meta,
            client_message_id=post.cmid,
            created_at=now,
        )
        results.append(Posted(message, SessionStatus(session.status).value, session.agent_id))
    return results

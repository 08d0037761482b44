"""The hot path of a chat: store one customer/agent message in ONE round trip (PostgreSQL).

One autocommit statement authorises the sender, allocates the session's next sequence number
(the UPDATE takes the session's row lock, so messages of one session are ordered) and inserts the
message. It is committed when it returns, so the caller may announce it at once. Anything unusual
(a retry of a stored client message id, an ended session, a stranger, an unassigned agent, an
unknown session) makes the statement change nothing and the caller takes the general path, which
says precisely what happened.

The SQL is compiled once from SQLAlchemy Core and run with driver-level parameters: building and
caching a Core statement per message cost more CPU than the database round trip.
"""

from __future__ import annotations

import time
import uuid
from functools import cache
from typing import Any

import sqlalchemy as sa
from psycopg.types.json import Jsonb
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import insert as pg_insert

from livechat.extensions import db
from livechat.metrics import observe_commit
from livechat.models import ChatMessage, ChatSession, SenderType, SessionStatus, utcnow

_sessions = ChatSession.__table__
_messages = ChatMessage.__table__


@cache
def _sql() -> tuple[str, dict[str, Any]]:
    """The compiled SQL and the values of its constant parameters."""
    p = sa.bindparam
    allowed = sa.or_(
        _sessions.c.user_id == p("actor", type_=sa.String),
        # An agent writes only into a chat assigned to them (a customer only into their own).
        sa.and_(p("staff", type_=sa.Boolean), _sessions.c.agent_id == p("actor")),
    )
    not_stored = sa.or_(
        p("cmid", type_=sa.String).is_(None),
        ~sa.exists().where(
            _messages.c.session_id == p("sid", type_=sa.String),
            _messages.c.client_message_id == p("cmid"),
        ),
    )
    claimed = (
        sa.update(_sessions)
        .where(_sessions.c.id == p("sid"), _sessions.c.status != "ENDED", allowed, not_stored)
        .values(
            last_seq=_sessions.c.last_seq + 1, updated_at=p("now", type_=sa.DateTime(timezone=True))
        )
        .returning(
            _sessions.c.id,
            _sessions.c.last_seq,
            _sessions.c.user_id,
            _sessions.c.status,
            _sessions.c.agent_id,
        )
        .cte("claimed")
    )
    sender_type = sa.case(
        (claimed.c.user_id == p("actor"), SenderType.USER.value), else_=SenderType.AGENT.value
    )
    columns = [
        "id", "session_id", "seq", "sender_id", "sender_type", "content", "is_read",
        "metadata", "client_message_id", "created_at",
    ]  # fmt: skip
    inserted = (
        pg_insert(_messages)
        .from_select(
            columns,
            sa.select(
                p("mid", type_=sa.String),
                claimed.c.id,
                claimed.c.last_seq,
                p("actor"),
                sender_type,
                p("content", type_=sa.Text),
                sa.false(),
                p("meta"),
                p("cmid"),
                p("now"),
            ),
        )
        # Two copies of one message racing: the loser inserts nothing (its sequence number is
        # skipped: seq stays strictly increasing, with a gap) and the general path returns the
        # stored message.
        .on_conflict_do_nothing(constraint="uq_chat_messages_session_client_message_id")
        .returning(*_messages.c)
        .cte("inserted")
    )
    stmt = sa.select(
        inserted,
        claimed.c.status.label("session_status"),
        claimed.c.agent_id.label("session_agent_id"),
    ).select_from(inserted.join(claimed, inserted.c.session_id == claimed.c.id))
    compiled = stmt.compile(dialect=postgresql.dialect(paramstyle="pyformat"))
    constants = {k: v for k, v in compiled.params.items() if v is not None}
    return str(compiled), constants


def try_post(
    actor_id: str,
    staff: bool,
    session_id: str,
    content: str,
    client_message_id: str | None,
    metadata: dict[str, Any],
) -> tuple[ChatMessage, str, str | None] | None:
    """(message, session status, agent id) when stored; None when the general path must decide."""
    sql, constants = _sql()
    params = {
        **constants,
        "actor": actor_id,
        "staff": staff,
        "sid": session_id,
        "cmid": client_message_id,
        "now": utcnow(),
        "mid": str(uuid.uuid4()),
        "content": content,
        "meta": Jsonb(metadata),
    }
    if db.session().in_transaction():
        # Never hold two pooled connections at once (a full pool would deadlock): this service
        # is a unit of work, so end the caller's read transaction first.
        db.session.commit()
    started = time.perf_counter()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        row = conn.exec_driver_sql(sql, params).mappings().first()
    observe_commit(time.perf_counter() - started)
    if row is None:
        return None
    message = ChatMessage(
        id=row["id"],
        session_id=row["session_id"],
        seq=row["seq"],
        sender_id=row["sender_id"],
        sender_type=SenderType(row["sender_type"]),
        content=row["content"],
        is_read=row["is_read"],
        read_at=row["read_at"],
        meta=row["metadata"],
        client_message_id=row["client_message_id"],
        created_at=row["created_at"],
    )
    return message, SessionStatus(row["session_status"]).value, row["session_agent_id"]

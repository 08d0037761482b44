"""Chat messages: stored with a per-session sequence number, idempotent by client message id."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Container
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import aggregate_order_by

from livechat import writer
from livechat.errors import DomainError, TemporarilyUnavailable
from livechat.events import MessagePosted, MessagesRead, publish
from livechat.events.bus import publish_committed
from livechat.extensions import db
from livechat.models import ChatMessage, ChatNote, ChatSession, SenderType, User, utcnow
from livechat.redaction import mask_cards
from livechat.schemas.chat import MessageSchema, message_json_sql, note_json_sql
from livechat.services import rules
from livechat.services.access import (
    Actor,
    SessionRow,
    access_foreseen,
    access_session,
    access_session_row,
    admit_row,
    columns_as_attributes,
    session_rows,
)
from livechat.services.messages_sql import Post, StoredMessage, store_posts
from livechat.services.notes import NOTES_ON_JOIN, paged_notes

_message_schema = MessageSchema()

# How often a message is offered to the writer when the rules allowed it by the time its
# refusal was explained (the session changed in between: an agent just took the chat).
WRITE_ATTEMPTS = 3


def _find_by_client_id(session_id: str, client_message_id: str) -> ChatMessage | None:
    return db.session.scalars(
        sa.select(ChatMessage).where(
            ChatMessage.session_id == session_id,
            ChatMessage.client_message_id == client_message_id,
        )
    ).first()


def append_message(
    session: ChatSession,
    *,
    sender_id: str,
    sender_type: SenderType,
    content: str,
    metadata: dict[str, Any] | None,
) -> ChatMessage:
    """Add a notice to a row-locked session inside the caller's transaction (escalation's
    SYSTEM notice, committed with the ticket) and publish it; the caller commits."""
    now = utcnow()
    session.last_seq += 1
    session.updated_at = now
    message = ChatMessage(
        session_id=session.id,
        seq=session.last_seq,
        sender_id=sender_id,
        sender_type=sender_type,
        content=content,
        meta=metadata or {},
        is_read=False,
        created_at=now,
    )
    db.session.add(message)
    db.session.flush()
    publish(
        MessagePosted(
            session.id, _message_schema.dump(message), session.status.value, session.agent_id
        )
    )
    return message


def announce(message: StoredMessage, status: str, agent_id: str | None) -> None:
    """Publish a message a statement has already committed (no transaction to wait for)."""
    publish_committed(
        MessagePosted(message.session_id, _message_schema.dump(message), status, agent_id)
    )


def post_message(
    actor: Actor,
    session_id: str,
    content: str,
    *,
    client_message_id: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> tuple[ChatMessage | StoredMessage, bool]:
    """Store a customer's or agent's message; returns (message, created).

    Every message is written by the group-commit writer (one statement per batch; see
    messages_sql.py). A retry with the same ``client_message_id`` returns the stored message
    and publishes nothing. A refused message raises the rule's refusal. A caller's read
    transaction is ended first; one holding work is refused (writer.py).
    """
    content = mask_cards(content)  # PCI: card numbers are never stored, whoever typed them
    post = Post(
        mid=str(uuid.uuid4()),
        sid=session_id,
        actor=actor.id,
        staff=actor.role.is_staff,
        cmid=client_message_id,
        content=content,
        meta=metadata or {},
    )
    for _ in range(WRITE_ATTEMPTS):
        posted = writer.submit(store_posts, post)
        if posted is not None:
            announce(posted.message, posted.status, posted.agent_id)
            return posted.message, True
        stored = _left_out(actor, session_id, client_message_id)
        if stored is not None:
            return stored, False
    raise TemporarilyUnavailable("The chat changed while the message was sent; retry.")


def _left_out(actor: Actor, session_id: str, client_message_id: str | None) -> ChatMessage | None:
    """The statement left the message out: raise the refusal the rules give now, or return the
    stored message it retried. This only explains; it never writes. None if neither holds any
    more (the session changed since the statement ran): the caller offers the message again.
    """
    try:
        session = access_session(actor, session_id)  # unknown: 404; a stranger's: 403
        if client_message_id:
            existing = _find_by_client_id(session.id, client_message_id)
            if existing is not None:
                db.session.expunge(existing)  # kept as loaded: the rollback below expires
                return existing
        refusal = rules.posting_refusal(actor.id, actor.role.is_staff, session)
        if refusal is not None:
            raise refusal
        return None
    finally:
        db.session.rollback()  # a read: the writer must find no transaction open


def list_messages(
    actor: Actor, session_id: str, *, after: int | None = None, limit: int = 50
) -> tuple[ChatSession, list[Any], bool]:
    """Messages in order: those after ``after`` (catch-up), else the latest ``limit``.

    The flag says whether more exist beyond the page (newer with ``after``, older without).
    """
    session = access_session(actor, session_id)
    items, more = page_messages(session, after=after, limit=limit)
    return session, items, more


def page_messages(
    session: ChatSession | SessionRow, *, after: int | None = None, limit: int = 50
) -> tuple[list[Any], bool]:
    """``list_messages`` for a session the caller has already authorised (and loaded).

    The messages are rows with ChatMessage's attributes (what MessageSchema dumps), not ORM
    instances: a join's history is only dumped, and an instance per message cost ~8 µs."""
    params = {"session_id": session.id, "after": after, "limit": limit + 1}
    rows = db.session.execute(_page_statement(after is not None), params).all()
    if after is not None:
        return list(rows[:limit]), len(rows) > limit
    return list(reversed(rows[:limit])), len(rows) > limit


# What MessageSchema dumps (every column but the search vector, which only search reads).
_MESSAGE_COLUMNS = tuple(
    attr.key for attr in sa.inspect(ChatMessage).column_attrs if attr.key != "search_vector"
)


@functools.cache
def _page_statement(after: bool) -> sa.Select[Any]:
    """page_messages' statements, built once with bound parameters."""
    messages = cast(sa.Table, ChatMessage.__table__)
    columns = columns_as_attributes(ChatMessage, _MESSAGE_COLUMNS)
    return _paged(sa.select(*columns), messages.c, after)


def _paged(stmt: sa.Select[Any], m: Any, after: bool) -> sa.Select[Any]:
    """``stmt`` over ``m`` (``chat_messages``' columns) cut to one page of the chat
    ``:session_id``: its ``:limit`` messages after seq ``:after``, oldest first (catch-up),
    or its latest ``:limit``, newest first."""
    stmt = stmt.where(m.session_id == sa.bindparam("session_id"))
    if after:
        stmt = stmt.where(m.seq > sa.bindparam("after")).order_by(m.seq.asc())
    else:
        stmt = stmt.order_by(m.seq.desc())
    return stmt.limit(sa.bindparam("limit", type_=sa.Integer))


@dataclass(frozen=True)
class JoinRead:
    """What a socket joining a chat is sent: the chat, a page of messages (in their wire form,
    as MessageSchema dumps them: the statement built them), and for staff its internal notes."""

    session: SessionRow
    messages: list[dict[str, Any]]
    has_more: bool
    notes: list[dict[str, Any]] | None = None  # as NoteSchema dumps them
    has_more_notes: bool = False


def read_for_join(
    actor: Actor,
    session_id: str,
    *,
    after: int | None,
    limit: int,
    after_note: int | None,
    seen: Container[str],
    admitted: Callable[[str, bool], None],
    withdrawn: Callable[[str], None],
) -> JoinRead:
    """A socket's join: the chat, a page of its messages and, for staff, its notes in one
    autocommit statement (``_join_statement``), the connection back in the pool before the
    caller emits (writer.reads_only). ``admitted(session_id, staff)`` is where the caller joins
    the chat's rooms: before the page is read, so a message committed meanwhile arrives twice
    (clients dedupe by id/seq) rather than never.

    Access is checked before the rooms are joined: by the statement itself when it is foreseen
    (``access_foreseen``: staff, or a chat ``seen`` as the actor's, e.g. the open chat their
    connect reported), else by ``access_session_row`` first, one statement more. Should the
    statement refuse after all (the chat is gone), ``withdrawn(session_id)`` undoes
    ``admitted``."""
    staff = actor.role.is_staff
    with writer.reads_only():
        if not access_foreseen(actor, session_id, seen):
            access_session_row(actor, session_id)
        admitted(session_id, staff)
        try:
            row = db.session.execute(
                _join_statement(after is not None, staff, after_note is not None),
                {
                    "session_id": session_id,
                    "after": after,
                    "limit": limit + 1,  # one more: whether there are more
                    "after_note": after_note,
                    "note_limit": NOTES_ON_JOIN + 1,
                },
            ).first()
            session = admit_row(actor, session_id, row)
        except DomainError:
            withdrawn(session_id)
            raise
        assert row is not None  # admit_row refused a missing chat
        page: list[dict[str, Any]] = row.page
        has_more = len(page) > limit
        if has_more:  # the extra one is the oldest of the latest page, the newest of a catch-up
            page = page[:limit] if after is not None else page[1:]
        if not staff:
            return JoinRead(session, page, has_more)
        internal: list[dict[str, Any]] = row.notes
        more_notes = len(internal) > NOTES_ON_JOIN
        return JoinRead(session, page, has_more, internal[:NOTES_ON_JOIN], more_notes)


@functools.cache
def _join_statement(after: bool, staff: bool, after_note: bool) -> sa.Select[Any]:
    """read_for_join's statements, built once with bound parameters: the chat as
    ``session_rows()`` reads it, and in its ``page`` column a JSON array (oldest first) of its
    ``limit`` messages after seq ``after`` (catch-up), or of its latest ``limit``, each as
    MessageSchema dumps it (``message_json_sql``); for staff, in ``notes``, its first
    ``note_limit`` notes (after ``after_note``) as NoteSchema dumps them."""
    sessions = cast(sa.Table, ChatSession.__table__)
    m = cast(sa.Table, ChatMessage.__table__).alias("m")
    picked = sa.select(m.c.seq, message_json_sql(m.c).label("message"))
    p = _paged(picked, m.c, after).subquery("p")
    columns = [_json_array(p.c.message, p.c.seq).label("page")]
    if staff:
        columns.append(_notes_column(after_note).label("notes"))
    return session_rows().add_columns(*columns).where(sessions.c.id == sa.bindparam("session_id"))


def _notes_column(after: bool) -> sa.ScalarSelect[Any]:
    """``page_notes`` as one JSON array, for ``_join_statement``."""
    n = cast(sa.Table, ChatNote.__table__).alias("n")
    author = cast(sa.Table, User.__table__).alias("note_author")
    picked = sa.select(n.c.note_seq, note_json_sql(n.c, author.c).label("note")).select_from(
        n.outerjoin(author, author.c.id == n.c.author_id)
    )
    page = paged_notes(picked, n.c, after, after_key="after_note", limit_key="note_limit")
    pn = page.subquery("pn")
    return _json_array(pn.c.note, pn.c.note_seq)


def _json_array(item: Any, order: Any) -> sa.ScalarSelect[Any]:
    """The JSON array of a page's ``item``s in ``order`` (``[]`` for none), as one column."""
    return sa.select(
        sa.func.coalesce(
            sa.func.json_agg(aggregate_order_by(item, order)), sa.literal_column("'[]'::json")
        )
    ).scalar_subquery()


MAX_READ_IDS = 500


def mark_read(
    actor: Actor,
    session_id: str,
    *,
    up_to_seq: int | None = None,
    message_ids: list[str] | None = None,
) -> tuple[list[str], Any]:
    """Mark the other side's messages read (read receipts); returns (ids newly read, read-at).

    Only the customer and the assigned agent produce receipts: another agent looking at a chat
    does not tell the customer their message was read.
    """
    session = access_session(actor, session_id)
    if actor.id not in (session.user_id, session.agent_id):
        db.session.commit()
        return [], None
    now = utcnow()
    # The customer reads what support wrote (agent, assistant, notices); the agent reads the
    # customer's messages only - the customer's unread state of the assistant's stays theirs.
    written_by_customer = ChatMessage.sender_type == SenderType.USER
    conditions = [
        ChatMessage.session_id == session.id,
        ~written_by_customer if actor.id == session.user_id else written_by_customer,
        ChatMessage.is_read.is_(False),
    ]
    if up_to_seq is not None:
        conditions.append(ChatMessage.seq <= up_to_seq)
    if message_ids is not None:
        conditions.append(ChatMessage.id.in_(message_ids[:MAX_READ_IDS]))
    rows = db.session.execute(
        sa.update(ChatMessage)
        .where(*conditions)
        .values(is_read=True, read_at=now)
        .returning(ChatMessage.id, ChatMessage.seq)
        .execution_options(synchronize_session=False)
    ).all()
    ids = [row.id for row in sorted(rows, key=lambda r: r.seq)]
    if ids:
        publish(MessagesRead(session.id, actor.id, ids, now.isoformat()))
    db.session.commit()
    return ids, now if ids else None

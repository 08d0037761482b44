"""Internal notes: staff write them in a chat for staff; customers and the assistant never see one.

Notes live in their own table (models ChatNote), so every path that reads messages (customers'
history, catch-up by ``seq``, the assistant's prompt, the idle and SLA clocks, read receipts)
cannot return one, and a note never takes a message ``seq`` (no hole in the customer's numbers).
Each note records ``after_seq``, the last message it follows, for its place in the transcript,
and a ``note_seq`` of its own (1, 2, 3... per session, allocated under the session's row lock,
so gap-free) that agents catch up by.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa

from livechat.events import NotePosted, publish
from livechat.extensions import db
from livechat.models import ChatNote, ChatSession, User, utcnow
from livechat.redaction import mask_cards
from livechat.schemas.chat import NoteSchema
from livechat.services import audit, rules
from livechat.services.access import (
    Actor,
    UserBrief,
    access_session,
    brief_columns,
    brief_of,
    columns_as_attributes,
)

_note_schema = NoteSchema()

# Notes an agent gets on joining a chat (session:history) before paging with REST.
NOTES_ON_JOIN = 500


def post_note(
    actor: Actor, session_id: str, content: str, *, client_message_id: str | None = None
) -> tuple[ChatNote, bool]:
    """Store an internal note; returns (note, created). Any agent or admin may write one, open
    chat or ended (rules.note_refusal); a retry with the same ``client_message_id`` returns the
    stored note and publishes nothing. Audited (``note.posted``, without its text)."""
    # The row lock makes note_seq gap-free and after_seq the last message committed before it.
    session = access_session(actor, session_id, lock=True)  # unknown: 404; a stranger's: 403
    refusal = rules.note_refusal(actor.role.is_staff)
    if refusal is not None:
        raise refusal
    if client_message_id is not None:
        stored = db.session.scalars(
            sa.select(ChatNote).where(
                ChatNote.session_id == session.id, ChatNote.client_message_id == client_message_id
            )
        ).first()
        if stored is not None:
            db.session.commit()
            return stored, False
    note_seq = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(ChatNote.note_seq), 0) + 1).where(
            ChatNote.session_id == session.id
        )
    )
    note = ChatNote(
        session_id=session.id,
        note_seq=note_seq,
        after_seq=session.last_seq,
        author_id=actor.id,
        content=mask_cards(content),  # PCI: card numbers are never stored, whoever typed them
        client_message_id=client_message_id,
        created_at=utcnow(),
    )
    db.session.add(note)
    db.session.flush()
    db.session.refresh(note)  # its author, for the payload
    audit.record(
        actor.id,
        "note.posted",
        session_id=session.id,
        subject_user_id=session.user_id,
        details={"noteId": note.id, "noteSeq": note.note_seq},
    )
    publish(NotePosted(session.id, _note_schema.dump(note)))
    db.session.commit()
    return note, True


def list_notes(
    actor: Actor, session_id: str, *, after: int | None = None, limit: int = 200
) -> tuple[ChatSession, list[NoteRow], bool]:
    """A chat's notes by ``note_seq`` (those after ``after``); staff only. The flag says
    whether more follow."""
    session = access_session(actor, session_id)
    refusal = rules.note_refusal(actor.role.is_staff)
    if refusal is not None:
        raise refusal
    items, more = page_notes(session.id, after=after, limit=limit)
    return session, items, more


def page_notes(
    session_id: str, *, after: int | None = None, limit: int = NOTES_ON_JOIN
) -> tuple[list[NoteRow], bool]:
    """``list_notes`` for a session the caller has authorised for staff: ``NoteRow``s (every
    staff join reads a page; an ORM instance per note and its author cost more than the
    statement)."""
    params = {"session_id": session_id, "after": after, "limit": limit + 1}
    rows = db.session.execute(_page_statement(after is not None), params).all()
    return [NoteRow.of(row) for row in rows[:limit]], len(rows) > limit


@dataclass(frozen=True, slots=True)
class NoteRow:
    """An internal note read to be dumped (NoteSchema's fields), its author's brief with it."""

    id: str
    session_id: str
    note_seq: int
    after_seq: int
    author_id: str
    content: str
    client_message_id: str | None
    created_at: datetime
    author: UserBrief | None

    @classmethod
    def of(cls, row: Any) -> NoteRow:
        m = row._mapping
        return cls(**{key: m[key] for key in _NOTE_COLUMNS}, author=brief_of(m, "author"))


_NOTE_COLUMNS = tuple(NoteRow.__dataclass_fields__)[:-1]


@functools.cache
def _page_statement(after: bool) -> sa.Select[Any]:
    """page_notes' statements, built once with bound parameters (Core: see SessionRow)."""
    notes = cast(sa.Table, ChatNote.__table__)
    author = cast(sa.Table, User.__table__).alias("author")
    stmt = sa.select(
        *columns_as_attributes(ChatNote, _NOTE_COLUMNS),
        *brief_columns(author, "author"),
    ).select_from(notes.outerjoin(author, author.c.id == notes.c.author_id))
    return paged_notes(stmt, notes.c, after)


def paged_notes(
    stmt: sa.Select[Any], n: Any, after: bool, *, after_key: str = "after", limit_key: str = "limit"
) -> sa.Select[Any]:
    """``stmt`` over ``n`` (``chat_notes``' columns) cut to one page of the chat
    ``:session_id``'s notes by ``note_seq``: the first ``:limit`` (after ``:after``), under
    these parameter names (a statement that pages messages too names them apart)."""
    stmt = stmt.where(n.session_id == sa.bindparam("session_id"))
    if after:
        stmt = stmt.where(n.note_seq > sa.bindparam(after_key))
    return stmt.order_by(n.note_seq).limit(sa.bindparam(limit_key, type_=sa.Integer))


def notes_of(session_ids: list[str]) -> dict[str, list[ChatNote]]:
    """Every note of these chats, by session, each in ``note_seq`` order (the admin export)."""
    by_session: dict[str, list[ChatNote]] = {sid: [] for sid in session_ids}
    if session_ids:
        for note in (
            db.session.scalars(
                sa.select(ChatNote)
                .where(ChatNote.session_id.in_(session_ids))
                .order_by(ChatNote.session_id, ChatNote.note_seq)
            )
            .unique()
            .all()
        ):
            by_session[note.session_id].append(note)
    return by_session

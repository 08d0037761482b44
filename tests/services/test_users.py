"""record_contact: the one-statement upsert every sign-in runs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa


def _row(uid: str) -> Any:
    from livechat.extensions import db
    from livechat.models import User

    db.session.remove()
    return db.session.scalars(sa.select(User).where(User.id == uid)).first()


def test_first_contact_creates_then_changes_only_what_the_token_says(ctx: Any) -> None:
    from livechat.models import Role
    from livechat.services.users import Identity, record_contact

    record_contact(Identity("cust-1", Role.USER, email="a@example.com", name="Ann"))
    first = _row("cust-1")
    seen = first.last_seen_at
    assert (first.email, first.display_name, first.role) == ("a@example.com", "Ann", Role.USER)

    # The same claims again: nothing to write (last_seen_at is fresh).
    record_contact(Identity("cust-1", Role.USER, email="a@example.com", name="Ann"))
    assert _row("cust-1").last_seen_at == seen

    # A token without email or name keeps the stored ones; a new role is taken.
    record_contact(Identity("cust-1", Role.AGENT))
    row = _row("cust-1")
    assert (row.email, row.display_name, row.role) == ("a@example.com", "Ann", Role.AGENT)

    record_contact(Identity("cust-1", Role.AGENT, email="new@example.com"))
    assert _row("cust-1").email == "new@example.com"


def test_a_stale_last_seen_is_refreshed(ctx: Any) -> None:
    from livechat.extensions import db
    from livechat.models import Role, User
    from livechat.services.users import LAST_SEEN_RESOLUTION, Identity, record_contact

    record_contact(Identity("cust-2", Role.USER))
    old = _row("cust-2").last_seen_at - LAST_SEEN_RESOLUTION - timedelta(seconds=1)
    db.session.execute(sa.update(User).where(User.id == "cust-2").values(last_seen_at=old))
    db.session.commit()
    record_contact(Identity("cust-2", Role.USER))
    assert _row("cust-2").last_seen_at > old + LAST_SEEN_RESOLUTION


def test_an_unchanged_contact_only_reads(ctx: Any) -> None:
    """The same claims again lock nothing and write nothing: no transaction id is taken, so
    the row's xmax stays as it was (ON CONFLICT DO UPDATE would lock it: WAL and a commit
    flush on every connect)."""
    from livechat.extensions import db
    from livechat.models import Role
    from livechat.services.users import Identity, record_contact

    def xmax() -> tuple[str, str]:
        db.session.remove()
        row = db.session.execute(
            sa.text("SELECT xmax::text, ctid::text FROM users WHERE id = 'cust-3'")
        ).one()
        db.session.rollback()
        return row[0], row[1]

    record_contact(Identity("cust-3", Role.USER, email="c@example.com", name="Cy"))
    before = xmax()
    for _ in range(3):
        record_contact(Identity("cust-3", Role.USER, email="c@example.com", name="Cy"))
        record_contact(Identity("cust-3", Role.USER))  # no email, no name: keeps the stored
    assert xmax() == before
    record_contact(Identity("cust-3", Role.USER, name="Cyril"))
    assert xmax() != before
    assert _row("cust-3").display_name == "Cyril"


def test_a_chat_sockets_sign_in_records_the_contact_in_its_read(ctx: Any) -> None:
    """sessions.sign_in (every chat socket's connect) upserts like record_contact, in the same
    statement as its read of the open chat: first contact, a changed claim, an unchanged one
    (no write: xmax stays), and the open chat or None."""
    from livechat.extensions import db
    from livechat.models import Role
    from livechat.services import sessions
    from livechat.services.users import Identity

    assert sessions.sign_in(Identity("cust-4", Role.USER, name="Di")) is None
    assert _row("cust-4").display_name == "Di"
    session, created = sessions.open_session(Identity("cust-4", Role.USER), "card")
    assert created
    session_id = session.id

    def xmax() -> str:
        db.session.remove()
        value = db.session.scalar(sa.text("SELECT xmax::text FROM users WHERE id = 'cust-4'"))
        db.session.rollback()
        return str(value)

    before = xmax()
    row = sessions.sign_in(Identity("cust-4", Role.USER, name="Di"))
    assert row is not None and row.id == session_id and row.is_open
    assert xmax() == before  # unchanged claims: read only
    # A new name is written; the statement's read still sees the row as it was (one snapshot).
    row = sessions.sign_in(Identity("cust-4", Role.USER, name="Diana"))
    assert row is not None and row.user.display_name == "Di"
    assert _row("cust-4").display_name == "Diana"
    sessions.end_session(Identity("cust-4", Role.USER), session_id, outcome=None, note=None)
    assert sessions.sign_in(Identity("cust-4", Role.USER)) is None


def test_session_rows_dump_as_the_orm_session_does(ctx: Any) -> None:
    """A SessionRow (connect and join read one) dumps exactly as the ChatSession it stands
    for, for customers and for staff, with and without an agent; page_messages' rows and
    page_notes' NoteRows dump as ChatMessage and ChatNote instances do."""
    from livechat.extensions import db
    from livechat.models import ChatMessage, ChatNote, ChatSession, Role
    from livechat.schemas.chat import MessageSchema, NoteSchema, SessionSchema, StaffSessionSchema
    from livechat.services import messages, notes, sessions
    from livechat.services.access import access_session_row
    from livechat.services.users import Identity, record_contact

    customer = Identity("cust-5", Role.USER, name="Eve")
    agent = Identity("agent-5", Role.AGENT, name="Ann")
    record_contact(customer)
    record_contact(agent)
    session, _ = sessions.open_session(customer, "card", {"page": "/cards"})
    session_id = session.id
    messages.post_message(customer, session_id, "hello", client_message_id="c1")
    messages.post_message(customer, session_id, "anyone?", metadata={"k": 1})
    notes.post_note(agent, session_id, "VIP", client_message_id="n1")
    notes.post_note(Identity("admin-5", Role.ADMIN), session_id, "no users row: no author")

    def compare() -> None:
        db.session.remove()
        orm = db.session.get(ChatSession, session_id)
        row = access_session_row(agent, session_id)
        for schema in (SessionSchema(), StaffSessionSchema()):
            assert schema.dump(row) == schema.dump(orm)
        stored = db.session.scalars(
            sa.select(ChatMessage).where(ChatMessage.session_id == session_id)
        ).all()
        rows, more = messages.page_messages(row)
        assert not more and len(rows) == 2
        assert MessageSchema(many=True).dump(rows) == MessageSchema(many=True).dump(stored)
        orm_notes = db.session.scalars(
            sa.select(ChatNote).where(ChatNote.session_id == session_id).order_by(ChatNote.note_seq)
        ).unique()
        note_rows, more = notes.page_notes(session_id)
        assert not more and len(note_rows) == 2
        assert NoteSchema(many=True).dump(note_rows) == NoteSchema(many=True).dump(orm_notes)
        db.session.rollback()

    compare()
    db.session.execute(
        sa.update(ChatSession).where(ChatSession.id == session_id).values(agent_id="agent-5")
    )
    db.session.commit()
    compare()

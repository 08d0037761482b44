"""A socket's join read (services/messages.read_for_join): the page PostgreSQL dumps is what
MessageSchema dumps, paged as before, and access is checked whichever way the read goes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from livechat.errors import Forbidden, NotFound


def _setup(make_user: Any) -> tuple[Any, Any, str]:
    from livechat.extensions import db
    from livechat.models import ChatMessage, ChatSession, SenderType, SessionStatus

    customer = make_user("jr-cust")
    agent = make_user("jr-agent", role="agent")
    chat = ChatSession(user_id="jr-cust", status=SessionStatus.ACTIVE, meta={})
    db.session.add(chat)
    db.session.flush()
    rows = [
        # A whole second (Python leaves the fraction out), a read one, odd text and metadata.
        dict(created_at=datetime(2026, 12, 7, 9, 0, 0, tzinfo=UTC), meta={}),
        dict(
            created_at=datetime(2026, 12, 7, 9, 0, 1, 500000, tzinfo=UTC),
            is_read=True,
            read_at=datetime(2026, 12, 7, 9, 5, 0, 7, tzinfo=UTC),
            content='quote " backslash \\ newline \n emoji 🙂 ñ',
            meta={"client": {"a": [1, 2.5, None, True, "x"]}, "n": {"deep": {"er": {}}}},
            client_message_id="c-2",
        ),
        dict(created_at=datetime(1999, 1, 2, 3, 4, 5, 60, tzinfo=UTC), meta=None),
    ]
    for seq, over in enumerate(rows, start=1):
        values: dict[str, Any] = {
            "session_id": chat.id,
            "seq": seq,
            "sender_id": "jr-cust",
            "sender_type": SenderType.USER,
            "content": f"message {seq}",
            "is_read": False,
            **over,
        }
        db.session.add(ChatMessage(**values))
    chat.last_seq = len(rows)
    db.session.commit()
    return customer, agent, chat.id


def _read(
    actor: Any, session_id: str, seen: Any = (), calls: list[Any] | None = None, **kw: Any
) -> tuple[Any, list[Any]]:
    """read_for_join as a socket's join calls it; ``calls`` records the room callbacks (pass
    one to keep it when the read raises)."""
    from livechat.services import messages

    calls = [] if calls is None else calls
    read = messages.read_for_join(
        actor,
        session_id,
        after=kw.get("after"),
        limit=kw.get("limit", 50),
        after_note=kw.get("after_note"),
        seen=seen,
        admitted=lambda sid, staff: calls.append(("admitted", sid, staff)),
        withdrawn=lambda sid: calls.append(("withdrawn", sid)),
    )
    return read, calls


@contextmanager
def _statements() -> Iterator[list[str]]:
    """The SQL statements run inside the block."""
    from livechat.extensions import db

    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


def test_the_page_is_what_message_schema_dumps(ctx: Any, make_user: Any) -> None:
    from livechat.extensions import db
    from livechat.models import ChatMessage
    from livechat.schemas.chat import MessageSchema

    customer, _, sid = _setup(make_user)
    read, calls = _read(customer, sid, seen={sid})
    stored = db.session.query(ChatMessage).filter_by(session_id=sid).order_by("seq").all()
    assert read.messages == MessageSchema(many=True).dump(stored)
    assert [m["createdAt"] for m in read.messages] == [
        "2026-12-07T09:00:00+00:00",
        "2026-12-07T09:00:01.500000+00:00",
        "1999-01-02T03:04:05.000060+00:00",
    ]
    assert read.messages[1]["readAt"] == "2026-12-07T09:05:00.000007+00:00"
    assert list(read.messages[0]) == list(MessageSchema().dump(stored[0]))  # same key order
    assert read.session.id == sid and not read.has_more
    assert calls == [("admitted", sid, False)]


def test_pages_and_catch_up_say_whether_there_is_more(ctx: Any, make_user: Any) -> None:
    customer, _, sid = _setup(make_user)
    latest, _ = _read(customer, sid, seen={sid}, limit=2)
    assert [m["seq"] for m in latest.messages] == [2, 3] and latest.has_more
    catch_up, _ = _read(customer, sid, seen={sid}, after=0, limit=2)
    assert [m["seq"] for m in catch_up.messages] == [1, 2] and catch_up.has_more
    rest, _ = _read(customer, sid, seen={sid}, after=2, limit=2)
    assert [m["seq"] for m in rest.messages] == [3] and not rest.has_more
    past_the_end, _ = _read(customer, sid, seen={sid}, after=3)
    assert past_the_end.messages == [] and not past_the_end.has_more
    assert past_the_end.session.last_seq == 3


def test_someone_elses_chat_is_refused_before_any_room_is_joined(ctx: Any, make_user: Any) -> None:
    _, _, sid = _setup(make_user)
    other = make_user("jr-other")
    calls: list[Any] = []
    with pytest.raises(Forbidden):
        _read(other, sid, calls=calls)
    assert calls == []
    # Even when the caller wrongly believes it theirs: the statement checks, rooms are undone.
    with pytest.raises(Forbidden):
        _read(other, sid, seen={sid}, calls=calls)
    assert calls == [("admitted", sid, False), ("withdrawn", sid)]


def test_a_foreseen_join_is_one_statement_and_an_unknown_chat_is_undone(
    ctx: Any, make_user: Any
) -> None:
    from livechat.models import Role
    from livechat.services.users import Identity

    _, _, sid = _setup(make_user)
    # As a socket knows them: its token's identity, no user row to load.
    customer = Identity(uid="jr-cust", role=Role.USER, name="Jr-Cust")
    agent = Identity(uid="jr-agent", role=Role.AGENT, name="Jr-Agent")
    from livechat.extensions import db

    for actor, seen in ((agent, ()), (customer, {sid})):
        db.session.close()  # as a socket event starts: no transaction open
        with _statements() as ran:
            read, calls = _read(actor, sid, seen=seen)
        assert len(ran) == 1, ran
        assert [m["seq"] for m in read.messages] == [1, 2, 3]
        assert calls == [("admitted", sid, actor is agent)]
    assert read.notes is None  # the customer's
    # A customer's chat not seen as theirs yet: the access read first, then the join's read.
    db.session.close()
    with _statements() as ran:
        _read(customer, sid)
    assert len(ran) == 2, ran
    undone: list[Any] = []
    with pytest.raises(NotFound) as err:
        _read(agent, "no-such-chat", calls=undone)
    assert err.value.code == "session_not_found"
    assert undone == [("admitted", "no-such-chat", True), ("withdrawn", "no-such-chat")]


def test_staff_get_the_notes_as_note_schema_dumps_them(ctx: Any, make_user: Any) -> None:
    from livechat.extensions import db
    from livechat.models import ChatNote
    from livechat.schemas.chat import NoteSchema
    from livechat.services import notes

    _, agent, sid = _setup(make_user)
    notes.post_note(agent, sid, 'checked the "card"\nfine 🙂', client_message_id="n-1")
    notes.post_note(agent, sid, "second")
    # A note whose author's row is gone: author null, as the generic dump gives.
    db.session.add(
        ChatNote(session_id=sid, note_seq=3, after_seq=3, author_id="jr-gone", content="x")
    )
    db.session.commit()
    expected = NoteSchema(many=True).dump(notes.page_notes(sid)[0])
    assert [n["author"] for n in expected][2] is None
    read, _ = _read(agent, sid)
    assert read.notes == expected and not read.has_more_notes
    assert list(read.notes[0]) == list(expected[0])
    after, _ = _read(agent, sid, after_note=1)
    assert [n["noteSeq"] for n in after.notes] == [2, 3]
    customer_read, _ = _read(make_user("jr-cust"), sid, seen={sid})
    assert customer_read.notes is None

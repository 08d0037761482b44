"""A socket's join read (services/messages.read_for_join): the page PostgreSQL dumps is what
MessageSchema dumps, paged as before, and access is checked whichever way the read goes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

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


def _read(actor: Any, session_id: str, seen: Any = (), **kw: Any) -> tuple[Any, list[Any]]:
    from livechat.services import messages

    calls: list[Any] = []
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
        _, calls = _read(other, sid)
    assert calls == []
    # Even when the caller wrongly believes it theirs: the statement checks, rooms are undone.
    from livechat.services import messages

    seen_calls: list[Any] = []
    with pytest.raises(Forbidden):
        messages.read_for_join(
            other,
            sid,
            after=None,
            limit=50,
            after_note=None,
            seen={sid},
            admitted=lambda s, staff: seen_calls.append(("admitted", s)),
            withdrawn=lambda s: seen_calls.append(("withdrawn", s)),
        )
    assert seen_calls == [("admitted", sid), ("withdrawn", sid)]


def test_staff_read_any_chat_in_one_statement_and_an_unknown_one_is_undone(
    ctx: Any, make_user: Any
) -> None:
    _, agent, sid = _setup(make_user)
    read, calls = _read(agent, sid)
    assert [m["seq"] for m in read.messages] == [1, 2, 3] and read.notes == []
    assert calls == [("admitted", sid, True)]
    from livechat.services import messages

    undone: list[Any] = []
    with pytest.raises(NotFound) as err:
        messages.read_for_join(
            agent,
            "no-such-chat",
            after=None,
            limit=50,
            after_note=None,
            seen=(),
            admitted=lambda s, staff: undone.append(("admitted", s)),
            withdrawn=lambda s: undone.append(("withdrawn", s)),
        )
    assert err.value.code == "session_not_found"
    assert undone == [("admitted", "no-such-chat"), ("withdrawn", "no-such-chat")]


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

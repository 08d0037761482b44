"""Internal notes (services/notes.py) on PostgreSQL: ordering, audit, the assistant, data rights."""

from __future__ import annotations

from typing import Any

import pytest

SECRET = "VIP customer, chargeback history"


@pytest.fixture()
def chat(ctx: Any, make_user: Any) -> str:
    """An open chat the assistant answers (no agent), with two customer messages."""
    from livechat.services import messages, sessions

    customer = make_user("cust-n")
    make_user("agent-n", "agent")
    make_user("admin-n", "admin")
    sid = sessions.open_session(customer)[0].id
    messages.post_message(customer, sid, "first")
    messages.post_message(customer, sid, "second")
    return sid


def _user(uid: str) -> Any:
    from livechat.services.users import get_user

    return get_user(uid)


def test_notes_have_their_own_gap_free_order_and_follow_a_message(chat: str) -> None:
    from livechat.services import messages, notes

    first, created = notes.post_note(_user("agent-n"), chat, "one")
    assert created and (first.note_seq, first.after_seq) == (1, 2)
    reply, _ = messages.post_message(_user("cust-n"), chat, "third")
    assert reply.seq == 3  # no hole left by the note
    second, _ = notes.post_note(_user("admin-n"), chat, "two")
    assert (second.note_seq, second.after_seq) == (2, 3)
    _, items, more = notes.list_notes(_user("agent-n"), chat, after=1)
    assert [n.content for n in items] == ["two"] and more is False


def test_a_customer_may_not_write_or_list_notes(chat: str) -> None:
    from livechat.errors import Forbidden
    from livechat.services import notes

    with pytest.raises(Forbidden) as refused:
        notes.post_note(_user("cust-n"), chat, "me too")
    assert refused.value.code == "note_not_allowed"
    with pytest.raises(Forbidden) as refused:
        notes.list_notes(_user("cust-n"), chat)
    assert refused.value.code == "note_not_allowed"
    assert notes.page_notes(chat) == ([], False)


def test_card_numbers_in_a_note_are_masked(chat: str) -> None:
    from livechat.services import notes

    note, _ = notes.post_note(_user("agent-n"), chat, "card 4111 1111 1111 1111 was used")
    assert "4111 1111 1111 1111" not in note.content


def test_posting_a_note_is_audited_without_its_text(chat: str) -> None:
    from livechat.services import audit, notes

    note, _ = notes.post_note(_user("agent-n"), chat, SECRET)
    items, _ = audit.list_events(_user("admin-n"), session_id=chat)
    entry = next(e for e in items if e.action == "note.posted")
    assert (entry.actor_id, entry.subject_user_id) == ("agent-n", "cust-n")
    assert entry.details == {"noteId": note.id, "noteSeq": 1}
    assert SECRET not in str(entry.details)


def test_the_assistant_never_reads_a_note(chat: str, app: Any) -> None:
    from livechat import runtime
    from livechat.ai.turns import build_prompt
    from livechat.services import assistant, notes

    notes.post_note(_user("agent-n"), chat, SECRET)
    ctx = assistant.load_turn(chat)
    assert ctx is not None
    assert ctx.history == [("USER", "first", 1), ("USER", "second", 2)]
    prompt = build_prompt(runtime.orchestrator(), ctx, "en", "card_blocked")
    text = repr(prompt)
    assert "second" in text and SECRET not in text and "chargeback history" not in text


def test_the_export_marks_notes_internal_and_erasure_redacts_them(chat: str) -> None:
    from livechat.schemas.privacy import CustomerExportSchema, EraseSummarySchema
    from livechat.services import notes, privacy, sessions

    notes.post_note(_user("agent-n"), chat, SECRET)
    exported = CustomerExportSchema().dump(privacy.export_customer(_user("admin-n"), "cust-n"))
    (session,) = exported["sessions"]
    assert [m["content"] for m in session["messages"]] == ["first", "second"]
    assert [(n["content"], n["internal"]) for n in session["notes"]] == [(SECRET, True)]

    sessions.end_session(_user("agent-n"), chat)
    summary = EraseSummarySchema().dump(
        privacy.erase_customer(_user("admin-n"), "cust-n", confirm="cust-n")
    )
    assert summary["notesRedacted"] == 1
    assert [n.content for n in notes.page_notes(chat)[0]] == [privacy.REDACTED]

"""Full-text search (services/search.py) on PostgreSQL: languages, notes, filters, erasure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest


def _user(uid: str) -> Any:
    from livechat.services.users import get_user

    return get_user(uid)


@pytest.fixture()
def chats(ctx: Any, make_user: Any) -> dict[str, str]:
    """Three customers' chats in three languages, one ended, one with a note."""
    from livechat.services import messages, notes, sessions

    agent = make_user("agent-s", "agent", "Ada")
    make_user("admin-s", "admin")
    ids: dict[str, str] = {}
    for uid, text in (
        ("cust-en", "My cards were blocked after the refunds"),
        ("cust-es", "Mis tarjetas no funcionan desde ayer"),
        ("cust-de", "Meine Überweisungen sind nicht angekommen"),
    ):
        customer = make_user(uid)
        sid = sessions.open_session(customer)[0].id
        messages.post_message(customer, sid, text)
        ids[uid] = sid
    sessions.assign_agent(agent, ids["cust-es"])
    notes.post_note(agent, ids["cust-es"], "Tarjeta bloqueada por fraude, ref ZX-4411")
    sessions.end_session(agent, ids["cust-en"])
    return ids


def _search(q: str, uid: str = "agent-s", **kwargs: Any) -> list[dict[str, Any]]:
    from livechat.services import search

    hits, _ = search.search(_user(uid), q, **kwargs)
    return hits


def _matched(hit: dict[str, Any]) -> list[str]:
    return [s["text"] for s in hit["segments"] if s["match"]]


@pytest.mark.parametrize(
    ("q", "owner", "words"),
    [
        ("card refunded", "cust-en", ["cards", "refunds"]),  # English stems
        ("tarjeta funcionar", "cust-es", ["tarjetas", "funcionan"]),  # Spanish stems
        ("Überweisung", "cust-de", ["Überweisungen"]),  # German stems
    ],
)
def test_each_language_stems_and_highlights(
    chats: dict[str, str], q: str, owner: str, words: list[str]
) -> None:
    hits = [h for h in _search(q) if h["kind"] == "message"]
    assert [h["session_id"] for h in hits] == [chats[owner]]
    assert _matched(hits[0]) == words
    # The segments are the whole content, in order.
    assert "".join(s["text"] for s in hits[0]["segments"]).startswith(("My", "Mis", "Meine"))


def test_notes_are_found_marked_as_notes_and_ids_match_as_typed(chats: dict[str, str]) -> None:
    hits = _search("ZX-4411")
    assert [(h["kind"], h["session_id"], h["sender_id"]) for h in hits] == [
        ("note", chats["cust-es"], "agent-s")
    ]
    both = _search("tarjeta")
    assert sorted(h["kind"] for h in both) == ["message", "note"]
    assert [h["kind"] for h in _search("tarjeta", kind="message")] == ["message"]


def test_newest_first_and_relevance(chats: dict[str, str]) -> None:
    newest = _search("tarjeta")
    assert newest[0]["created_at"] >= newest[1]["created_at"]
    ranked = _search("tarjeta bloqueada", sort="relevance")
    assert ranked[0]["kind"] == "note"


def test_filters_narrow_the_chats(chats: dict[str, str]) -> None:
    from livechat.models import SessionStatus

    assert [h["session_id"] for h in _search("cards", status=SessionStatus.ENDED)] == [
        chats["cust-en"]
    ]
    assert _search("cards", status=SessionStatus.ACTIVE) == []
    assert _search("tarjeta", user_id="cust-en") == []
    assert len(_search("tarjeta", agent_id="agent-s")) == 2
    future = datetime.now(UTC) + timedelta(days=1)
    assert _search("cards", created_from=future) == []
    assert len(_search("cards", created_to=future)) == 1


def test_a_customer_may_not_search(chats: dict[str, str]) -> None:
    from livechat.errors import Forbidden

    with pytest.raises(Forbidden):
        _search("cards", uid="cust-en")


@pytest.mark.parametrize("q", ["", "   ", "!!! ???", "&|"])
def test_a_query_without_words_is_refused(chats: dict[str, str], q: str) -> None:
    from livechat.errors import DomainError

    with pytest.raises(DomainError) as refused:
        _search(q)
    assert (refused.value.status, refused.value.code) == (400, "empty_query")


def test_an_empty_date_range_is_refused(chats: dict[str, str]) -> None:
    from livechat.errors import DomainError

    now = datetime.now(UTC)
    with pytest.raises(DomainError) as refused:
        _search("cards", created_from=now, created_to=now)
    assert (refused.value.status, refused.value.code) == (400, "bad_date_range")


def test_erased_customers_are_not_findable(chats: dict[str, str]) -> None:
    from livechat.services import privacy

    assert _search("tarjeta") and _search("ZX-4411")
    privacy.erase_customer(_user("admin-s"), "cust-es", confirm="cust-es")
    assert _search("tarjeta") == []
    assert _search("ZX-4411") == []
    assert _search("erased") == []  # not even the placeholder the redaction left
    assert len(_search("cards")) == 1  # the others stay findable


def test_pages_say_whether_more_follow(ctx: Any, make_user: Any) -> None:
    from livechat.services import messages, search, sessions

    customer = make_user("cust-p")
    make_user("agent-p", "agent")
    sid = sessions.open_session(customer)[0].id
    for i in range(5):
        messages.post_message(customer, sid, f"payment {i} failed")
    agent = _user("agent-p")
    first, more = search.search(agent, "payments", page_size=2)
    assert more and [h["seq"] for h in first] == [5, 4]
    last, more = search.search(agent, "payments", page=3, page_size=2)
    assert not more and [h["seq"] for h in last] == [1]


def test_markup_in_content_comes_back_as_text(ctx: Any, make_user: Any) -> None:
    from livechat.services import messages, sessions

    customer = make_user("cust-x")
    make_user("agent-x", "agent")
    sid = sessions.open_session(customer)[0].id
    messages.post_message(customer, sid, "<img src=x onerror=alert(1)> refund please")
    (hit,) = _search("refund", uid="agent-x")
    assert hit["segments"][0] == {"text": "<img src=x onerror=alert(1)> ", "match": False}
    assert _matched(hit) == ["refund"]


def test_the_probe_uses_the_gin_indexes(chats: dict[str, str]) -> None:
    import sqlalchemy as sa

    from livechat.extensions import db
    from livechat.models import ChatMessage, ChatNote
    from livechat.services import search

    # As the service runs it (seq and plain index scans off: the GIN bitmap or nothing).
    search._planner(seqscan=False, indexscan=False)
    for model, index in (
        (ChatMessage, "ix_chat_messages_search_vector"),
        (ChatNote, "ix_chat_notes_search_vector"),
    ):
        stmt = search.probe(model, search.tsquery("tarjeta"))
        sql = stmt.compile(db.engine, compile_kwargs={"literal_binds": True})
        plan = "\n".join(db.session.execute(sa.text(f"EXPLAIN {sql}")).scalars())
        assert f"Bitmap Index Scan on {index}" in plan, plan
    db.session.rollback()


@pytest.mark.parametrize(
    ("few_sessions", "few_matches", "strategy"),
    [(1, 1000, "index"), (1, 1, "recent"), (2000, 1000, "sessions")],
)
def test_every_strategy_finds_the_same_rows(
    ctx: Any,
    make_user: Any,
    monkeypatch: pytest.MonkeyPatch,
    few_sessions: int,
    few_matches: int,
    strategy: str,
) -> None:
    """The three ways of reading (services/search.py) agree; the thresholds pick which."""
    from livechat.models import SessionStatus
    from livechat.services import messages, search, sessions

    monkeypatch.setattr(search, "FEW_SESSIONS", few_sessions)
    monkeypatch.setattr(search, "SELECTIVE_SESSIONS", few_sessions)
    monkeypatch.setattr(search, "FEW_MATCHES", few_matches)
    monkeypatch.setattr(search, "FEW_MATCHES_FILTERED", few_matches)
    make_user("agent-t", "agent")
    for i in range(3):
        customer = make_user(f"cust-t{i}")
        sid = sessions.open_session(customer)[0].id
        messages.post_message(customer, sid, f"transfer {i} is late")
        messages.post_message(customer, sid, "hello")
    sessions.end_session(_user("agent-t"), sid)
    used: list[str] = []
    real = search._strategy

    def spy(*args: Any) -> Any:
        chosen = real(*args)
        used.append(chosen[0])
        return chosen

    monkeypatch.setattr(search, "_strategy", spy)
    hits = _search("transfers", uid="agent-t", kind="message", status=SessionStatus.ACTIVE)
    assert [h["segments"][1]["text"] for h in hits] == [" 1 is late", " 0 is late"]
    assert used == [strategy]

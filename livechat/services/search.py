"""Full-text search over chat messages and internal notes, for staff (docs/api.md, "Search").

Each message and note has a stored ``search_vector``: its content's lexemes in the six
languages the assistant speaks and in ``simple`` (models SEARCH_CONFIGS), under a GIN index. A
query is read with ``websearch_to_tsquery`` in each of the seven configs and the readings are
OR-ed, so "tarjetas" finds "tarjeta" (Spanish stems), "refunds" finds "refunded" (English), and
an id or an amount matches as typed (simple). The query is a constant expression, folded at plan
time, so the planner sees it and uses the GIN indexes.

Highlights come back as segments of the content (``{"text", "match"}``), never as markup: the
console builds text nodes from them. They are computed for the page's rows only, with
``ts_headline`` in each config, and merged.

Erased customers' chats are left out (their content is redacted already; this keeps even the
placeholder and anything an agent wrote about them out of results).
"""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from livechat.errors import DomainError
from livechat.extensions import db
from livechat.models import SEARCH_CONFIGS, ChatMessage, ChatNote, ChatSession, User
from livechat.services.access import Actor, require_staff
from livechat.services.history import session_conditions

KINDS = ("message", "note")
SORTS = ("newest", "relevance")
QUERY_MAX = 200

# Markers ts_headline puts around matches (control characters a message cannot hold: content
# is checked for unstorable text on the way in; any that got in are blanked first).
_START, _STOP = "\x02", "\x03"
_HEADLINE_OPTIONS = f"HighlightAll=true, StartSel={_START}, StopSel={_STOP}"


def _config(name: str) -> Any:
    return sa.literal_column(f"'{name}'::regconfig")


def tsquery(q: str) -> Any:
    """The query as one tsquery: its websearch reading in every SEARCH_CONFIGS config, OR-ed."""
    readings: list[Any] = [sa.func.websearch_to_tsquery(_config(c), q) for c in SEARCH_CONFIGS]
    return functools.reduce(lambda a, b: a.op("||")(b), readings)


def _check_query(q: str) -> str:
    q = q.strip()
    if not q:
        raise DomainError("Type something to search for.", code="empty_query")
    words = db.session.scalar(sa.select(sa.func.numnode(tsquery(q))))
    if not words:
        raise DomainError("The search has no words to look for.", code="empty_query")
    return q


# How a branch finds its rows; the planner's estimates for a tsquery are too coarse to choose
# (a word nobody wrote is guessed at ~0.4 % of the rows, so it walks the whole table newest
# first looking for it), so the service chooses, from two cheap, bounded probes:
#  - "sessions": the filters select few chats: read those chats' rows (their session_id index);
#  - "index": the words match few rows (FEW_MATCHES; FEW_MATCHES_FILTERED when the filters
#    keep at most SELECTIVE_SESSIONS chats, as then a page fills slowly newest first): take
#    them all from the GIN index, keep those in chats the filters keep, newest first;
#  - "recent": the words are frequent: walk the rows newest first until the page is full.
FEW_SESSIONS = 2000
SELECTIVE_SESSIONS = 20_000
FEW_MATCHES = 1000
FEW_MATCHES_FILTERED = 10_000
# Relevance ranks each kind's newest matches, this many (ranking every match of a frequent
# word would read hundreds of thousands of vectors).
RELEVANCE_POOL = 200


def _selected_sessions(conditions: list[Any]) -> tuple[list[str] | None, bool]:
    """The ids of the chats the filters select if they are few (else None), and whether the
    filters are selective (keep at most SELECTIVE_SESSIONS chats)."""
    if not conditions:
        return None, False
    found = db.session.scalars(
        sa.select(ChatSession.id).where(*conditions).limit(SELECTIVE_SESSIONS + 1)
    )
    ids = list(found)
    return (ids if len(ids) <= FEW_SESSIONS else None), len(ids) <= SELECTIVE_SESSIONS


def _planner(*, seqscan: bool, indexscan: bool) -> None:
    """Allow or forbid plan kinds for the rest of this transaction (a read, rolled back)."""
    for name, on in (("enable_seqscan", seqscan), ("enable_indexscan", indexscan)):
        db.session.execute(sa.text(f"SET LOCAL {name} = {'on' if on else 'off'}"))


def probe(model: Any, query: Any) -> sa.Select:
    """The matching rows (id, chat, time), up to FEW_MATCHES: the one statement that uses the
    GIN index."""
    return (
        sa.select(model.id, model.session_id, model.created_at)
        .where(model.search_vector.op("@@")(query))
        .limit(FEW_MATCHES)
    )


def _strategy(
    model: Any,
    query: Any,
    session_ids: list[str] | None,
    conditions: list[Any],
    keep: int,
    selective: bool = False,
) -> tuple[str, list[str]]:
    """How ``_branch`` reads ``model`` (see above), with the ids it reads: the chats' for
    "sessions", for "index" the newest ``keep`` matching rows in chats the filters keep (the
    probe found every match), none for "recent"."""
    if session_ids is not None:
        return "sessions", session_ids
    # With selective filters the page fills slowly newest first (they leave out most of the
    # matches), so more matches are worth taking from the index.
    cap = FEW_MATCHES_FILTERED if selective else FEW_MATCHES
    # Through the GIN index only, so the probe costs at most ``cap`` rows (a scan that
    # "should" stop early reads the whole table when the words are rarer than guessed).
    _planner(seqscan=False, indexscan=False)
    rows = db.session.execute(probe(model, query).limit(cap)).all()
    _planner(seqscan=True, indexscan=True)
    if len(rows) >= cap:
        return "recent", []
    # The chats those rows are in that the filters (and erasure) keep: one lookup per chat.
    chats = list({r.session_id for r in rows})
    kept = set(
        db.session.scalars(
            sa.select(ChatSession.id)
            .join(User, User.id == ChatSession.user_id)
            .where(
                ChatSession.id == sa.any_(sa.bindparam("chats", chats, type_=ARRAY(sa.String))),
                User.erased_at.is_(None),
                *conditions,
            )
        )
    )
    rows = sorted((r for r in rows if r.session_id in kept), key=_newest, reverse=True)
    return "index", [r.id for r in rows[:keep]]


def _newest(row: Any) -> tuple[Any, str]:
    return row.created_at, row.id


def _branch(
    model: Any,
    q: str,
    conditions: list[Any],
    sort: str,
    limit: int,
    strategy: str = "recent",
    ids: list[str] | None = None,
) -> sa.Select:
    """The matching rows of messages or notes (one kind), newest ``limit`` first."""
    query = tsquery(q)
    ids = ids or []
    is_note = model is ChatNote
    columns = [
        sa.literal("note" if is_note else "message").label("kind"),
        model.id.label("id"),
        model.session_id.label("session_id"),
        (model.note_seq if is_note else model.seq).label("seq"),
        (sa.literal("AGENT") if is_note else model.sender_type).label("sender_type"),
        (model.author_id if is_note else model.sender_id).label("sender_id"),
        model.content.label("content"),
        model.created_at.label("created_at"),
        # Ranking reads every match's vector: only when asked to sort by it.
        (
            sa.func.ts_rank_cd(model.search_vector, query)
            if sort == "relevance"
            else sa.literal(0.0, sa.Float)
        ).label("rank"),
    ]
    # The function form of @@: the same test, but no index can serve it, so the planner reads
    # the rows the strategy means: "recent" walks created_at backwards and stops when the page
    # is full, "sessions" reads the chats' rows, "index" the rows the probe found. Left to
    # itself it would trust its guess of how many rows match, often off by 100x (phrases,
    # words it has no statistics for) or its guess for a JSON filter.
    where = [
        sa.func.ts_match_vq(model.search_vector, query),
        User.erased_at.is_(None),
        *conditions,
    ]
    if strategy != "recent":  # one array parameter, however many ids
        column = model.session_id if strategy == "sessions" else model.id
        where.append(
            column == sa.any_(sa.bindparam("ids", ids, type_=ARRAY(sa.String), unique=True))
        )
    stmt = (
        sa.select(*columns)
        .join(ChatSession, ChatSession.id == model.session_id)
        .join(User, User.id == ChatSession.user_id)
        .where(*where)
    )
    newest: Any = model.created_at
    if strategy != "recent":
        # An expression, not the column: the planner cannot walk ix_chat_messages_created_at
        # backwards for it, and takes the rows the index (GIN, or session_id) gives it.
        newest = model.created_at + sa.text("interval '0 s'")
    if sort == "relevance":
        limit = max(limit, RELEVANCE_POOL)
    return stmt.order_by(newest.desc(), model.id.desc()).limit(limit)


def search(
    actor: Actor,
    q: str,
    *,
    kind: str | None = None,
    sort: str = "newest",
    page: int = 1,
    page_size: int = 20,
    **filters: Any,
) -> tuple[list[dict[str, Any]], bool]:
    """A page of messages and notes matching ``q`` (newest first, or by relevance) in the chats
    ``filters`` select (history.session_conditions); staff only. Returns (hits, has_more)."""
    require_staff(actor)
    conditions = session_conditions(**filters)
    q = _check_query(q)
    limit = page * page_size + 1  # each branch's best rows up to the end of this page, plus one
    models = [m for k, m in (("message", ChatMessage), ("note", ChatNote)) if kind in (None, k)]
    session_ids, selective = _selected_sessions(conditions)
    branches = []
    for model in models:
        keep = max(limit, RELEVANCE_POOL) if sort == "relevance" else limit
        strategy, ids = _strategy(model, tsquery(q), session_ids, conditions, keep, selective)
        stmt = _branch(model, q, conditions, sort, limit, strategy, ids)
        branches.append(stmt.subquery())
    union = sa.union_all(*(sa.select(b) for b in branches)).subquery("hits")
    order = [union.c.created_at.desc(), union.c.id.desc()]
    if sort == "relevance":
        order.insert(0, union.c.rank.desc())
    rows = db.session.execute(
        sa.select(union).order_by(*order).offset((page - 1) * page_size).limit(page_size + 1)
    ).all()
    more = len(rows) > page_size
    rows = rows[:page_size]
    sessions = _sessions([r.session_id for r in rows])
    segments = highlight(q, [r.content for r in rows])
    hits = [
        {
            "kind": r.kind,
            "id": r.id,
            "session_id": r.session_id,
            "seq": r.seq,
            "sender_type": r.sender_type,
            "sender_id": r.sender_id,
            "created_at": r.created_at,
            "segments": segments[i],
            "session": sessions[r.session_id],
        }
        for i, r in enumerate(rows)
    ]
    db.session.rollback()  # a read: leave no transaction open
    return hits, more


def _sessions(ids: list[str]) -> dict[str, ChatSession]:
    if not ids:
        return {}
    found = db.session.scalars(sa.select(ChatSession).where(ChatSession.id.in_(set(ids))))
    return {s.id: s for s in found.unique()}


def highlight(q: str, contents: list[str]) -> list[list[dict[str, Any]]]:
    """Each content as segments ``{"text", "match"}``: the words ``q`` matches in any config."""
    if not contents:
        return []
    clean = [c.replace(_START, " ").replace(_STOP, " ") for c in contents]
    text = sa.column("text", sa.Text)
    docs = sa.func.unnest(sa.cast(clean, sa.ARRAY(sa.Text))).table_valued("text").render_derived()
    headlines = [
        sa.func.ts_headline(
            _config(c),
            text,
            sa.func.websearch_to_tsquery(_config(c), q),
            _HEADLINE_OPTIONS,
        )
        for c in SEARCH_CONFIGS
    ]
    rows = db.session.execute(sa.select(*headlines).select_from(docs)).all()
    return [_segments(doc, list(row)) for doc, row in zip(clean, rows, strict=True)]


def _matched(headline: str) -> list[tuple[int, int]]:
    """The (start, end) spans, in the unmarked text, that a headline marks."""
    spans, plain, start = [], 0, 0
    for ch in headline:
        if ch == _START:
            start = plain
        elif ch == _STOP:
            spans.append((start, plain))
        else:
            plain += 1
    return spans


def _segments(doc: str, headlines: list[str]) -> list[dict[str, Any]]:
    marked = [False] * len(doc)
    for headline in headlines:
        if headline.replace(_START, "").replace(_STOP, "") != doc:
            continue  # a config that rewrote the text: its offsets would not fit
        for start, end in _matched(headline):
            marked[start:end] = [True] * (end - start)
    segments: list[dict[str, Any]] = []
    for ch, match in zip(doc, marked, strict=True):
        if segments and segments[-1]["match"] == match:
            segments[-1]["text"] += ch
        else:
            segments.append({"text": ch, "match": match})
    return segments

"""Pagination shared by the list endpoints' services."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from livechat.errors import DomainError
from livechat.extensions import db
from livechat.schemas.base import has_unstorable_text


def _reversed(order: Any) -> Any | None:
    """``order`` the other way round (``x.desc()`` becomes ``x.asc()`` and back, a bare ``x``
    ``x.desc()``); None for what it cannot turn (NULLS FIRST/LAST)."""
    if isinstance(order, UnaryExpression):
        if order.modifier is operators.desc_op:
            return order.element.asc()
        if order.modifier is operators.asc_op:
            return order.element.desc()
        return None
    return order.desc()


def page_window(
    *order_by: Any, page: int, page_size: int, total: int
) -> tuple[tuple[Any, ...], int, int, bool]:
    """Where one page of a list of ``total`` rows is: the order to read in, how many rows to
    skip and take, and whether they come back in reverse. A page in the back half is read from
    the other end of the order (the same index, scanned backwards): OFFSET skips rows one by
    one, so the last page of a long list would otherwise read the whole list. ``order_by``
    must be a total order (end on a unique column) for both ends to agree."""
    offset = (page - 1) * page_size
    back = [_reversed(o) for o in order_by]
    if offset * 2 <= total or offset >= total or any(o is None for o in back):
        return order_by, offset, page_size, False
    end = min(offset + page_size, total)
    return tuple(o for o in back if o is not None), total - end, end - offset, True


def _rows(
    stmt: sa.Select, order_by: tuple[Any, ...], offset: int, limit: int, unique: bool
) -> list[Any]:
    """``limit`` rows of ``stmt`` in ``order_by`` after skipping ``offset``. The skipping is
    done on the primary key alone (a deferred join): the entity's joined loads (a chat's
    customer and agent) then run for the rows returned, not for every row skipped."""
    if offset:
        key = sa.inspect(stmt.column_descriptions[0]["entity"]).primary_key[0]
        skipped = stmt.with_only_columns(key).order_by(*order_by).offset(offset).limit(limit)
        query = stmt.where(key.in_(skipped)).order_by(*order_by)
    else:
        query = stmt.order_by(*order_by).limit(limit)
    result = db.session.scalars(query)
    return list(result.unique().all() if unique else result.all())


def count_statement(stmt: sa.Select) -> sa.Select:
    """How many rows ``stmt`` (already filtered) has."""
    return sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())


def capped_count_statement(stmt: sa.Select, cap: int) -> sa.Select:
    """How many rows ``stmt`` has, counting no further than ``cap`` + 1: the work stops there
    however many rows match."""
    head: sa.Select[Any] = stmt.with_only_columns(
        sa.literal_column("1"), maintain_column_froms=True
    )
    return sa.select(sa.func.count()).select_from(head.order_by(None).limit(cap + 1).subquery())


def _page(
    stmt: sa.Select, order_by: tuple[Any, ...], page: int, page_size: int, total: int, unique: bool
) -> list[Any]:
    order, offset, limit, backwards = page_window(
        *order_by, page=page, page_size=page_size, total=total
    )
    rows = _rows(stmt, order, offset, limit, unique)
    return rows[::-1] if backwards else rows


def page_of_rows(
    stmt: sa.Select, *order_by: Any, page: int, page_size: int, unique: bool = False
) -> tuple[list[Any], int]:
    """One page of ``stmt`` (already filtered) and the total count of its rows."""
    total = int(db.session.scalar(count_statement(stmt)) or 0)
    return _page(stmt, order_by, page, page_size, total, unique), total


@dataclass(frozen=True)
class Page:
    """One page of a capped list (``page_of_rows_capped``)."""

    items: list[Any]
    total: int  # counted up to the cap
    exact: bool  # whether ``total`` is the exact count
    more: bool  # whether rows follow this page (its last row's cursor reads them)


def encode_cursor(*values: str) -> str:
    """An opaque cursor for a keyset read: the sort key of the row a page ends on."""
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, count: int) -> list[str]:
    """The ``count`` values ``encode_cursor`` put in ``cursor``; 400 ``bad_cursor`` if it is
    not one (clients pass back what a page gave them, unchanged)."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError):
        values = None
    if not (
        isinstance(values, list)
        and len(values) == count
        and all(isinstance(v, str) and not has_unstorable_text(v) for v in values)
    ):
        raise bad_cursor()
    return values


def bad_cursor() -> DomainError:
    return DomainError(
        "The cursor is not valid: pass back a page's nextCursor unchanged.", code="bad_cursor"
    )


def page_too_deep(cap: int) -> DomainError:
    return DomainError(
        f"Pages reach the first {cap:,} rows only: read further with the cursor each page "
        "gives (nextCursor), or narrow the list with filters.",
        code="page_too_deep",
        details={"limit": cap},
    )


def page_of_rows_capped(
    stmt: sa.Select,
    *order_by: Any,
    page: int,
    page_size: int,
    cap: int,
    after: Any = None,
    unique: bool = False,
) -> Page:
    """One page of ``stmt`` (already filtered), its total counted up to ``cap`` and whether
    that total is exact ("10,000+" past it), so a long history costs what the cap costs.

    Page numbers reach the first ``cap`` rows (a page starting past them: ``page_too_deep``):
    OFFSET walks every row it skips. Deeper rows are read by keyset, with ``after``: the
    condition "comes after the given row in ``order_by``" (a cursor), which costs the same at
    any depth. A page in the back half of an exact total is read from the other end."""
    offset = (page - 1) * page_size
    if offset >= cap:
        raise page_too_deep(cap)
    if after is not None and page != 1:
        raise DomainError(
            "Give a cursor or a page number, not both: a cursor reads the rows after its page.",
            code="cursor_with_page",
        )
    counted = int(db.session.scalar(capped_count_statement(stmt, cap)) or 0)
    total, exact = min(counted, cap), counted <= cap
    if after is None and exact:
        # The exact total tells whether rows follow, and lets a back-half page read backwards.
        rows = _page(stmt, order_by, page, page_size, total, unique)
        return Page(rows, total, exact, offset + len(rows) < total)
    if after is not None:
        stmt, offset = stmt.where(after), 0
    rows = _rows(stmt, order_by, offset, page_size + 1, unique)
    return Page(rows[:page_size], total, exact, len(rows) > page_size)

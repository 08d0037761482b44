"""Pagination shared by the list endpoints' services."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from livechat.extensions import db


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


def page_statements(
    stmt: sa.Select, *order_by: Any, page: int, page_size: int, total: int
) -> tuple[sa.Select, bool]:
    """The statement for one page of ``stmt`` given its ``total``, and whether its rows come
    back in reverse. A page in the back half is read from the other end of the order (the
    same index, scanned backwards): OFFSET skips rows one by one, so the last page of a long
    list would otherwise read the whole list. ``order_by`` must be a total order (end on a
    unique column) for both ends to agree."""
    offset = (page - 1) * page_size
    back = [_reversed(o) for o in order_by]
    if offset * 2 <= total or offset >= total or any(o is None for o in back):
        return stmt.order_by(*order_by).offset(offset).limit(page_size), False
    end = min(offset + page_size, total)
    return stmt.order_by(*[o for o in back if o is not None]).offset(total - end).limit(
        end - offset
    ), True


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
    query, backwards = page_statements(stmt, *order_by, page=page, page_size=page_size, total=total)
    result = db.session.scalars(query)
    rows = list(result.unique().all() if unique else result.all())
    return rows[::-1] if backwards else rows


def page_of_rows(
    stmt: sa.Select, *order_by: Any, page: int, page_size: int, unique: bool = False
) -> tuple[list[Any], int]:
    """One page of ``stmt`` (already filtered) and the total count of its rows."""
    total = int(db.session.scalar(count_statement(stmt)) or 0)
    return _page(stmt, order_by, page, page_size, total, unique), total


def page_of_rows_capped(
    stmt: sa.Select, *order_by: Any, page: int, page_size: int, cap: int, unique: bool = False
) -> tuple[list[Any], int, bool]:
    """One page of ``stmt``, its total and whether that total is exact. Rows are counted up to
    ``cap``: past it the total is ``cap`` and not exact ("10,000+"), so the count of a long
    history costs what the cap costs. A page starting past half the cap is counted exactly
    from the start: one past the cap is read from the other end (``page_statements``), which
    needs the exact count, and counting to the cap first would only add to its cost."""
    if (page - 1) * page_size * 2 > cap:
        total, exact = int(db.session.scalar(count_statement(stmt)) or 0), True
    else:
        counted = int(db.session.scalar(capped_count_statement(stmt, cap)) or 0)
        total, exact = min(counted, cap), counted <= cap
    return _page(stmt, order_by, page, page_size, total, unique), total, exact

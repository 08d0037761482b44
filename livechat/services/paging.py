"""Pagination shared by the list endpoints' services."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from livechat.extensions import db


def page_of_rows(
    stmt: sa.Select, *order_by: Any, page: int, page_size: int, unique: bool = False
) -> tuple[list[Any], int]:
    """One page of ``stmt`` (already filtered) and the total count of its rows."""
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())
    )
    result = db.session.scalars(
        stmt.order_by(*order_by).offset((page - 1) * page_size).limit(page_size)
    )
    rows = result.unique().all() if unique else result.all()
    return list(rows), int(total or 0)

"""Column types shared by the models: aware UTC datetimes, JSON(B), string enums."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB


def utcnow() -> datetime:
    """Timezone-aware now in UTC (the only kind of datetime we store)."""
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator):
    """``timestamptz``, refusing naive datetimes and handing values back in UTC."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC datetimes")
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JSONType = JSONB()  # PostgreSQL only: no portable JSON variant to keep


def str_enum(enum_cls: type[enum.Enum], name: str) -> sa.Enum:
    """A string enum as VARCHAR + CHECK (adding a value needs no type migration), storing the
    enum's values."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )

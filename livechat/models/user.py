"""User: a customer or a support team member, keyed by the Firebase uid."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from livechat.extensions import Model
from livechat.models.types import JSONType, UTCDateTime, str_enum, utcnow


class Role(enum.StrEnum):
    USER = "user"
    AGENT = "agent"
    ADMIN = "admin"

    @property
    def is_staff(self) -> bool:
        return self in (Role.AGENT, Role.ADMIN)


class User(Model):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    email: Mapped[str | None] = mapped_column(sa.String(320))
    display_name: Mapped[str | None] = mapped_column(sa.String(200))
    role: Mapped[Role] = mapped_column(str_enum(Role, "user_role"), default=Role.USER)
    # The customer's account context the AI may use (plan, KYC status, country, ...).
    profile: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the customer was erased (data rights): the id is then a pseudonym, not the uid.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"

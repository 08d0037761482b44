"""Canned replies: saved answers agents insert into the composer (team-wide or personal)."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from livechat.extensions import Model
from livechat.models.chat import new_id
from livechat.models.types import UTCDateTime, utcnow

SHORTCUT_MAX = 40
TITLE_MAX = 200
BODY_MAX = 4000


class CannedScope(enum.StrEnum):
    """Team replies (admins manage, every agent uses) or one agent's own."""

    TEAM = "team"
    PERSONAL = "personal"


class CannedResponse(Model):
    __tablename__ = "canned_responses"
    __table_args__ = (
        # A team shortcut is unique among team replies; a personal one per agent. A personal
        # reply may share a team reply's shortcut (it shadows it for its owner).
        sa.Index(
            "uq_canned_responses_team_shortcut",
            "shortcut",
            unique=True,
            postgresql_where=sa.text("owner_id IS NULL"),
        ),
        sa.Index(
            "uq_canned_responses_owner_shortcut",
            "owner_id",
            "shortcut",
            unique=True,
            postgresql_where=sa.text("owner_id IS NOT NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    # NULL: a team reply; else the agent whose personal reply it is.
    owner_id: Mapped[str | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    shortcut: Mapped[str] = mapped_column(sa.String(SHORTCUT_MAX))
    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX))
    body: Mapped[str] = mapped_column(sa.Text)
    created_by: Mapped[str] = mapped_column(sa.String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def scope(self) -> CannedScope:
        return CannedScope.TEAM if self.owner_id is None else CannedScope.PERSONAL

    def __repr__(self) -> str:
        return f"<CannedResponse {self.id} {self.scope} /{self.shortcut}>"

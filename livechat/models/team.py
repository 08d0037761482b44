"""TeamMember: the local record of who is on the support team (agents and admins).

The record is what access is checked against: a token claiming a staff role is refused when
the record says the person was removed or holds another role (services/team.py). Customers are
Firebase users too, so listing the team never pages through the identity provider.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from livechat.extensions import Model
from livechat.models.types import UTCDateTime, str_enum, utcnow
from livechat.models.user import Role


class TeamMember(Model):
    __tablename__ = "team_members"

    # The identity provider's uid (Firebase), the same id as users.id once they sign in.
    uid: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    email: Mapped[str | None] = mapped_column(sa.String(320), index=True)
    display_name: Mapped[str | None] = mapped_column(sa.String(200))
    role: Mapped[Role] = mapped_column(str_enum(Role, "team_member_role"))
    added_by: Mapped[str] = mapped_column(sa.String(128))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when removed: the row stays (who was on the team, and who removed them).
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_by: Mapped[str | None] = mapped_column(sa.String(128))

    @property
    def active(self) -> bool:
        return self.removed_at is None

    def __repr__(self) -> str:
        return f"<TeamMember {self.uid} {self.role}{'' if self.active else ' removed'}>"

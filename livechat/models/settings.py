"""Per-agent settings kept server-side, so they follow the agent across sign-ins and browsers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from livechat.extensions import Model
from livechat.models.types import JSONType, UTCDateTime, utcnow


class NotificationSettings(Model):
    """One row per staff member who changed a notification setting; no row means the defaults
    (services/notification_settings.py)."""

    __tablename__ = "notification_settings"

    user_id: Mapped[str] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    muted: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    # {event: {channel: bool}}, only what the agent set; the service fills in the defaults.
    channels: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<NotificationSettings {self.user_id}>"

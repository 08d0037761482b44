"""Audit trail: who did what to which chat or customer, and when (admins read it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from livechat.extensions import Model
from livechat.models.types import JSONType, UTCDateTime, utcnow


class AuditEvent(Model):
    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_at", "at"),)

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[str] = mapped_column(sa.String(128), index=True)
    action: Mapped[str] = mapped_column(sa.String(64))
    session_id: Mapped[str | None] = mapped_column(sa.String(36), index=True)
    subject_user_id: Mapped[str | None] = mapped_column(sa.String(128), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

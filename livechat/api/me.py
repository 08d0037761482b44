"""The signed-in staff member's own settings (notifications)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g

from livechat.api.decorators import authenticated, body, response
from livechat.models import Role
from livechat.schemas.settings import NotificationSettingsSchema, NotificationSettingsUpdateSchema
from livechat.services import notification_settings

bp = Blueprint("me", __name__, url_prefix="/api/support/me")

STAFF = (Role.AGENT, Role.ADMIN)


@bp.get("/notification-settings")
@authenticated(*STAFF)
@response(NotificationSettingsSchema(), 200, "Your settings (the defaults until you save any)")
def get_notification_settings() -> Any:
    """Your notification settings: per event, sound, desktop notification and title count."""
    return notification_settings.get_settings(g.actor)


@bp.patch("/notification-settings")
@authenticated(*STAFF)
@response(
    NotificationSettingsSchema(),
    200,
    "All your settings after the change",
    errors={422: "Unknown event or channel, or a value that is not true or false"},
)
@body(NotificationSettingsUpdateSchema())
def update_notification_settings(body: dict[str, Any]) -> Any:
    """Change some of your notification settings; what you leave out stays as it was."""
    return notification_settings.update_settings(g.actor, **body)

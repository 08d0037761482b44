"""Each staff member's notification settings: which events make a sound, a desktop notification
and a count in the tab title, and a master mute. The defaults and the validation live here.

The console does the notifying (docs/protocol.md "Notifications"); the server keeps the
settings, so they follow the agent across sign-ins and browsers.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from livechat.errors import InvalidInput
from livechat.events import NotificationSettingsChanged, publish
from livechat.extensions import db
from livechat.models import NotificationSettings, utcnow
from livechat.schemas.settings import NotificationSettingsSchema
from livechat.services.access import Actor, require_staff

# The events an agent is notified of: a chat starts waiting in the queue, a customer writes in
# one of my chats, a chat is assigned or transferred to me, a waiting chat misses the SLA.
EVENTS = ("queued_chat", "new_message", "assigned", "sla_breach")
# How: a short sound, a desktop notification (Notification API), a count in the tab title.
CHANNELS = ("sound", "desktop", "title")
# Everything on: an agent who never opened the settings hears about everything.
DEFAULT_CHANNELS = {event: dict.fromkeys(CHANNELS, True) for event in EVENTS}

_schema = NotificationSettingsSchema()


def _merged(channels: dict[str, Any]) -> dict[str, dict[str, bool]]:
    """The defaults with the stored choices over them (a later event or channel gets its
    default for agents who saved before it existed)."""
    return {
        event: {
            channel: bool(channels.get(event, {}).get(channel, default))
            for channel, default in DEFAULT_CHANNELS[event].items()
        }
        for event in EVENTS
    }


def _view(row: NotificationSettings | None) -> dict[str, Any]:
    if row is None:
        return {"muted": False, "events": _merged({}), "updated_at": None}
    return {"muted": row.muted, "events": _merged(row.channels), "updated_at": row.updated_at}


def check_changes(muted: Any = None, events: Any = None) -> None:
    """Refuse an unknown event or channel, or a value that is not true or false (422
    validation_error, naming the field): the one check every path makes."""
    errors: dict[str, list[str]] = {}
    if muted is not None and not isinstance(muted, bool):
        errors["muted"] = ["Must be true or false."]
    if events is not None:
        if not isinstance(events, dict):
            errors["events"] = ["Must be an object."]
        else:
            for event, channels in events.items():
                if event not in EVENTS:
                    errors[f"events.{event}"] = [f"Unknown event; one of {', '.join(EVENTS)}."]
                elif not isinstance(channels, dict):
                    errors[f"events.{event}"] = ["Must be an object."]
                else:
                    for channel, value in channels.items():
                        if channel not in CHANNELS:
                            errors[f"events.{event}.{channel}"] = [
                                f"Unknown channel; one of {', '.join(CHANNELS)}."
                            ]
                        elif not isinstance(value, bool):
                            errors[f"events.{event}.{channel}"] = ["Must be true or false."]
    if errors:
        raise InvalidInput("The notification settings are not valid.", details=errors)


def get_settings(actor: Actor) -> dict[str, Any]:
    """The caller's own settings (the defaults until they save any); staff only."""
    require_staff(actor)
    row = db.session.get(NotificationSettings, actor.id)
    view = _view(row)
    db.session.commit()
    return view


def update_settings(
    actor: Actor,
    *,
    muted: bool | None = None,
    events: dict[str, dict[str, bool]] | None = None,
) -> dict[str, Any]:
    """Change some of the caller's own settings (what is not given stays as it was); returns
    them all. The caller's other consoles are told (``notification:settings`` on /support)."""
    require_staff(actor)
    check_changes(muted, events)
    # One row per agent, created on the first save; the row lock orders two tabs saving at once.
    db.session.execute(
        insert(NotificationSettings)
        .values(user_id=actor.id, muted=False, channels={}, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["user_id"])
    )
    row = db.session.scalars(
        sa.select(NotificationSettings)
        .where(NotificationSettings.user_id == actor.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if muted is not None:
        row.muted = muted
    if events:
        channels = {event: dict(row.channels.get(event, {})) for event in EVENTS}
        for event, changes in events.items():
            channels[event].update(changes)
        row.channels = {event: value for event, value in channels.items() if value}
    row.updated_at = utcnow()
    db.session.flush()
    view = _view(row)
    publish(NotificationSettingsChanged(None, actor.id, _schema.dump(view)))
    db.session.commit()
    return view

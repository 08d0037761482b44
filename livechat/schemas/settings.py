"""Wire shapes of an agent's own settings (notifications)."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validates_schema

from livechat.schemas.base import CamelSchema


class StrictBoolean(fields.Boolean):
    """JSON true or false only: marshmallow's Boolean would take 1, "yes" or "off"."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ValidationError("Must be true or false.")
        return value


class ChannelsSchema(CamelSchema):
    """How one event is announced."""

    sound = StrictBoolean(metadata={"description": "A short tone (Web Audio, nothing downloaded)"})
    desktop = StrictBoolean(metadata={"description": "A desktop notification (Notification API)"})
    title = StrictBoolean(metadata={"description": "Counted in the tab title, e.g. (3)"})


class EventsSchema(CamelSchema):
    """The events an agent is notified of."""

    queued_chat = fields.Nested(
        ChannelsSchema, metadata={"description": "A chat starts waiting in the queue"}
    )
    new_message = fields.Nested(
        ChannelsSchema, metadata={"description": "A customer writes in one of your chats"}
    )
    assigned = fields.Nested(
        ChannelsSchema,
        metadata={"description": "Someone (or the router) assigns or transfers a chat to you"},
    )
    sla_breach = fields.Nested(
        ChannelsSchema,
        metadata={"description": "A waiting chat passed the first-response SLA"},
    )


class NotificationSettingsSchema(CamelSchema):
    """Your notification settings, every event and channel filled in."""

    muted = fields.Boolean(metadata={"description": "True: no sound, notification or count"})
    events = fields.Nested(EventsSchema)
    updated_at = fields.DateTime(allow_none=True, metadata={"description": "Null: never saved"})


class NotificationSettingsUpdateSchema(CamelSchema):
    """A change to some settings: what is left out stays as it was."""

    class Meta(CamelSchema.Meta):
        json_schema = {"minProperties": 1}  # in the OpenAPI document: see _not_empty

    muted = StrictBoolean()
    events = fields.Nested(EventsSchema)

    @validates_schema
    def _not_empty(self, data: dict, **kwargs: object) -> None:
        if not data:
            raise ValidationError("Give muted or events.")

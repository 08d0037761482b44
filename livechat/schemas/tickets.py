"""Wire shapes of support tickets."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from livechat.models import TicketPriority, TicketStatus
from livechat.schemas.base import CamelSchema, JsonObject, PageQuerySchema


class TicketSchema(CamelSchema):
    id = fields.String()
    user_id = fields.String()
    session_id = fields.String(allow_none=True)
    subject = fields.String()
    description = fields.String()
    priority = fields.Enum(TicketPriority, by_value=True)
    status = fields.Enum(TicketStatus, by_value=True)
    category = fields.String(allow_none=True)
    created_by = fields.String()
    assignee_id = fields.String(allow_none=True)
    metadata = fields.Dict(attribute="meta")
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    resolved_at = fields.DateTime(allow_none=True)


class TicketPageSchema(CamelSchema):
    items = fields.List(fields.Nested(TicketSchema))
    page = fields.Integer()
    page_size = fields.Integer()
    total = fields.Integer()


class TicketListSchema(CamelSchema):
    items = fields.List(fields.Nested(TicketSchema))


class TicketsQuerySchema(PageQuerySchema):
    status = fields.Enum(TicketStatus, by_value=True, load_default=None)
    priority = fields.Enum(TicketPriority, by_value=True, load_default=None)
    user_id = fields.String(load_default=None, validate=validate.Length(min=1, max=128))


class TicketUpdateSchema(CamelSchema):
    class Meta(CamelSchema.Meta):
        json_schema = {"minProperties": 1}  # in the OpenAPI document: see _not_empty

    status = fields.Enum(TicketStatus, by_value=True)
    priority = fields.Enum(TicketPriority, by_value=True)
    assignee_id = fields.String(validate=validate.Length(min=1, max=128), allow_none=True)

    @validates_schema
    def _not_empty(self, data: dict, **kwargs: object) -> None:
        if not data:
            raise ValidationError("Give at least one of status, priority, assigneeId.")


class TicketCreateSchema(CamelSchema):
    user_id = fields.String(required=True, validate=validate.Length(min=1, max=128))
    session_id = fields.String(load_default=None, validate=validate.Length(min=1, max=36))
    subject = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="", validate=validate.Length(max=10_000))
    priority = fields.Enum(TicketPriority, by_value=True, load_default=TicketPriority.MEDIUM)
    category = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    metadata = JsonObject(load_default=dict)


class TicketDetailSchema(TicketSchema):
    # By registry name: the chat schemas import this module.
    session = fields.Nested("StaffSessionSchema", allow_none=True)

"""Wire shapes of the data-rights operations: a customer's export and an erasure's summary."""

from __future__ import annotations

from marshmallow import fields, validate

from livechat.schemas.base import CamelSchema
from livechat.schemas.chat import (
    AuditEventSchema,
    MessageSchema,
    NoteSchema,
    StaffSessionSchema,
    UserSchema,
)
from livechat.schemas.tickets import TicketSchema


class ExportCustomerSchema(UserSchema):
    erased_at = fields.DateTime(allow_none=True)


class ExportSessionSchema(StaffSessionSchema):
    """A chat with every message; the customer is the export's subject, so not repeated."""

    class Meta(StaffSessionSchema.Meta):
        exclude = ("customer", "agent")

    messages = fields.List(fields.Nested(MessageSchema))
    notes = fields.List(
        fields.Nested(NoteSchema),
        metadata={"description": "Agents' internal notes (internal: true), never the customer's"},
    )


class CustomerExportSchema(CamelSchema):
    """Everything stored about one customer. ``schemaVersion`` changes when this shape does."""

    schema_version = fields.Integer(metadata={"description": "Version of this document's shape"})
    exported_at = fields.DateTime()
    customer = fields.Nested(ExportCustomerSchema)
    sessions = fields.List(fields.Nested(ExportSessionSchema))
    tickets = fields.List(fields.Nested(TicketSchema))
    audit_events = fields.List(fields.Nested(AuditEventSchema))


class EraseRequestSchema(CamelSchema):
    confirm = fields.String(
        required=True,
        validate=validate.Length(min=1, max=128),
        metadata={"description": "The customer's id again, so an erasure is never an accident"},
    )


class EraseSummarySchema(CamelSchema):
    erased_id = fields.String(metadata={"description": "The pseudonym now standing for the uid"})
    erased_at = fields.DateTime()
    already_erased = fields.Boolean()
    sessions_ended = fields.Integer()
    sessions = fields.Integer()
    messages_redacted = fields.Integer()
    notes_redacted = fields.Integer()
    tickets_anonymised = fields.Integer()
    audit_entries_pseudonymised = fields.Integer()

"""Socket.IO event payloads (client -> server); same rules as the REST bodies."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, pre_load, validate, validates_schema

from livechat.schemas.base import SEQ_RANGE, CamelSchema, JsonObject, MessageContent
from livechat.schemas.chat import EndSessionSchema, TransferRequestSchema

SESSION_ID = fields.String(required=True, validate=validate.Length(min=1, max=64))


class SessionRefSchema(CamelSchema):
    session_id = SESSION_ID


class JoinSessionSchema(SessionRefSchema):
    after_seq = fields.Integer(load_default=None, validate=SEQ_RANGE)
    # Staff only (customers get no notes, so it changes nothing for them).
    after_note_seq = fields.Integer(load_default=None, validate=SEQ_RANGE)

    @pre_load
    def _accept_bare_id(self, data: Any, **kwargs: Any) -> Any:
        # The seed's client sends the session id as a plain string.
        if isinstance(data, str):
            return {"sessionId": data}
        return data


class SendMessageSchema(SessionRefSchema):
    content = MessageContent(required=True)
    client_message_id = fields.String(validate=validate.Length(min=1, max=64), allow_none=True)
    metadata = JsonObject(load_default=dict)
    # An internal note (staff only) instead of a message: stored apart, sent to staff only.
    internal = fields.Boolean(load_default=False)

    @validates_schema
    def _notes_carry_no_metadata(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("internal") and data.get("metadata"):
            raise ValidationError("An internal note carries no metadata.", "metadata")


class ReadSchema(SessionRefSchema):
    up_to_seq = fields.Integer(validate=SEQ_RANGE)
    message_ids = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)),
        validate=validate.Length(min=1, max=500),
    )

    @validates_schema
    def _one_of(self, data: dict[str, Any], **kwargs: Any) -> None:
        if ("up_to_seq" in data) == ("message_ids" in data):
            raise ValidationError("Give exactly one of upToSeq or messageIds.")


class SessionEndSchema(SessionRefSchema, EndSessionSchema):
    """session:end: the session, and (agents only) the outcome and its note."""


class AgentStatusSchema(CamelSchema):
    status = fields.String(required=True, validate=validate.OneOf(["available", "away", "offline"]))


class TransferSessionSchema(SessionRefSchema, TransferRequestSchema):
    """session:transfer: ``{sessionId, agentId?, note?}``."""


class AuthRefreshSchema(CamelSchema):
    """auth:refresh: the fresh ID token of the user this socket signed in as (an over-long one
    is refused as invalid_token by livechat.auth, as at connect)."""

    token = fields.String(required=True, validate=validate.Length(min=1))

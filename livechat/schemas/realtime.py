"""Socket.IO event payloads (client -> server); same rules as the REST bodies."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, pre_load, validate, validates_schema

from livechat.schemas.base import (
    MAX_MESSAGE_LENGTH,
    SEQ_RANGE,
    CamelSchema,
    JsonObject,
    MessageContent,
    has_unstorable_text,
)
from livechat.schemas.chat import EndSessionSchema, TransferRequestSchema

ID_MAX_LENGTH = 64  # a session id or a client message id
SESSION_ID = fields.String(required=True, validate=validate.Length(min=1, max=ID_MAX_LENGTH))


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
    client_message_id = fields.String(
        validate=validate.Length(min=1, max=ID_MAX_LENGTH), allow_none=True
    )
    metadata = JsonObject(load_default=dict)
    # An internal note (staff only) instead of a message: stored apart, sent to staff only.
    internal = fields.Boolean(load_default=False)

    @validates_schema
    def _notes_carry_no_metadata(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("internal") and data.get("metadata"):
            raise ValidationError("An internal note carries no metadata.", "metadata")

    def load(self, data: Any, **kwargs: Any) -> Any:
        """The common message (see ``_plain_message``) without the generic walk, which cost
        more per message than storing it; anything else, valid or not, through the fields above.
        Same result either way (tests/test_schema_fast_paths.py)."""
        plain = None if kwargs or self.many else _plain_message(data)
        return plain if plain is not None else super().load(data, **kwargs)


_PLAIN_KEYS = frozenset(("sessionId", "content", "clientMessageId"))


def _plain_message(data: Any) -> dict[str, Any] | None:
    """``data`` loaded as SendMessageSchema loads it, if it is a message as clients send them:
    ``sessionId`` and ``content`` (and ``clientMessageId``) strings well inside the fields'
    limits, nothing else. None for any other payload: the fields decide (and explain)."""
    if type(data) is not dict or not data.keys() <= _PLAIN_KEYS:
        return None
    session_id, content = data.get("sessionId"), data.get("content")
    if type(session_id) is not str or type(content) is not str:
        return None
    text = content.strip()
    if not (0 < len(session_id) <= ID_MAX_LENGTH and 0 < len(text) <= MAX_MESSAGE_LENGTH):
        return None
    if has_unstorable_text(session_id) or has_unstorable_text(content):
        return None
    out = {"session_id": session_id, "content": text, "metadata": {}, "internal": False}
    if "clientMessageId" in data:
        cmid = data["clientMessageId"]
        if cmid is not None and not (
            type(cmid) is str and 0 < len(cmid) <= ID_MAX_LENGTH and not has_unstorable_text(cmid)
        ):
            return None
        out["client_message_id"] = cmid
    return out


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

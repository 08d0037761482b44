"""Wire shapes of canned replies."""

from __future__ import annotations

from typing import Any, overload

from marshmallow import ValidationError, fields, validate, validates_schema

from livechat.models import CannedScope
from livechat.models.canned import BODY_MAX, SHORTCUT_MAX, TITLE_MAX
from livechat.schemas.base import CamelSchema, PageQuerySchema

SHORTCUT_PATTERN = rf"^[a-z0-9_-]{{1,{SHORTCUT_MAX}}}$"
# Anywhere, not first: marshmallow matches from the start, JSON Schema (OpenAPI) searches, and
# both must accept " text" alike.
_NOT_BLANK = validate.Regexp(r"[\s\S]*\S", error="Must not be blank.")


class _WholeMatch(validate.Regexp):
    """A Regexp the whole value must match, as JSON Schema (OpenAPI) reads ``^...$``: Python's
    ``$`` also matches before a final newline, which would let "refund\\n" in as a shortcut
    (apispec still documents ``regex.pattern``)."""

    @overload
    def __call__(self, value: str) -> str: ...
    @overload
    def __call__(self, value: bytes) -> bytes: ...
    def __call__(self, value: Any) -> Any:
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


def _shortcut(**kwargs: object) -> fields.String:
    return fields.String(
        validate=_WholeMatch(
            SHORTCUT_PATTERN,
            error=f"1 to {SHORTCUT_MAX} lowercase letters, digits, '-' or '_'.",
        ),
        metadata={"description": "Typed after '/' in the composer, e.g. refund-policy"},
        **kwargs,  # type: ignore[arg-type]
    )


def _title(**kwargs: object) -> fields.String:
    return fields.String(
        validate=[validate.Length(min=1, max=TITLE_MAX), _NOT_BLANK],
        **kwargs,  # type: ignore[arg-type]
    )


def _body(**kwargs: object) -> fields.String:
    return fields.String(
        validate=[validate.Length(min=1, max=BODY_MAX), _NOT_BLANK],
        metadata={
            "description": f"1 to {BODY_MAX} characters, not blank; may hold the variables "
            "{{customer.name}}, {{customer.email}}, {{agent.name}}, {{session.id}} "
            "(others are refused: 422 unknown_variable)"
        },
        **kwargs,  # type: ignore[arg-type]
    )


class CannedResponseSchema(CamelSchema):
    id = fields.String()
    scope = fields.Enum(CannedScope, by_value=True)
    owner_id = fields.String(allow_none=True)
    shortcut = fields.String()
    title = fields.String()
    body = fields.String()
    created_by = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class CannedResponsePageSchema(CamelSchema):
    items = fields.List(fields.Nested(CannedResponseSchema))
    page = fields.Integer()
    page_size = fields.Integer()
    total = fields.Integer()


class CannedResponsesQuerySchema(PageQuerySchema):
    q = fields.String(
        load_default=None,
        validate=validate.Length(max=200),
        metadata={"description": "Words searched in shortcut, title and body (case-insensitive)"},
    )
    scope = fields.Enum(CannedScope, by_value=True, load_default=None)


class CannedResponseCreateSchema(CamelSchema):
    scope = fields.Enum(CannedScope, by_value=True, load_default=CannedScope.PERSONAL)
    shortcut = _shortcut(required=True)
    title = _title(required=True)
    body = _body(required=True)


class CannedResponseUpdateSchema(CamelSchema):
    class Meta(CamelSchema.Meta):
        json_schema = {"minProperties": 1}  # in the OpenAPI document: see _not_empty

    shortcut = _shortcut()
    title = _title()
    body = _body()

    @validates_schema
    def _not_empty(self, data: dict, **kwargs: object) -> None:
        if not data:
            raise ValidationError("Give at least one of shortcut, title, body.")


class RenderRequestSchema(CamelSchema):
    session_id = fields.String(required=True, validate=validate.Length(min=1, max=36))


class RenderedSchema(CamelSchema):
    canned_response_id = fields.String()
    session_id = fields.String()
    text = fields.String()

"""Schema base classes and fields: camelCase on the wire, bounded free-form JSON."""

from __future__ import annotations

import json
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate

MAX_MESSAGE_LENGTH = 4000
MAX_METADATA_BYTES = 8 * 1024
MAX_METADATA_DEPTH = 5


def camelcase(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


class CamelSchema(Schema):
    """Python snake_case attributes, camelCase JSON keys."""

    class Meta:
        unknown = RAISE

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        field_obj.data_key = camelcase(field_obj.data_key or field_name)


class QuerySchema(CamelSchema):
    """Query strings: unknown parameters are ignored (caches and proxies add their own)."""

    class Meta:
        unknown = EXCLUDE


class PageQuerySchema(QuerySchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


def _depth(value: Any, level: int = 0) -> int:
    if isinstance(value, dict):
        return max([_depth(v, level + 1) for v in value.values()], default=level + 1)
    if isinstance(value, list):
        return max([_depth(v, level + 1) for v in value], default=level + 1)
    return level


class JsonObject(fields.Dict):
    """A JSON object bounded in size and nesting depth (client metadata)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(keys=fields.String(validate=validate.Length(max=64)), **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        result = super()._deserialize(value, attr, data, **kwargs)
        if len(json.dumps(result, separators=(",", ":"))) > MAX_METADATA_BYTES:
            raise ValidationError(f"Must be at most {MAX_METADATA_BYTES} bytes of JSON.")
        if _depth(result) > MAX_METADATA_DEPTH:
            raise ValidationError(f"Must be nested at most {MAX_METADATA_DEPTH} levels deep.")
        return result


class MessageContent(fields.String):
    """Message text: trimmed, not empty, at most MAX_MESSAGE_LENGTH characters."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            validate=validate.Length(min=1, max=MAX_MESSAGE_LENGTH),
            metadata={"description": f"1 to {MAX_MESSAGE_LENGTH} characters"},
            **kwargs,
        )

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip()


def page_of(items: list, page: int, page_size: int, total: int) -> dict[str, Any]:
    return {"items": items, "page": page, "page_size": page_size, "total": total}


class Augmented:
    """An object seen with extra attributes, for dumping (``session`` plus ``messages``)."""

    def __init__(self, obj: Any, **extra: Any) -> None:
        self._obj = obj
        self.__dict__.update(extra)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._obj, name)


class ErrorDetailSchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    details = fields.Raw()


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)

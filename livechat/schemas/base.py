"""Schema base classes and fields: camelCase on the wire, bounded free-form JSON."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, missing, pre_load, validate

from livechat.errors import MessageTooLong

MAX_MESSAGE_LENGTH = 4000
MAX_METADATA_BYTES = 8 * 1024
MAX_METADATA_DEPTH = 5
# Message sequence numbers are PostgreSQL integers: a larger bound is an error, not a query.
MAX_SEQ = 2**31 - 1
SEQ_RANGE = validate.Range(min=0, max=MAX_SEQ)


# NUL cannot be stored in PostgreSQL text or JSONB, and an unpaired surrogate cannot be encoded
# as UTF-8: both are refused as input rather than failing (500) on the way to the database.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_TEXT = "Must not contain NUL characters or unpaired surrogates."


def _walk(value: Any) -> Iterator[tuple[int, Any]]:
    """(depth, item) for ``value`` and everything nested in it, keys included.

    Iterative: a client controls the nesting, so recursion could exhaust the stack.
    """
    stack = [(0, value)]
    while stack:
        depth, item = stack.pop()
        yield depth, item
        if isinstance(item, dict):
            stack.extend((depth + 1, k) for k in item)
            stack.extend((depth + 1, v) for v in item.values())
        elif isinstance(item, list | tuple):
            stack.extend((depth + 1, v) for v in item)


def has_unstorable_text(value: Any) -> bool:
    """Whether ``value`` holds, anywhere, a string the database cannot store."""
    # Fast paths: every socket event and request is checked, and most values are flat.
    kind = type(value)
    if kind is str:
        return _UNSTORABLE.search(value) is not None
    if kind is int or kind is bool or kind is float or value is None:
        return False
    for _, item in _walk(value):
        if isinstance(item, str) and _UNSTORABLE.search(item):
            return True
        if isinstance(item, bytes) and b"\x00" in item:
            return True
    return False


def camelcase(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


class CamelSchema(Schema):
    """Python snake_case attributes, camelCase JSON keys; dumps read each field directly."""

    class Meta:
        unknown = RAISE

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        field_obj.data_key = camelcase(field_obj.data_key or field_name)

    def _serialize(self, obj: Any, *, many: bool = False) -> Any:
        """Schema._serialize without its per-field indirection (dump hooks still run around it).

        Sessions, queue items, users and notes are dumped on every connect, join, queue
        broadcast and list page; marshmallow's generic walk (accessor, get_value, serialize per
        field) cost ~70 µs a queue item, most of it reaching the value. Each field's own
        ``_serialize`` still formats it, so the output is the generic dump's
        (tests/test_schema_fast_paths.py compares them)."""
        plan = self.__dict__.get("_dump_plan")
        if plan is None:
            plan = self._dump_plan = _dump_plan(self)
        if many and obj is not None:
            return [_dump_one(plan, item) for item in obj]
        return _dump_one(plan, obj)

    @pre_load
    def _refuse_unstorable_text(self, data: Any, **kwargs: Any) -> Any:
        if isinstance(data, dict):
            bad = {
                key: [UNSTORABLE_TEXT]
                for key, value in data.items()
                if has_unstorable_text(key) or has_unstorable_text(value)
            }
        else:
            bad = {"_schema": [UNSTORABLE_TEXT]} if has_unstorable_text(data) else {}
        if bad:
            raise ValidationError(bad)
        return data


# (data key, field name, field, attribute or key read, None or the accessor of a field that
# must go through Field.serialize: one that overrides it, a dotted attribute, a custom schema)
_Step = tuple[str, str, fields.Field, str, Any]


def _dump_plan(schema: Schema) -> list[_Step]:
    direct = type(schema).get_attribute is Schema.get_attribute and schema.dict_class is dict
    plan = []
    for name, field in schema.dump_fields.items():
        key = field.data_key if field.data_key is not None else name
        source = name if field.attribute is None else field.attribute
        plain = (
            direct
            and type(field).serialize is fields.Field.serialize
            and type(field).get_value is fields.Field.get_value
            and "." not in source
        )
        plan.append((key, name, field, source, None if plain else schema.get_attribute))
    return plan


def _dump_one(plan: list[_Step], obj: Any) -> dict[str, Any]:
    """One object's dict, as Schema._serialize and Field.serialize build it (marshmallow 4)."""
    out: dict[str, Any] = {}
    keyed = hasattr(obj, "__getitem__")  # utils.get_value: obj[key], else getattr
    for key, name, field, source, accessor in plan:
        if accessor is not None:
            value = field.serialize(name, obj, accessor=accessor)
            if value is not missing:
                out[key] = value
            continue
        if not field._CHECK_ATTRIBUTE:
            out[key] = field._serialize(None, name, obj)
            continue
        if keyed:
            try:
                value = obj[source]
            except (KeyError, IndexError, TypeError, AttributeError):
                value = getattr(obj, source, missing)
        else:
            value = getattr(obj, source, missing)
        if value is missing:
            default = field.dump_default
            value = default() if callable(default) else default
            if value is missing:
                continue
        out[key] = field._serialize(value, name, obj)
    return out


class QuerySchema(CamelSchema):
    """Query strings: unknown parameters are ignored (caches and proxies add their own)."""

    class Meta:
        unknown = EXCLUDE


class PageQuerySchema(QuerySchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


def _depth(value: Any) -> int:
    """Levels of nested objects and arrays (a flat object is 1)."""
    return max((d + 1 for d, item in _walk(value) if isinstance(item, dict | list)), default=0)


class JsonObject(fields.Dict):
    """A JSON object bounded in size and nesting depth (client metadata)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            keys=fields.String(validate=validate.Length(max=64)),
            # OpenAPI 3.0 has no propertyNames and no size limit: the description says it.
            metadata={
                "description": f"A JSON object: keys of at most 64 characters, at most "
                f"{MAX_METADATA_BYTES} bytes of JSON, nested at most {MAX_METADATA_DEPTH} deep"
            },
            **kwargs,
        )

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        result = super()._deserialize(value, attr, data, **kwargs)
        # Depth first: encoding a very deep value would exhaust the stack.
        if _depth(result) > MAX_METADATA_DEPTH:
            raise ValidationError(f"Must be nested at most {MAX_METADATA_DEPTH} levels deep.")
        try:
            # PostgreSQL's JSON has no NaN or Infinity; sockets may carry binary values.
            encoded = json.dumps(result, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError):
            raise ValidationError(
                "Must be plain JSON (no NaN, Infinity or binary values)."
            ) from None
        if len(encoded) > MAX_METADATA_BYTES:
            raise ValidationError(f"Must be at most {MAX_METADATA_BYTES} bytes of JSON.")
        return result


def message_too_long() -> MessageTooLong:
    """The refusal of message text over MAX_MESSAGE_LENGTH, the same on sockets and REST."""
    return MessageTooLong(
        f"A message may have at most {MAX_MESSAGE_LENGTH} characters.",
        details={"limit": MAX_MESSAGE_LENGTH},
    )


class MessageContent(fields.String):
    """Message text: trimmed, not empty, at most MAX_MESSAGE_LENGTH characters.

    Text over the limit raises ``message_too_long`` (not a field error): clients tell the
    customer why, with the limit, instead of a generic validation failure.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            # The pattern documents (in OpenAPI) that blank text is refused once trimmed.
            validate=[validate.Length(min=1, max=MAX_MESSAGE_LENGTH), validate.Regexp(r"\S")],
            metadata={"description": f"1 to {MAX_MESSAGE_LENGTH} characters, not blank"},
            **kwargs,
        )

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if len(text) > MAX_MESSAGE_LENGTH:
            raise message_too_long()
        return text


def page_of(items: list, page: int | None, page_size: int, total: int) -> dict[str, Any]:
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

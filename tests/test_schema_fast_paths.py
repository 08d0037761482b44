"""The per-message fast paths give exactly what the generic schemas give (or defer to them)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from marshmallow import ValidationError

from livechat.errors import DomainError
from livechat.models import ChatMessage, SenderType
from livechat.schemas.base import MAX_MESSAGE_LENGTH
from livechat.schemas.chat import MessageSchema
from livechat.schemas.realtime import SendMessageSchema, _plain_message
from livechat.services.messages_sql import StoredMessage

NOW = datetime(2026, 12, 6, 19, 30, 1, 123456, tzinfo=UTC)


def _stored(**over: Any) -> StoredMessage:
    values: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "session_id": str(uuid.uuid4()),
        "seq": 7,
        "sender_id": "u-1",
        "sender_type": SenderType.USER,
        "content": "Hola, ¿mi pedido?",
        "is_read": False,
        "read_at": None,
        "meta": {"a": [1, {"b": None}]},
        "client_message_id": "c-1",
        "created_at": NOW,
    }
    values.update(over)
    return StoredMessage(**values)


def _orm(**over: Any) -> ChatMessage:
    values: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "session_id": str(uuid.uuid4()),
        "seq": 3,
        "sender_id": "AI_ASSISTANT",
        "sender_type": SenderType.AI,
        "content": "Sure.",
        "is_read": True,
        "read_at": NOW,
        "meta": {},
        "client_message_id": None,
        "created_at": NOW,
    }
    values.update(over)
    return ChatMessage(**values)


def _generic_dump(schema: MessageSchema, obj: Any, many: bool | None = None) -> Any:
    return super(MessageSchema, schema).dump(obj, many=many)


@pytest.mark.parametrize(
    "message",
    [
        _stored(),
        _stored(client_message_id=None, meta={}, sender_type=SenderType.AGENT),
        _stored(content="x" * 4000, seq=2**31 - 1),
        _orm(),
        _orm(read_at=None, is_read=False, sender_type=SenderType.SYSTEM, meta={"k": "v"}),
    ],
)
def test_message_dump_is_the_generic_dump(message: Any) -> None:
    schema = MessageSchema()
    fast = schema.dump(message)
    assert fast == _generic_dump(schema, message)
    assert list(fast) == list(_generic_dump(schema, message))  # same keys, same order
    assert fast["metadata"] is not message.meta  # a copy, as the generic dump gives


def test_message_dump_many_and_selections_match_the_generic_dump() -> None:
    items = [_stored(), _orm(), _stored(seq=9)]
    many = MessageSchema(many=True)
    assert many.dump(items) == _generic_dump(many, items)
    assert MessageSchema().dump(items, many=True) == _generic_dump(many, items)
    only = MessageSchema(only=("id", "seq"))
    assert only.dump(items[0]) == {"id": items[0].id, "seq": 7}


def _generic_load(payload: Any) -> Any:
    schema = SendMessageSchema()
    return super(SendMessageSchema, schema).load(payload)


def _outcome(load: Any, payload: Any) -> Any:
    try:
        return ("ok", load(payload))
    except ValidationError as exc:
        return ("invalid", exc.messages)
    except DomainError as exc:
        return ("refused", exc.code)


SID = str(uuid.uuid4())
PAYLOADS: list[Any] = [
    {"sessionId": SID, "content": "hello"},
    {"sessionId": SID, "content": "  padded\n", "clientMessageId": "c.1"},
    {"sessionId": SID, "content": "x", "clientMessageId": None},
    {"sessionId": SID, "content": "y" * MAX_MESSAGE_LENGTH, "clientMessageId": "c" * 64},
    {"sessionId": "s" * 64, "content": "\u00a0ok\u2003"},
    # everything below is refused, or not the plain shape: the generic schema decides
    {"sessionId": SID, "content": "y" * (MAX_MESSAGE_LENGTH + 1)},
    {"sessionId": SID, "content": "   "},
    {"sessionId": SID, "content": "\u2003\u00a0"},
    {"sessionId": SID, "content": ""},
    {"sessionId": SID, "content": "a\x00b"},
    {"sessionId": SID, "content": "a\ud800"},
    {"sessionId": "", "content": "hi"},
    {"sessionId": "s" * 65, "content": "hi"},
    {"sessionId": SID, "content": "hi", "clientMessageId": ""},
    {"sessionId": SID, "content": "hi", "clientMessageId": "c" * 65},
    {"sessionId": SID, "content": "hi", "clientMessageId": 5},
    {"sessionId": SID, "content": "hi", "clientMessageId": "a\x00"},
    {"sessionId": SID, "content": 5},
    {"sessionId": 5, "content": "hi"},
    {"sessionId": SID},
    {"content": "hi"},
    {"sessionId": SID, "content": "hi", "metadata": {"k": 1}},
    {"sessionId": SID, "content": "hi", "internal": False},
    {"sessionId": SID, "content": "hi", "internal": True},
    {"sessionId": SID, "content": "hi", "other": 1},
    {"sessionId": SID, "content": b"hi"},
    ["sessionId", SID],
    "a-session-id",
    None,
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_send_message_load_is_the_generic_load(payload: Any) -> None:
    assert _outcome(SendMessageSchema().load, payload) == _outcome(_generic_load, payload)


def test_the_plain_path_takes_the_common_messages_only() -> None:
    taken = [p for p in PAYLOADS if _plain_message(p) is not None]
    assert taken == PAYLOADS[:5]

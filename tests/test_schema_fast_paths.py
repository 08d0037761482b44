"""The fast paths (per-message schemas, every CamelSchema's dump) give exactly what the generic
schemas give (or defer to them)."""

from __future__ import annotations

import importlib
import pkgutil
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from marshmallow import Schema, ValidationError, fields, post_dump, pre_dump

import livechat.schemas
from livechat.errors import DomainError
from livechat.models import (
    ChatMessage,
    ChatNote,
    ChatSession,
    Role,
    SenderType,
    SessionOutcome,
    SessionStatus,
    User,
)
from livechat.schemas.base import MAX_MESSAGE_LENGTH, Augmented, CamelSchema
from livechat.schemas.chat import (
    AgentOnlineSchema,
    MessageSchema,
    NoteSchema,
    QueueItemSchema,
    SessionSchema,
    SessionWithMessagesSchema,
    StaffSessionSchema,
    UserSchema,
)
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


# ---- every CamelSchema's dump (schemas/base.py _dump_one) against marshmallow's own walk ------


def _marshmallow_dump(
    monkeypatch: pytest.MonkeyPatch, schema: Schema, obj: Any, many: bool | None = None
) -> Any:
    """What marshmallow's generic Schema._serialize gives, nested schemas included."""
    with monkeypatch.context() as m:
        m.setattr(CamelSchema, "_serialize", Schema._serialize)
        return _outcome_of(lambda: schema.dump(obj, many=many))


def _outcome_of(dump: Any) -> Any:
    try:
        return ("ok", dump())
    except Exception as exc:  # both ways must fail alike
        return ("raised", type(exc).__name__)


def _user(uid: str, role: Role = Role.USER, name: str | None = "Ana") -> User:
    return User(
        id=uid,
        email=f"{uid}@example.com",
        display_name=name,
        role=role,
        profile={"plan": "gold", "tags": ["a", None]},
        created_at=NOW,
        last_seen_at=NOW,
    )


def _chat(**over: Any) -> ChatSession:
    values: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "user_id": "cust-1",
        "user": _user("cust-1"),
        "agent_id": "agent-1",
        "agent": _user("agent-1", Role.AGENT, None),
        "status": SessionStatus.WAITING,
        "subject": "Card blocked",
        "meta": {"escalation": {"priority": "URGENT", "ticketId": "t-1", "queuePosition": 2}},
        "transfer": {"fromAgentId": "a", "toAgentId": None, "note": "over to you", "by": "a"},
        "last_seq": 12,
        "created_at": NOW,
        "updated_at": NOW,
        "waiting_since": NOW,
        "assigned_at": None,
        "ended_at": None,
        "outcome": SessionOutcome.RESOLVED,
        "outcome_note": "done",
        "sla_breached_at": None,
    }
    values.update(over)
    return ChatSession(**values)


_CHATS = [
    _chat(),
    _chat(agent=None, agent_id=None, transfer=None, outcome=None, meta={}, subject=None),
    _chat(status=SessionStatus.ENDED, ended_at=NOW, sla_breached_at=NOW, meta={"k": [1]}),
]


@pytest.mark.parametrize(
    "schema",
    [SessionSchema(), StaffSessionSchema(), SessionWithMessagesSchema(), SessionSchema(many=True)],
    ids=["session", "staff", "with-messages", "many"],
)
@pytest.mark.parametrize("chat", _CHATS, ids=["assigned", "bare", "ended"])
def test_session_dumps_are_marshmallow_dumps(
    monkeypatch: pytest.MonkeyPatch, schema: Schema, chat: ChatSession
) -> None:
    obj: Any = [chat, chat] if schema.many else Augmented(chat, messages=[_orm(), _stored()])
    fast = _outcome_of(lambda: schema.dump(obj))
    assert fast == _marshmallow_dump(monkeypatch, schema, obj)
    assert fast[0] == "ok"


@pytest.mark.parametrize("chat", _CHATS, ids=["assigned", "bare", "ended"])
def test_queue_items_are_marshmallow_dumps(
    monkeypatch: pytest.MonkeyPatch, chat: ChatSession
) -> None:
    items = [
        Augmented(chat, position=1, priority="URGENT", wait_seconds=30, escalation=None),
        Augmented(chat, position=2, priority="LOW", wait_seconds=0, escalation=chat.meta.get("x")),
        Augmented(chat, position=3, priority=None, wait_seconds=5, escalation={"rule": "fraud"}),
    ]
    schema = QueueItemSchema(many=True)
    fast = schema.dump(items)
    assert ("ok", fast) == _marshmallow_dump(monkeypatch, schema, items)
    assert [list(item) for item in fast] == [
        list(item) for item in _marshmallow_dump(monkeypatch, schema, items)[1]
    ]  # same keys in the same order


def test_notes_and_users_are_marshmallow_dumps(monkeypatch: pytest.MonkeyPatch) -> None:
    note = ChatNote(
        id="n-1",
        session_id="s-1",
        note_seq=1,
        after_seq=4,
        author_id="agent-1",
        author=_user("agent-1", Role.AGENT),
        content="Called the bank",
        client_message_id=None,
        created_at=NOW,
    )
    for schema, obj in [
        (NoteSchema(), note),
        (NoteSchema(many=True), [note, note]),
        (UserSchema(), _user("u-9", name=None)),
        (AgentOnlineSchema(), Augmented(_user("a-2", Role.AGENT), status="away", open_chats=3)),
        (StaffSessionSchema(only=("id", "agent", "transfer")), _CHATS[0]),
        (SessionSchema(exclude=("customer",)), _CHATS[1]),
    ]:
        assert _outcome_of(lambda s=schema, o=obj: s.dump(o)) == _marshmallow_dump(
            monkeypatch, schema, obj
        )


class _Louder(fields.String):
    def serialize(self, attr: str, obj: Any, accessor: Any = None, **kwargs: Any) -> Any:
        return "!" + str(super().serialize(attr, obj, accessor, **kwargs))


class _Everything(CamelSchema):
    """Field kinds and schema features the direct dump must treat as marshmallow does."""

    plain = fields.String()
    renamed = fields.Integer(attribute="other_name")
    dotted = fields.String(attribute="inner.value")
    defaulted = fields.String(dump_default="fallback")
    called_default = fields.Integer(dump_default=lambda: 7)
    constant = fields.Constant("always")
    method = fields.Method("_describe")
    function = fields.Function(lambda obj: type(obj).__name__)
    louder = _Louder()
    listed = fields.List(fields.DateTime())
    mapping = fields.Dict()
    flag = fields.Boolean()
    when = fields.DateTime(allow_none=True)
    status = fields.Enum(SessionStatus)
    number = fields.Float()
    raw = fields.Raw()

    def _describe(self, obj: Any) -> str:
        return f"described {getattr(obj, 'plain', None) or obj.get('plain')}"


class _Hooked(_Everything):
    @pre_dump
    def _unwrap(self, obj: Any, **kwargs: Any) -> Any:
        return obj["wrapped"] if isinstance(obj, dict) and "wrapped" in obj else obj

    @post_dump
    def _stamp(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {**data, "stamped": True}


class _Keyed:
    """An object with __getitem__ that refuses some keys (utils.get_value falls back)."""

    def __init__(self, **values: Any) -> None:
        self._values = values
        self.other_name = 5

    def __getitem__(self, key: str) -> Any:
        if key == "other_name":
            raise KeyError(key)
        return self._values[key]

    def get(self, key: str) -> Any:
        return self._values.get(key)


_EVERYTHING_OBJECTS: list[Any] = [
    SimpleNamespace(
        plain="p",
        other_name="12",
        inner=SimpleNamespace(value="deep"),
        defaulted=None,
        louder="x",
        listed=[NOW, NOW],
        mapping={"a": 1},
        flag="yes",
        when=NOW,
        status=SessionStatus.ACTIVE,
        number=1,
        raw=object,
    ),
    SimpleNamespace(),  # every attribute missing: defaults and omissions
    {"plain": "from a dict", "other_name": 3.9, "inner": {"value": 1}, "flag": 0, "when": None},
    {},
    _Keyed(plain="keyed", flag=True, listed=None),
    {"wrapped": {"plain": "unwrapped"}},
    {"plain": 5, "renamed": 1, "status": "not an enum", "number": "x"},  # both must fail alike
    None,
]


@pytest.mark.parametrize("schema_class", [_Everything, _Hooked])
@pytest.mark.parametrize("obj", _EVERYTHING_OBJECTS)
def test_every_field_kind_dumps_as_marshmallow_does(
    monkeypatch: pytest.MonkeyPatch, schema_class: type[CamelSchema], obj: Any
) -> None:
    schema = schema_class()
    fast = _outcome_of(lambda: schema.dump(obj))
    assert fast == _marshmallow_dump(monkeypatch, schema, obj)
    if fast[0] == "ok":
        assert list(fast[1]) == list(_marshmallow_dump(monkeypatch, schema, obj)[1])
    many = schema_class(many=True)
    assert _outcome_of(lambda: many.dump([obj, obj])) == _marshmallow_dump(
        monkeypatch, many, [obj, obj]
    )


def _camel_schemas() -> list[type[CamelSchema]]:
    for module in pkgutil.iter_modules(livechat.schemas.__path__):
        importlib.import_module(f"livechat.schemas.{module.name}")
    found, todo = [], [CamelSchema]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("livechat."):
                found.append(sub)
            todo.append(sub)
    return sorted(set(found), key=lambda c: (c.__module__, c.__qualname__))


@pytest.mark.parametrize("schema_class", _camel_schemas(), ids=lambda c: c.__qualname__)
def test_every_project_schema_dumps_as_marshmallow_does(
    monkeypatch: pytest.MonkeyPatch, schema_class: type[CamelSchema]
) -> None:
    """Each of the project's schemas, over an empty object, a dict and one whose every field
    holds None: the same output (or the same failure) as marshmallow's walk."""
    schema = schema_class()
    none_everywhere = SimpleNamespace(**{name: None for name in schema.fields})
    for obj in (SimpleNamespace(), {}, none_everywhere, _CHATS[0]):
        assert _outcome_of(lambda o=obj: schema.dump(o)) == _marshmallow_dump(
            monkeypatch, schema, obj
        ), obj

"""Every client -> server socket event, fed hostile payloads by hypothesis.

For each example: the sender gets an ack ``{ok, ...}``; a refusal carries a known code (never
``internal_error``) and comes with an ``error`` event naming the event; nothing is logged at ERROR
(no unhandled exception); a refused payload changes no row; the sender stays connected. After the
run, the bystanders (another customer in their own chat, an agent on /support) are still
connected, received no ``error`` meant for someone else, and still work.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.strategies import (
    NASTY_STRINGS,
    NO_PAYLOAD,
    event_payload,
    fuzz_settings,
    integers,
    json_value,
    junk,
    nest,
    text,
)
from tests.realtime.conftest import events

# Codes a refused event may carry (docs/protocol.md); internal_error is a bug, not a refusal.
REFUSALS = {
    "validation_error",
    "message_too_long",
    "note_not_allowed",
    "forbidden",
    "session_not_found",
    "session_ended",
    "not_assigned",
    "outcome_not_allowed",
    "agent_not_found",
    "not_an_agent",
    "agent_offline",
    "already_assigned",
    "rate_limited",
    "unknown_event",
    "invalid_token",  # auth:refresh
}

CHAT_EVENTS = [
    "join:session",
    "leave:session",
    "message:send",
    "typing:start",
    "typing:stop",
    "session:end",
    "message:read",
    "session:request_human",
    "session:transfer",
]
EXAMPLES = 60


@dataclass
class Scene:
    """The people and chats one fuzz test shares across its examples."""

    app: Any
    customer: Any
    agent: Any
    bystander: Any
    support_bystander: Any
    bystander_session: str
    own_session: str = ""
    assigned_session: str = ""
    ids: list[str] = field(default_factory=list)
    uid: str = ""

    def refresh_sessions(self) -> None:
        """Keep an open chat for the customer (an example may have ended it)."""
        from livechat.models import Role
        from livechat.services import sessions
        from livechat.services.users import Identity

        with self.app.app_context():
            own, _ = sessions.open_session(Identity(uid=self.uid, role=Role.USER))
            self.own_session = own.id
        self.ids = [self.own_session, self.assigned_session, self.bystander_session]


@pytest.fixture()
def scene(fuzz_app: Any, fuzz_sio: Any) -> Iterator[Scene]:
    with fuzz_app.app_context():
        yield _build_scene(fuzz_app, fuzz_sio)


def _build_scene(app: Any, sio: Any) -> Scene:
    """A customer with an open chat, an agent assigned to another customer's chat, and two
    bystanders (a customer joined to their own chat, an agent on /support)."""
    from livechat.models import Role
    from livechat.services import sessions
    from livechat.services.users import Identity, sync_user

    tag = secrets.token_hex(3)  # people of this test's own
    uid, agent_uid, other, by_uid = f"fz-{tag}", f"fz-{tag}-agent", f"fz-{tag}-o", f"fz-{tag}-by"
    customer, agent = sio(uid), sio(agent_uid, "agent")
    bystander = sio(by_uid)
    support_bystander = sio(f"fz-{tag}-by-agent", "agent", namespace="/support")
    assigned, _ = sessions.open_session(sync_user(Identity(uid=other, role=Role.USER)))
    sessions.assign_agent(Identity(uid=agent_uid, role=Role.AGENT), assigned.id)
    by_session, _ = sessions.open_session(Identity(uid=by_uid, role=Role.USER))
    assert bystander.emit("join:session", by_session.id, callback=True)["ok"]
    scene = Scene(
        app=app,
        customer=customer,
        agent=agent,
        bystander=bystander,
        support_bystander=support_bystander,
        bystander_session=by_session.id,
        assigned_session=assigned.id,
        uid=uid,
    )
    scene.refresh_sessions()
    for c, ns in ((customer, "/"), (agent, "/"), (bystander, "/"), (support_bystander, "/support")):
        c.get_received(ns)
    return scene


def _payloads(event: str, ids: list[str]) -> st.SearchStrategy[Any]:
    """Payloads for ``event``: well-typed fields (known ids, hostile strings), then corrupted."""
    session_id = st.one_of(st.sampled_from(ids), st.sampled_from(ids), text)
    content = st.one_of(st.text(st.characters(exclude_categories=()), min_size=1), text)
    if event == "message:send":
        return event_payload(
            {"sessionId": session_id, "content": content},
            {
                "clientMessageId": text,
                "metadata": st.dictionaries(text, json_value, max_size=4),
                # An internal note (agents only; the customer is refused note_not_allowed).
                "internal": st.booleans(),
            },
        )
    if event == "message:read":
        ids_list = st.lists(st.one_of(text, st.uuids().map(str)), max_size=5)
        return st.one_of(
            event_payload({"sessionId": session_id, "upToSeq": integers}),
            event_payload({"sessionId": session_id, "messageIds": ids_list}),
        )
    if event == "join:session":
        return st.one_of(
            session_id,
            event_payload(
                {"sessionId": session_id}, {"afterSeq": integers, "afterNoteSeq": integers}
            ),
        )
    if event == "session:transfer":
        return event_payload({"sessionId": session_id}, {"agentId": text, "note": text})
    return event_payload({"sessionId": session_id})


def _emit(client: Any, event: str, payload: Any, extra: Any, namespace: str) -> Any:
    if payload is NO_PAYLOAD:
        return client.emit(event, callback=True, namespace=namespace)
    if extra is not NO_PAYLOAD:
        return client.emit(event, payload, extra, callback=True, namespace=namespace)
    return client.emit(event, payload, callback=True, namespace=namespace)


def _check_example(
    client: Any,
    event: str,
    payload: Any,
    extra: Any,
    namespace: str,
    table_counts: Any,
    error_log: Any,
) -> dict[str, Any]:
    before = table_counts()
    ack = _emit(client, event, payload, extra, namespace)
    after = table_counts()
    assert error_log.take() == [], f"{event} {payload!r:.300} logged an error"
    assert isinstance(ack, dict) and isinstance(ack.get("ok"), bool), ack
    errors = events(client, "error", namespace)
    if not ack["ok"]:
        code = ack["error"]["code"]
        assert code in REFUSALS, f"{event} {payload!r:.300} -> {ack}"
        assert isinstance(ack["error"]["message"], str)
        # Unknown event names are echoed cut to 100 characters.
        assert [(e["code"], e["event"]) for e in errors][-1:] == [(code, event[:100])]
        assert after == before, f"refused {event} changed rows: {before} -> {after}"
    else:
        assert errors == []
    assert client.is_connected(namespace), f"{event} {payload!r:.300} disconnected the sender"
    return ack


def _ran_enough(ran: list[int]) -> None:
    """The search really ran (hypothesis may stop early only when it runs out of inputs)."""
    print(f" {len(ran)} examples", end="")
    assert len(ran) >= EXAMPLES // 2


def _bystanders_unharmed(scene: Scene) -> None:
    assert scene.bystander.is_connected("/")
    assert scene.support_bystander.is_connected("/support")
    assert events(scene.bystander, "error") == []
    assert events(scene.support_bystander, "error", "/support") == []
    # (An agent may have ended the bystander's chat: joining still works then.)
    ack = scene.bystander.emit("join:session", scene.bystander_session, callback=True)
    assert ack["ok"], ack
    assert scene.support_bystander.emit("queue:get", callback=True, namespace="/support")["ok"]


@pytest.mark.parametrize("event", CHAT_EVENTS)
def test_chat_event_survives_hostile_payloads(
    event: str, scene: Scene, table_counts: Any, error_log: Any
) -> None:
    ran: list[int] = []

    @fuzz_settings(EXAMPLES)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        ran.append(1)
        payload = data.draw(_payloads(event, scene.ids), label="payload")
        extra = data.draw(st.one_of(st.just(NO_PAYLOAD), junk), label="extra argument")
        sender = data.draw(st.sampled_from(["customer", "agent"]), label="sender")
        client = scene.customer if sender == "customer" else scene.agent
        _check_example(client, event, payload, extra, "/", table_counts, error_log)
        if event == "session:end":
            scene.refresh_sessions()

    run()
    _ran_enough(ran)
    _bystanders_unharmed(scene)


@pytest.mark.parametrize("namespace", ["/", "/support"])
def test_unknown_events_are_refused_on_both_namespaces(
    namespace: str, scene: Scene, fuzz_sio: Any, table_counts: Any, error_log: Any
) -> None:
    client = (
        scene.customer if namespace == "/" else fuzz_sio("fz-unknown-agent", "agent", "/support")
    )
    known = {f"on_{e}" for e in [*CHAT_EVENTS, "queue:get"]}
    names = st.one_of(
        st.text(max_size=30),
        st.sampled_from(["connect", "disconnect", "message", "join_session", "__init__", "on_x"]),
        st.sampled_from(["queue:get", *CHAT_EVENTS]).map(lambda e: e.upper()),
        st.text(min_size=200, max_size=300),
    ).filter(lambda name: f"on_{name}" not in known)

    ran: list[int] = []

    @fuzz_settings(EXAMPLES)
    @given(name=names, payload=st.one_of(st.just(NO_PAYLOAD), junk))
    def run(name: str, payload: Any) -> None:
        ran.append(1)
        ack = _check_example(client, name, payload, NO_PAYLOAD, namespace, table_counts, error_log)
        assert ack["error"]["code"] == "unknown_event"

    run()
    _ran_enough(ran)
    _bystanders_unharmed(scene)


def test_support_queue_get_accepts_any_payload(
    scene: Scene, fuzz_sio: Any, table_counts: Any, error_log: Any
) -> None:
    agent = fuzz_sio("fz-queue-agent", "agent", "/support")

    ran: list[int] = []

    @fuzz_settings(EXAMPLES)
    @given(payload=st.one_of(st.just(NO_PAYLOAD), junk), extra=st.just(NO_PAYLOAD) | junk)
    def run(payload: Any, extra: Any) -> None:
        ran.append(1)
        ack = _check_example(
            agent, "queue:get", payload, extra, "/support", table_counts, error_log
        )
        assert ack["ok"] and isinstance(ack["waiting"], list)

    run()
    _ran_enough(ran)
    _bystanders_unharmed(scene)


# The same hostile values, deterministically, in every field of every event (random search
# finds rare combinations late; these are the ones that broke the service before).
HOSTILE = [
    *NASTY_STRINGS,
    None,
    True,
    0,
    -1,
    1.5,
    2**31,
    2**63,
    float("nan"),
    float("inf"),
    [],
    ["x"],
    {},
    {"a": 1},
    b"\x00",
    b"\xff",
    nest(300, "x", True),
    nest(300, 1, False),
]
BASE_PAYLOADS: dict[str, list[dict[str, Any]]] = {
    "join:session": [{"sessionId": "S", "afterSeq": 0, "afterNoteSeq": 0}],
    "leave:session": [{"sessionId": "S"}],
    "message:send": [
        {"sessionId": "S", "content": "hi", "clientMessageId": "c-1", "metadata": {"k": "v"}},
        {"sessionId": "S", "content": "hi", "clientMessageId": "c-2", "internal": True},
    ],
    "typing:start": [{"sessionId": "S"}],
    "typing:stop": [{"sessionId": "S"}],
    "session:end": [{"sessionId": "S"}, {"sessionId": "S", "outcome": "follow_up", "note": "n"}],
    "session:request_human": [{"sessionId": "S"}],
    "session:transfer": [{"sessionId": "S", "agentId": "A", "note": "n"}],
    "message:read": [{"sessionId": "S", "upToSeq": 1}, {"sessionId": "S", "messageIds": ["m"]}],
}
WHOLE_PAYLOADS = [NO_PAYLOAD, None, "", 0, True, [], ["S"], "y" * 70_000, b"raw", nest(300, 1, 0)]


def _variants(base: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for key in base:
        out.append({k: v for k, v in base.items() if k != key})
        for value in HOSTILE:
            out.append({**base, key: value})
            if isinstance(base[key], dict):
                out.append({**base, key: {"k": value}})
                if isinstance(value, str):
                    out.append({**base, key: {value: 1}})
            if isinstance(base[key], list):
                out.append({**base, key: [value]})
        out.append({**base, f"{key}Extra": "x"})
    return out


@pytest.mark.parametrize("event", CHAT_EVENTS)
def test_hostile_values_in_every_field_of_every_event(
    event: str, scene: Scene, table_counts: Any, error_log: Any
) -> None:
    """Each field dropped, replaced by each hostile value (or holding it, for objects and
    lists), an unknown field added, and non-object payloads: the same checks as above."""
    session = scene.own_session
    payloads: list[Any] = [
        {k: session if v == "S" else v for k, v in variant.items()}
        for base in BASE_PAYLOADS[event]
        for variant in _variants(base)
    ]
    payloads += [[session] if p == ["S"] else p for p in WHOLE_PAYLOADS]
    for payload in payloads:
        _check_example(scene.customer, event, payload, NO_PAYLOAD, "/", table_counts, error_log)
    _bystanders_unharmed(scene)


@pytest.mark.parametrize("namespace", ["/", "/support"])
def test_auth_refresh_survives_hostile_payloads(
    namespace: str, scene: Scene, fuzz_sio: Any, table_counts: Any, error_log: Any
) -> None:
    """auth:refresh on either namespace: hostile tokens are refused with a code, the socket
    keeps the token it had."""
    client = scene.agent if namespace == "/" else fuzz_sio("fz-refresh-agent", "agent", "/support")
    tokens = st.one_of(text, st.text(min_size=8000, max_size=9000), st.just("a.b.c"))

    ran: list[int] = []

    @fuzz_settings(EXAMPLES)
    @given(payload=st.one_of(event_payload({"token": tokens}), junk), extra=st.just(NO_PAYLOAD))
    def run(payload: Any, extra: Any) -> None:
        ran.append(1)
        ack = _check_example(
            client, "auth:refresh", payload, extra, namespace, table_counts, error_log
        )
        assert not ack["ok"] and ack["error"]["code"] in {"validation_error", "invalid_token"}

    run()
    _ran_enough(ran)
    _bystanders_unharmed(scene)

"""realtime/push.py: the assistant's ai:* events, names and payloads byte for byte as
docs/protocol.md has them (a public contract: widgets parse them)."""

from __future__ import annotations

import json
from typing import Any

import pytest


@pytest.fixture()
def emitted(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, Any]]:
    """(event, JSON payload, rooms) of every emit."""
    from livechat.realtime import push

    sent: list[tuple[str, str, Any]] = []
    monkeypatch.setattr(
        push, "_emit", lambda event, payload, **kw: sent.append((event, json.dumps(payload), kw))
    )
    return sent


def test_the_assistants_events_and_their_payloads(emitted: list[Any]) -> None:
    from livechat.realtime import push
    from livechat.realtime.rooms import CHAT_NAMESPACE, session_room

    push.ai_processing("s1", "st1")
    push.ai_delta("s1", "st1", "Hel")
    push.ai_complete("s1", "st1", "m1")
    push.ai_cancelled("s1", "st1", "superseded")
    push.ai_error("s1", "st1", "ai_timeout", "Too slow.")
    push.ai_error("s1", None, "internal", "Broke.")

    assert [(event, payload) for event, payload, _ in emitted] == [
        ("ai:processing", '{"sessionId": "s1", "streamId": "st1"}'),
        ("ai:delta", '{"sessionId": "s1", "streamId": "st1", "delta": "Hel"}'),
        ("ai:complete", '{"sessionId": "s1", "messageId": "m1", "streamId": "st1"}'),
        ("ai:cancelled", '{"sessionId": "s1", "streamId": "st1", "reason": "superseded"}'),
        (
            "ai:error",
            '{"sessionId": "s1", "streamId": "st1", "code": "ai_timeout", "message": "Too slow."}',
        ),
        (
            "ai:error",
            '{"sessionId": "s1", "streamId": null, "code": "internal", "message": "Broke."}',
        ),
    ]
    for _, _, kw in emitted:  # to the session's room on the chat namespace, nobody skipped
        assert kw == {"to": [session_room("s1")], "skip_sid": None, "namespace": CHAT_NAMESPACE}

"""The hand-over commands an assistant process accepts (anything else is ignored, not obeyed)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from livechat.ai.worker import parse_command


def test_well_formed_commands() -> None:
    assert parse_command(b'{"op": "message", "sessionId": "s1"}') == ("message", "s1", None)
    assert parse_command(json.dumps({"op": "stop", "sessionId": "s1", "reason": "escalated"})) == (
        "stop",
        "s1",
        "escalated",
    )


@pytest.mark.parametrize(
    "data",
    [
        None,
        b"",
        b"\xff\xfe",
        b"not json",
        b"null",
        b"[]",
        b'"message"',
        b'{"op": "message"}',
        b'{"op": "message", "sessionId": null}',
        b'{"op": "message", "sessionId": ["s1"]}',
        b'{"op": "message", "sessionId": ""}',
        json.dumps({"op": "message", "sessionId": "s" * 65}).encode(),
        b'{"op": "delete", "sessionId": "s1"}',
        b'{"op": "stop", "sessionId": "s1"}',
        b'{"op": "stop", "sessionId": "s1", "reason": "whim"}',
        b'{"sessionId": "s1"}',
    ],
)
def test_malformed_commands_are_refused(data: object) -> None:
    assert parse_command(data) is None


def test_unheard_hand_overs_warn_once_a_minute(redis_url: str, caplog: Any) -> None:
    """No assistant process running: the web process says so, not once per customer message."""
    import secrets

    import redis
    from flask import Flask

    from livechat.ai.worker import RemoteAssistant, channel_name

    app = Flask(__name__)
    app.config.update(REDIS_URL=redis_url, REDIS_CHANNEL=f"lc-test-{secrets.token_hex(4)}")
    remote = RemoteAssistant(app)
    with caplog.at_level(logging.WARNING, logger="livechat.ai.worker"):
        for n in range(3):
            remote.customer_message(f"s{n}")
    warnings = [r.getMessage() for r in caplog.records if "no assistant process" in r.getMessage()]
    assert len(warnings) == 1 and "1 hand-over(s)" in warnings[0]
    caplog.clear()
    listener = redis.Redis.from_url(redis_url).pubsub()
    listener.subscribe(channel_name(app))
    _confirmed(listener, "subscribe")
    try:
        remote.stop("s1", "agent_assigned")  # heard: nothing to say
        remote._warned_at -= RemoteAssistant.WARN_EVERY_SECONDS  # a minute later
        listener.unsubscribe()
        _confirmed(listener, "unsubscribe")
        remote.customer_message("s2")
    finally:
        listener.close()
    warnings = [r.getMessage() for r in caplog.records if "no assistant process" in r.getMessage()]
    assert len(warnings) == 1 and "1 hand-over(s)" in warnings[0]


def _confirmed(pubsub: Any, kind: str) -> None:
    for _ in range(10):
        message = pubsub.get_message(timeout=1)
        if message is not None and message["type"] == kind:
            return
    raise AssertionError(f"Redis never confirmed {kind}")

"""The hand-over commands an assistant process accepts (anything else is ignored, not obeyed)."""

from __future__ import annotations

import json

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

"""Structured logs: JSON lines with request/socket/chat ids; never tokens or message bodies."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from livechat.logs import ContextFilter, JsonFormatter


@pytest.fixture()
def json_log() -> Iterator[io.StringIO]:
    """Everything logged at DEBUG and above, as the JSON formatter writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    old_level, livechat_level = root.level, logging.getLogger("livechat").level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    logging.getLogger("livechat").setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        logging.getLogger("livechat").setLevel(livechat_level)


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_rest_requests_log_one_json_access_line_with_ids(
    client: Any, auth: Any, json_log: io.StringIO
) -> None:
    response = client.post(
        "/api/support/chat/sessions/user",
        headers={**auth("cust-1"), "X-Request-ID": "req-42"},
        json={"subject": "card"},
    )
    assert response.status_code in (200, 201)
    assert response.headers["X-Request-ID"] == "req-42"
    access = [e for e in _lines(json_log) if e["logger"] == "livechat.access"]
    assert len(access) == 1
    entry = access[0]
    assert entry["level"] == "INFO" and entry["requestId"] == "req-42"
    assert (entry["method"], entry["path"], entry["status"]) == (
        "POST",
        "/api/support/chat/sessions/user",
        response.status_code,
    )
    assert entry["uid"] == "cust-1" and entry["durationMs"] >= 0 and entry["ts"].endswith("+00:00")


@pytest.mark.parametrize("given", ["", "has spaces", "x" * 65, "semi;colon", "\u00e9t\u00e9"])
def test_a_malformed_request_id_is_replaced(client: Any, given: str) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": given} if given else {})
    rid = response.headers["X-Request-ID"]
    assert rid != given and len(rid) == 32 and rid.isalnum()


def test_no_token_or_message_body_is_ever_logged(
    client: Any, auth: Any, token: Any, sio: Any, json_log: io.StringIO
) -> None:
    secret_text = "my card PIN is 4321 and password hunter2"
    headers = auth("cust-1")
    session = client.post("/api/support/chat/sessions/user", headers=headers, json={}).get_json()
    sid = session["session"]["id"] if "session" in session else session["id"]
    customer = sio("cust-1")
    assert customer.emit("join:session", {"sessionId": sid}, callback=True)["ok"]
    ack = customer.emit(
        "message:send",
        {"sessionId": sid, "content": secret_text, "clientMessageId": "c1"},
        callback=True,
    )
    assert ack["ok"]
    # Bad input and a refused token are logged too, still without their secrets.
    client.get("/api/support/chat/sessions/active", headers={"Authorization": "Bearer bogus.tok"})
    customer.emit("message:send", {"sessionId": sid, "content": 42}, callback=True)
    lines = json_log.getvalue()
    assert lines  # something was logged
    assert headers["Authorization"].split()[1] not in lines
    assert "bogus.tok" not in lines
    # "PIN is 4321", not "4321" alone: a random request id (hex) can contain those digits.
    assert "hunter2" not in lines and "PIN is 4321" not in lines

"""The widget in a real browser: a first visit that logs nothing, a returning customer's chat
restored."""

from __future__ import annotations

from typing import Any

from tests.e2e.browser.conftest import Browser
from tests.e2e.browser.test_widget_console import _customer_says, _messages, _open_widget


def _console_errors(b: Browser) -> list[str]:
    """Every error in the browser console since the last call, failed requests included."""
    return [e["message"] for e in b.driver.get_log("browser") if e["level"] == "SEVERE"]


def test_first_visit_logs_nothing_and_a_returning_customer_finds_their_chat(
    web_server: Any, browser: Any
) -> None:
    first = browser(1280, 900)
    _open_widget(first, web_server.url)
    # The customer with no chat yet writes: by the time it is sent, the widget has learned
    # that there was no chat, opened one and joined it.
    _customer_says(first, "Hello, first time here")
    assert _console_errors(first) == []

    # The same customer on another device (nothing in local storage): the open chat is back.
    again = browser(1280, 900)
    _open_widget(again, web_server.url)
    again.wait(
        lambda _: any(m["text"] == "Hello, first time here" for m in _messages(again)),
        what="the open chat restored",
    )
    sent = [m["id"] for m in _messages(first) if m["text"] == "Hello, first time here"]
    assert [m["id"] for m in _messages(again) if m["text"] == "Hello, first time here"] == sent
    assert _console_errors(again) == []

"""The widget in a real browser: a first visit that logs nothing, a returning customer's chat
restored, and a message over the limit stopped with the reason said."""

from __future__ import annotations

from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.e2e.browser.test_widget_console import _customer_says, _messages, _open_widget


def test_first_visit_logs_nothing_and_a_returning_customer_finds_their_chat(
    web_server: Any, browser: Any
) -> None:
    first = browser(1280, 900)
    _open_widget(first, web_server.url)
    # The customer with no chat yet writes: by the time it is sent, the widget has learned
    # that there was no chat, opened one and joined it.
    _customer_says(first, "Hello, first time here")
    assert first.console_errors() == []

    # The same customer on another device (nothing in local storage): the open chat is back.
    again = browser(1280, 900)
    _open_widget(again, web_server.url)
    again.wait(
        lambda _: any(m["text"] == "Hello, first time here" for m in _messages(again)),
        what="the open chat restored",
    )
    sent = [m["id"] for m in _messages(first) if m["text"] == "Hello, first time here"]
    assert [m["id"] for m in _messages(again) if m["text"] == "Hello, first time here"] == sent
    assert again.console_errors() == []


def test_a_message_over_the_limit_is_stopped_and_explained(web_server: Any, browser: Any) -> None:
    b = browser(1280, 900)
    _open_widget(b, web_server.url)
    box = b.find("livechat-input")
    # As a paste does: the whole text at once.
    b.driver.execute_script(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));",
        box,
        "x" * 4001,
    )
    counter = b.driver.find_element(By.ID, box.get_attribute("aria-describedby"))
    assert counter.is_displayed() and "too long (4001 / 4000" in counter.text
    assert box.get_attribute("aria-invalid") == "true"
    assert not b.find("livechat-send").is_enabled()
    live = b.driver.find_element(By.CSS_SELECTOR, '[data-livechat] [aria-live="polite"]')
    b.wait(
        lambda _: "too long" in live.get_attribute("textContent"),
        what="the limit announced to screen readers",
    )

    box.send_keys(Keys.ENTER)  # Enter sends: refused with the reason, nothing sent
    assert "at most 4000 characters" in b.wait_visible("livechat-error").text
    assert _messages(b) == []

    box.send_keys(Keys.BACKSPACE)
    assert box.get_attribute("aria-invalid") == "false"
    assert b.find("livechat-send").is_enabled()
    assert b.console_errors() == []

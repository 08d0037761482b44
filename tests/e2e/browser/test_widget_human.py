"""The widget's "Talk to a person", with and without the assistant, in a real browser."""

from __future__ import annotations

from typing import Any

from selenium.webdriver.common.keys import Keys

from tests.e2e.browser.conftest import Browser
from tests.e2e.browser.test_widget_console import _customer_says, _messages, _open_widget

WELCOME_HUMAN = "Hi! Ask us anything. A person from our team will answer you here."


def _live_text(b: Browser) -> str:
    return str(
        b.driver.execute_script("return document.querySelector('.lc-sr[aria-live]').textContent")
    )


def test_without_the_assistant_a_person_is_one_key_press_away(
    no_ai_web_server: Any, browser: Any
) -> None:
    customer = browser(1280, 900)
    _open_widget(customer, no_ai_web_server.url)
    customer.wait(
        lambda _: customer.driver.find_element("css selector", ".lc-welcome").text == WELCOME_HUMAN,
        what="the welcome says a person answers",
    )
    # Keyboard only: from the message box, Shift+Tab reaches the labelled button.
    customer.find("livechat-input").send_keys(Keys.SHIFT, Keys.TAB)
    human = customer.find("livechat-human")
    assert customer.driver.switch_to.active_element == human
    assert human.text == "Talk to a person"
    human.send_keys(Keys.ENTER)  # no chat yet: one is opened, then queued

    customer.wait_visible("livechat-waiting")
    customer.wait(
        lambda _: any(
            m["type"] == "SYSTEM" and "a person from our team will take over" in m["text"]
            for m in _messages(customer)
        ),
        what="the queue notice",
    )
    customer.wait(lambda _: "you are in the queue" in _live_text(customer), what="announced")
    # Again: nothing changes, and the customer is told so.
    human.send_keys(Keys.ENTER)
    customer.wait(lambda _: "already in the queue" in _live_text(customer), what="told again")
    assert [m["type"] for m in _messages(customer)] == ["SYSTEM"]
    assert customer.console_errors() == []


def test_with_the_assistant_the_customer_can_skip_it(web_server: Any, browser: Any) -> None:
    customer = browser(1280, 900)
    _open_widget(customer, web_server.url)
    welcome = customer.driver.find_element("css selector", ".lc-welcome").text
    assert "Our assistant answers right away" in welcome
    _customer_says(customer, "How do I freeze my card?")
    customer.wait(
        lambda _: any(m["type"] == "AI" for m in _messages(customer)), what="the AI answer"
    )
    customer.find("livechat-human").click()
    customer.wait_visible("livechat-waiting")
    customer.wait(
        lambda _: _messages(customer)[-1]["type"] == "SYSTEM", what="the queue notice last"
    )
    assert customer.console_errors() == []

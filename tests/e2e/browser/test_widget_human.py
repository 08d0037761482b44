"""The widget's "Talk to a person", with and without the assistant, in a real browser."""

from __future__ import annotations

from typing import Any

from selenium.webdriver.common.keys import Keys

from tests.e2e.browser.a11y import Audit
from tests.e2e.browser.conftest import Browser
from tests.e2e.browser.test_widget_console import _customer_says, _messages, _open_widget

WELCOME_HUMAN = "Hi! Ask us anything. A person from our team will answer you here."


# The demo page signs its widget in as the demo customer; a second customer is the same page
# with the widget started again (LiveChat.init replaces it) on a dev token for another uid.
_SIGN_IN_AS = """
const [uid, name] = arguments;
window.LiveChat.init({url: location.origin, getToken: () =>
  fetch('/dev/token?' + new URLSearchParams({uid, name})).then((r) => r.json()).then((b) => b.token)});
window.LiveChat.open();
"""


def _open_widget_as(b: Browser, base: str, uid: str, name: str) -> None:
    _open_widget(b, base)
    b.driver.execute_script(_SIGN_IN_AS, uid, name)
    b.wait(
        lambda _: b.find("livechat-status").get_attribute("data-state") == "connected",
        what=f"widget connected as {uid}",
    )


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


def test_a_waiting_customer_sees_their_place_in_the_queue_move_up(
    no_ai_web_server: Any, browser: Any, token: Any
) -> None:
    """B asks for a person after A: B is number 2; an agent takes A's chat and B's banner says
    number 1 (with the shorter wait) as it happens, from queue:position, without a reload."""
    base = no_ai_web_server.url
    first = browser(1280, 900)
    _open_widget(first, base)  # the demo customer
    first.wait_visible("livechat-human").click()
    ahead = first.wait_visible("livechat-waiting")
    first.wait(lambda _: "number 1 in the queue" in ahead.text, what="A is number 1")

    second = browser(1280, 900)
    _open_widget_as(second, base, "br-queue-cust-b", "Bea")
    second.wait_visible("livechat-human").click()
    banner = second.wait_visible("livechat-waiting")
    waiting = "A human agent will join shortly — you are number {n} in the queue (about {m} min)"
    second.wait(
        lambda _: banner.text == waiting.format(n=2, m=8),  # QUEUE_MINUTES_PER_CHAT=4
        what="B is number 2",
    )
    audit = Audit()
    audit.check(second, "widget, number 2 in the queue")

    # Nothing about B's own chat changes now: only queue:position can move B's banner.

    _, active = no_ai_web_server.request(
        "GET", "/api/support/chat/sessions/active", token("demo-customer")
    )
    status, _ = no_ai_web_server.request(
        "POST",
        f"/api/support/chat/sessions/{active['id']}/assign",
        token("agent-cy", "agent", name="Cy"),
    )
    assert status == 200
    first.wait_visible("livechat-agent")
    second.wait(lambda _: banner.text == waiting.format(n=1, m=4), what="B moved up to number 1")
    assert banner.get_attribute("role") == "status"  # announced as it changes
    audit.check(second, "widget, moved up to number 1")
    audit.assert_clean()
    assert first.console_errors() == []
    assert second.console_errors() == []

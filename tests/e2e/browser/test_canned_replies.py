"""Canned replies in the console: managed in their panel, picked with "/" in the reply box,
filled in for the chat, edited, sent; axe-clean in each state."""

from __future__ import annotations

from typing import Any

from selenium.webdriver.common.keys import Keys

from tests.e2e.browser.a11y import Audit
from tests.e2e.browser.conftest import Browser
from tests.e2e.browser.test_widget_console import (
    _assign_first_waiting,
    _messages,
    _open_widget,
    _sign_in_agent,
)

GREETING = "Hi {{ customer.name }}, I'm {{agent.name}} and I'll help you today."


def _options(agent: Browser) -> list[str]:
    return [
        o.get_attribute("data-shortcut")
        for o in agent.find_all("console-canned-option")
        if o.is_displayed()
    ]


def _field_text(agent: Browser, testid: str, text: str) -> None:
    field = agent.find(testid)
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(Keys.BACKSPACE)
    field.send_keys(text)


def test_agent_inserts_a_canned_reply_edits_and_sends_it(
    no_ai_web_server: Any, browser: Any, token: Any
) -> None:
    base = no_ai_web_server.url
    admin = token("admin-eve", "admin", name="Eve")
    for shortcut, title, body in [
        ("greeting", "Greeting", GREETING),
        ("refund-policy", "Refund policy", "Refunds reach your card within 5 working days."),
    ]:
        status, _ = no_ai_web_server.request(
            "POST",
            "/api/support/canned-responses",
            admin,
            {"scope": "team", "shortcut": shortcut, "title": title, "body": body},
        )
        assert status == 201

    customer = browser(1280, 900)
    _open_widget(customer, base)  # the demo customer, Dana Demo
    customer.wait_visible("livechat-human").click()
    customer.wait_visible("livechat-waiting")

    agent = browser(1280, 900)
    _sign_in_agent(agent, base)  # Ada (agent)
    audit = Audit()

    # The panel: a personal reply, refused first for a variable nobody can fill in.
    agent.find("console-canned-toggle").click()
    agent.wait_visible("console-canned-form")
    assert agent.find("console-canned-toggle").get_attribute("aria-expanded") == "true"
    assert not agent.find("console-canned-scope").is_displayed()  # agents save personal ones
    agent.find("console-canned-shortcut").send_keys("thanks")
    agent.find("console-canned-title").send_keys("Thanks")
    agent.find("console-canned-body").send_keys("Thanks {{customer.phone}}!")
    agent.find("console-canned-save").click()
    error = agent.wait_visible("console-canned-body-error")
    assert "customer.phone" in error.text and "{{customer.name}}" in error.text
    assert agent.find("console-canned-body").get_attribute("aria-invalid") == "true"
    assert agent.driver.switch_to.active_element == agent.find("console-canned-body")
    audit.check(agent, "console, canned reply refused")
    # The refusal is the one failed request the browser saw (later ones would be bugs).
    refused = agent.console_errors()
    assert (
        len(refused) == 1 and "/api/support/canned-responses" in refused[0] and "422" in refused[0]
    )
    _field_text(agent, "console-canned-body", "Thank you, {{customer.name}}!")
    agent.find("console-canned-save").click()
    agent.wait(
        lambda _: (
            [i.get_attribute("data-shortcut") for i in agent.find_all("console-canned-item")]
            == ["thanks"]
        ),
        what="the personal reply listed",
    )
    assert not agent.find("console-canned-body-error").is_displayed()
    audit.check(agent, "console, canned replies panel")
    agent.find("console-canned-close").click()
    assert not agent.find("console-canned-panel").is_displayed()

    _assign_first_waiting(agent)
    box = agent.wait_visible("console-input")
    agent.wait(lambda _: box.is_enabled(), what="the reply box enabled")

    # "/" lists every reply (by shortcut); arrows move; Escape closes and leaves the text.
    box.send_keys("/")
    agent.wait(
        lambda _: _options(agent) == ["greeting", "refund-policy", "thanks"], what="all replies"
    )
    assert box.get_attribute("role") == "combobox"
    assert box.get_attribute("aria-expanded") == "true"
    assert box.get_attribute("aria-activedescendant") == "canned-option-0"
    box.send_keys(Keys.ARROW_DOWN)
    assert box.get_attribute("aria-activedescendant") == "canned-option-1"
    assert agent.find_all("console-canned-option")[1].get_attribute("aria-selected") == "true"
    audit.check(agent, "console, canned replies listbox open")
    box.send_keys(Keys.ESCAPE)
    agent.wait(lambda _: not agent.find("console-canned-listbox").is_displayed(), what="closed")
    assert box.get_attribute("aria-expanded") == "false"
    assert box.get_attribute("value") == "/"

    # Typing after the slash filters; Enter inserts the filled-in text, sending nothing.
    box.send_keys("gre")
    agent.wait(lambda _: _options(agent) == ["greeting"], what="filtered to the greeting")
    box.send_keys(Keys.ENTER)
    rendered = "Hi Dana Demo, I'm Ada (agent) and I'll help you today."
    agent.wait(lambda _: box.get_attribute("value") == rendered, what="the rendered reply")
    assert not agent.find("console-canned-listbox").is_displayed()
    assert [m for m in _messages(agent, "console-message") if m["type"] == "AGENT"] == []

    # The agent edits it, then sends; the customer gets the edited text.
    box.send_keys(" What is your order number?")
    box.send_keys(Keys.ENTER)
    sent = rendered + " What is your order number?"
    customer.wait(
        lambda _: any(m["type"] == "AGENT" and m["text"] == sent for m in _messages(customer)),
        what="the edited reply at the customer's",
    )
    agent.wait(lambda _: box.get_attribute("value") == "", what="the reply box emptied")
    audit.check(agent, "console, canned reply sent")
    audit.assert_clean()
    assert customer.console_errors() == []
    assert agent.console_errors() == []


def test_canned_replies_stay_out_of_internal_notes(
    no_ai_web_server: Any, browser: Any, token: Any
) -> None:
    """In note mode "/" is plain text: no canned replies (they are for the customer)."""
    base = no_ai_web_server.url
    admin = token("admin-eve", "admin", name="Eve")
    status, _ = no_ai_web_server.request(
        "POST",
        "/api/support/canned-responses",
        admin,
        {"scope": "team", "shortcut": "greeting", "title": "Greeting", "body": GREETING},
    )
    assert status == 201

    customer = browser(1280, 900)
    _open_widget(customer, base)
    customer.wait_visible("livechat-human").click()
    customer.wait_visible("livechat-waiting")
    agent = browser(1280, 900)
    _sign_in_agent(agent, base)
    _assign_first_waiting(agent)
    box = agent.wait_visible("console-input")
    agent.wait(lambda _: box.is_enabled(), what="the reply box enabled")
    assert "/ for canned replies" in box.get_attribute("placeholder")

    # The list open in reply mode closes when the switch turns note mode on (a click that
    # leaves the focus in the reply box, as a blur would close the list anyway).
    box.send_keys("/")
    agent.wait(lambda _: _options(agent) == ["greeting"], what="the replies listed")
    toggle = agent.find("console-note-toggle")
    agent.driver.execute_script("arguments[0].click()", toggle)
    agent.wait(lambda _: not agent.find("console-canned-listbox").is_displayed(), what="closed")
    assert toggle.is_selected() and box.get_attribute("aria-expanded") == "false"
    assert agent.driver.switch_to.active_element == box
    assert "canned" not in box.get_attribute("placeholder")
    # In a note "/" is text: Enter adds the note, it does not pick a reply.
    box.send_keys("gre")
    box.send_keys(Keys.ENTER)
    note = agent.wait_visible("console-note")
    agent.wait(lambda _: agent.find("console-note-text", note).text == "/gre", what="the note")
    assert not agent.find("console-canned-listbox").is_displayed()

    # Back to replies: "/" lists the replies again.
    agent.driver.execute_script("arguments[0].click()", toggle)
    agent.wait(lambda _: not toggle.is_selected(), what="reply mode")
    assert "/ for canned replies" in box.get_attribute("placeholder")
    box.send_keys("/gr")
    agent.wait(lambda _: _options(agent) == ["greeting"], what="the replies listed again")
    assert box.get_attribute("aria-expanded") == "true"
    assert [m for m in _messages(customer) if m["text"] == "/gre"] == []
    assert customer.console_errors() == []
    assert agent.console_errors() == []

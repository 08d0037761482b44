"""Internal notes in a real browser: the agent writes one in the console and sees it as a note;
the customer's widget, live in the same chat, never shows it."""

from __future__ import annotations

from typing import Any

from selenium.webdriver.common.keys import Keys

from tests.e2e.browser.a11y import Audit
from tests.e2e.browser.test_widget_console import (
    _assign_first_waiting,
    _customer_says,
    _messages,
    _open_widget,
    _sign_in_agent,
)

NOTE = "Checked the ledger: the refund left on Monday"


def test_an_agents_note_is_shown_to_agents_only(web_server: Any, browser: Any) -> None:
    base = web_server.url
    audit = Audit()
    customer = browser(1280, 900)
    _open_widget(customer, base)
    _customer_says(customer, "I want to talk to a human please")
    customer.wait_visible("livechat-waiting")

    agent = browser(1280, 800)
    _sign_in_agent(agent, base)
    _assign_first_waiting(agent)
    agent.wait_visible("console-input")
    agent.wait(
        lambda _: any("human please" in m["text"] for m in _messages(agent, "console-message")),
        what="history",
    )

    # Note mode by keyboard: the labelled switch, then Enter in the composer adds the note.
    toggle = agent.find("console-note-toggle")
    assert toggle.get_attribute("role") == "switch" and not toggle.is_selected()
    toggle.send_keys(Keys.SPACE)
    agent.wait(lambda _: toggle.is_selected(), what="note mode on")
    assert agent.find("console-composer").get_attribute("data-mode") == "note"
    assert agent.find("console-send").text == "Add note"
    box = agent.find("console-input")
    box.send_keys(NOTE)
    box.send_keys(Keys.ENTER)
    note = agent.wait_visible("console-note")
    agent.wait(lambda _: agent.find("console-note-text", note).text == NOTE, what="note shown")
    # The label is text (shown in capitals by CSS), so screen readers announce it with the note.
    assert note.get_attribute("textContent").startswith("Internal note")
    assert agent.find("console-note-author", note).text == "You"
    assert note.get_attribute("data-after-seq") and note.get_attribute("data-note-seq") == "1"
    # Not a message bubble: the transcript's messages do not include it.
    assert all(m["text"] != NOTE for m in _messages(agent, "console-message"))
    audit.check(agent, "console, note mode with a note in the transcript")

    # Back to replies: the customer gets the reply, and by then would have got the note too.
    toggle.send_keys(Keys.SPACE)
    agent.wait(lambda _: not toggle.is_selected(), what="reply mode")
    agent.find("console-input").send_keys("Your refund is on its way")
    agent.find("console-send").click()
    customer.wait(
        lambda _: any(m["text"] == "Your refund is on its way" for m in _messages(customer)),
        what="the agent's reply",
    )
    assert NOTE not in customer.driver.page_source
    assert all(m["text"] != NOTE for m in _messages(customer))

    # A reload rebuilds both transcripts from the server: still a note for the agent only.
    customer.driver.refresh()  # the widget reopens as it was
    customer.wait(
        lambda _: any(m["text"] == "Your refund is on its way" for m in _messages(customer)),
        what="the widget's history after a reload",
    )
    assert NOTE not in customer.driver.page_source
    seqs = [int(m["seq"]) for m in _messages(customer) if m["seq"]]
    assert seqs == list(range(1, len(seqs) + 1))  # the note left no hole in the widget's seq
    agent.driver.refresh()
    agent.wait(
        lambda _: agent.find("console-status").get_attribute("data-state") == "connected",
        what="console reconnected",
    )
    item = agent.wait_visible("console-chat-item")
    item.click()
    agent.wait(
        lambda _: [e.text for e in agent.find_all("console-note-text")] == [NOTE],
        what="the note after a reload",
    )
    audit.check(agent, "console, chat with a note after a reload")
    audit.assert_clean()
    assert customer.console_errors() == []
    assert agent.console_errors() == []

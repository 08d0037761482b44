"""WCAG 2.1 AA (axe-core) on the widget and the console, in each state a person meets them."""

from __future__ import annotations

from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from tests.e2e.browser.a11y import Audit, axe_violations, describe
from tests.e2e.browser.test_widget_console import (
    _assign_first_waiting,
    _customer_says,
    _messages,
    _open_widget,
    _sign_in_agent,
)
from tests.e2e.test_queue_e2e import _escalated
from tests.support.server import ServerProcess


def _settled(b: Any) -> bool:
    """No reply streaming or being thought about: the messages are the stored ones."""
    return not any(
        e.is_displayed()
        for e in b.find_all("livechat-ai-stream") + b.find_all("livechat-ai-thinking")
    )


def _signin_page(agent: Any, base: str) -> None:
    agent.get(base + "/console")
    agent.wait(lambda _: agent.find_all("console-demo-agent"), what="demo agents")


def test_widget_and_console_pass_axe_through_a_chat(web_server: Any, browser: Any) -> None:
    base = web_server.url
    audit = Audit()
    customer = browser(1280, 900)
    customer.get(base + "/")
    customer.wait_visible("livechat-launcher")
    audit.check(customer, "widget closed (launcher)")

    _open_widget(customer, base)
    audit.check(customer, "widget open, first visit")

    _customer_says(customer, "How do I freeze my card?")
    customer.wait(
        lambda _: any(m["type"] == "AI" and "Source" in m["text"] for m in _messages(customer)),
        what="stored AI answer",
    )
    customer.wait(lambda _: _settled(customer), what="no reply in progress")
    audit.check(customer, "widget with a conversation")

    _customer_says(customer, "I want to talk to a human please")
    customer.wait_visible("livechat-waiting")
    customer.wait(lambda _: _settled(customer), what="no reply in progress")
    audit.check(customer, "widget waiting for a human")

    agent = browser(1280, 800)
    _signin_page(agent, base)
    audit.check(agent, "console sign-in")
    next(
        e
        for e in agent.find_all("console-demo-agent")
        if e.get_attribute("data-uid") == "agent-ada"
    ).click()
    agent.wait_visible("console-queue-item")
    agent.wait(lambda _: agent.find_all("console-agent"), what="agents online listed")
    audit.check(agent, "console signed in, with the queue")

    _assign_first_waiting(agent)
    agent.wait_visible("console-input")
    agent.wait_visible("console-ticket")
    agent.wait(
        lambda _: any("freeze my card" in m["text"] for m in _messages(agent, "console-message")),
        what="history",
    )
    agent.find("console-input").send_keys("Hi, I'm Ada")
    agent.find("console-send").click()
    agent.wait_visible("console-receipt")
    audit.check(agent, "console with a chat open (conversation, customer, tickets)")

    customer.wait_visible("livechat-agent")
    audit.check(customer, "widget with an agent")

    # The ticket's status changed from the sidebar (a labelled select), then the outcome form.
    Select(agent.find("console-ticket-status-select")).select_by_value("IN_PROGRESS")
    agent.wait(
        lambda _: agent.find("console-ticket").get_attribute("data-status") == "IN_PROGRESS",
        what="ticket in progress",
    )
    agent.wait_visible("console-notice")
    audit.check(agent, "console, ticket status changed")

    agent.find("console-end").click()
    agent.wait_visible("console-end-form")
    audit.check(agent, "console, end form open")
    agent.find("console-outcome-follow-up").click()
    agent.find("console-end-note").send_keys("Call back when the new card arrives")
    agent.find("console-end-confirm").click()
    customer.wait_visible("livechat-new-chat")
    banner = agent.wait_visible("console-conversation-banner")
    agent.wait(lambda _: "follow-up needed" in banner.text, what="outcome in the banner")
    # Follow-up: the ticket stays as it was (in progress), kept for the agent. (Read through
    # wait(): the customer panel re-renders its tickets once the chat has ended, and an element
    # found just before that is stale.)
    agent.wait(
        lambda _: agent.find("console-ticket").get_attribute("data-status") == "IN_PROGRESS",
        what="the ticket still in progress after the chat ended",
    )
    audit.check(customer, "widget, chat ended")
    audit.check(agent, "console, chat ended with an outcome")

    audit.assert_clean()
    assert customer.console_errors() == []
    assert agent.console_errors() == []


def test_past_conversations_and_a_new_one_by_keyboard(idle_web_server: Any, browser: Any) -> None:
    """A chat the assistant answered closes when the customer goes quiet; the widget then
    offers a new conversation and the past ones, read-only, all reachable by keyboard."""
    base = idle_web_server.url
    audit = Audit()
    customer = browser(1280, 900)
    _open_widget(customer, base)
    _customer_says(customer, "How do I freeze my card?")
    new_chat = customer.wait_visible("livechat-new-chat")  # closed for inactivity
    customer.wait(
        lambda _: any("closed after 3 seconds" in m["text"] for m in _messages(customer)),
        what="the idle notice",
    )
    assert new_chat.text == "New conversation"
    customer.wait(lambda _: _settled(customer), what="no reply in progress")
    audit.check(customer, "widget, chat closed for inactivity")

    customer.find("livechat-past").send_keys(Keys.ENTER)
    item = customer.wait_visible("livechat-past-item")
    assert len(customer.find_all("livechat-past-item")) == 1
    assert not customer.find("livechat-input").is_displayed()  # read-only
    audit.check(customer, "widget, past conversations")
    item.send_keys(Keys.ENTER)
    past = customer.find("livechat-past-messages")
    customer.wait(
        lambda _: (
            any(
                "freeze my card" in e.text
                for e in customer.find_all("livechat-message", within=past)
            )
            and past.is_displayed()
        ),
        what="the past conversation",
    )
    assert not customer.find("livechat-input").is_displayed()
    audit.check(customer, "widget, a past conversation")

    back = customer.find("livechat-past-back")
    back.send_keys(Keys.ENTER)  # to the list
    customer.wait_visible("livechat-past-item")
    back.send_keys(Keys.ENTER)  # to the chat
    customer.wait_visible("livechat-new-chat").send_keys(Keys.ENTER)
    _customer_says(customer, "Hello again")  # a new conversation
    assert [m["text"] for m in _messages(customer) if m["type"] == "USER"] == ["Hello again"]
    audit.assert_clean()
    assert customer.console_errors() == []


def test_widget_passes_axe_over_the_limit_and_on_a_phone(web_server: Any, browser: Any) -> None:
    base = web_server.url
    audit = Audit()
    desk = browser(1280, 900)
    _open_widget(desk, base)
    box = desk.find("livechat-input")
    desk.driver.execute_script(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));",
        box,
        "x" * 4001,
    )
    box.send_keys(Keys.ENTER)
    desk.wait_visible("livechat-error")
    assert desk.driver.find_element(By.ID, box.get_attribute("aria-describedby")).is_displayed()
    audit.check(desk, "widget, message over the limit")

    phone = browser(360, 740)
    phone.get(base + "/")
    phone.wait_visible("livechat-launcher")
    audit.check(phone, "phone: widget closed (launcher)")
    _open_widget(phone, base)
    _customer_says(phone, "I need a human agent")
    phone.wait_visible("livechat-waiting")
    phone.wait(lambda _: _settled(phone), what="no reply in progress")
    audit.check(phone, "phone: widget open, waiting for a human")

    audit.assert_clean()
    assert desk.console_errors() == []
    assert phone.console_errors() == []


def test_widget_without_the_assistant_passes_axe(no_ai_web_server: Any, browser: Any) -> None:
    """The person-only welcome, and the chat queued by "Talk to a person"."""
    audit = Audit()
    customer = browser(1280, 900)
    _open_widget(customer, no_ai_web_server.url)
    customer.wait(
        lambda _: (
            "A person from our team"
            in customer.find("livechat-messages")
            .find_element(By.XPATH, "following-sibling::p")
            .text
        ),
        what="the person-only welcome",
    )
    audit.check(customer, "widget open, no assistant (a person answers)")
    customer.find("livechat-human").click()
    customer.wait_visible("livechat-waiting")
    customer.wait(lambda _: _messages(customer), what="the queue notice")
    audit.check(customer, "widget, asked for a person (waiting)")
    audit.assert_clean()
    assert customer.console_errors() == []


def test_console_puts_urgent_first_and_marks_a_missed_sla(
    app: Any, pg_url: str, tmp_path: Any, connect: Any, token: Any, browser: Any
) -> None:
    """Two waiting chats, the URGENT one escalated last: it is listed first, each with its
    position, and once the first-response SLA passes both are marked in words (axe state)."""
    server = ServerProcess(
        {
            "LIVECHAT_ENV": "testing",
            "DATABASE_URL": pg_url,
            "SECRET_KEY": app.config["SECRET_KEY"],
            "AI_ENABLED": "true",
            "AI_PROVIDER": "offline",
            "AI_OFFLINE_CHUNK_DELAY": "0",
            "SLA_FIRST_RESPONSE_SECONDS": "3",
        },
        tmp_path / "sla-server.log",
    )
    try:
        audit = Audit()
        _escalated(server, connect, token, "br-cust-1", "I want to speak to a human agent")
        _, urgent = _escalated(server, connect, token, "br-cust-2", "A fraud payment on my card")
        agent = browser(1280, 800)
        _signin_page(agent, server.url)
        next(
            e
            for e in agent.find_all("console-demo-agent")
            if e.get_attribute("data-uid") == "agent-ada"
        ).click()
        # Read in one go: the list is re-rendered on every queue:updated.
        listed = agent.wait(
            lambda _: (
                (
                    rows := agent.driver.execute_script(
                        "return [...document.querySelectorAll('[data-testid=console-queue-item]')]"
                        ".map((e) => [e.dataset.sessionId, e.dataset.priority,"
                        " e.querySelector('[data-testid=console-queue-position]').textContent])"
                    )
                )
                and len(rows) == 2
                and rows
            ),
            what="two waiting",
        )
        assert listed[0][:2] == [urgent, "URGENT"]
        assert [row[2] for row in listed] == ["#1", "#2"]
        agent.wait(lambda _: len(agent.find_all("console-queue-sla")) == 2, what="SLA marks")
        marks = agent.driver.execute_script(
            "return [...document.querySelectorAll('[data-testid=console-queue-sla]')]"
            ".map((e) => e.textContent)"
        )
        assert all("First-response time missed" in m for m in marks)
        audit.check(agent, "console queue, URGENT first, SLA missed")
        audit.assert_clean()
        assert agent.console_errors() == []
    finally:
        server.stop()


def test_console_transfer_by_keyboard_passes_axe(no_ai_web_server: Any, browser: Any) -> None:
    """Ada hands her chat to Bob with a note, by keyboard; Bob sees it with the note; the
    customer is told Bob's name and never the note; Bob sends it back to the queue."""
    base = no_ai_web_server.url
    audit = Audit()
    customer = browser(1280, 900)
    _open_widget(customer, base)
    customer.find("livechat-human").click()
    customer.wait_visible("livechat-waiting")
    bob = browser(1280, 800)
    _sign_in_agent(bob, base, "agent-bob")
    ada = browser(1280, 800)
    _sign_in_agent(ada, base, "agent-ada")
    _assign_first_waiting(ada)
    toggle = ada.wait_visible("console-transfer")
    bob_online = (
        'return !!document.querySelector(\'[data-testid="console-agent"][data-uid="agent-bob"]\')'
    )
    ada.wait(lambda _: ada.driver.execute_script(bob_online), what="Bob online")
    toggle.send_keys(Keys.ENTER)
    target = ada.wait_visible("console-transfer-target")
    ada.wait(lambda _: ada.driver.switch_to.active_element == target, what="focus on the choice")
    assert toggle.get_attribute("aria-expanded") == "true"
    audit.check(ada, "console, transfer form open")
    Select(target).select_by_value("agent-bob")
    ada.find("console-transfer-note-input").send_keys("Wants a refund, card ends 4242")
    ada.find("console-transfer-submit").send_keys(Keys.ENTER)
    ada.wait(lambda _: ada.find("console-transfer-form").get_attribute("hidden"), what="closed")

    note = bob.wait_visible("console-chat-item-note")
    assert "Wants a refund" in note.text
    bob.find("console-chat-item").click()
    bob.wait(lambda _: "Wants a refund" in bob.find("console-transfer-received").text, what="note")
    bob.wait(lambda _: not bob.find("console-input").get_attribute("disabled"), what="can reply")
    audit.check(bob, "console, a chat transferred to me with a note")
    customer.wait(lambda _: any("Bob" in m["text"] for m in _messages(customer)), what="the notice")
    assert not any("refund" in m["text"] for m in _messages(customer))
    audit.check(customer, "widget, chat transferred to another agent")

    bob.find("console-transfer").send_keys(Keys.ENTER)
    bob.wait_visible("console-transfer-target")
    bob.find("console-transfer-submit").send_keys(Keys.ENTER)
    ada.wait(lambda _: ada.find_all("console-queue-item"), what="the chat back in the queue")
    audit.check(ada, "console, a chat sent back to the queue")
    audit.assert_clean()
    for b in (customer, ada, bob):
        assert b.console_errors() == []


def test_the_audit_reports_a_violation_readably(browser: Any) -> None:
    """The check can fail: an unlabelled button and grey-on-grey text are found and explained."""
    b = browser(800, 600)
    b.get(
        "data:text/html,<!doctype html><html lang=en><title>t</title><main>"
        "<button id=mute><svg width=10 height=10></svg></button>"
        "<p id=faint style='color:%23aaa;background:%23fff'>faint</p></main></html>"
    )
    found = axe_violations(b.driver)
    assert {v["id"] for v in found} == {"button-name", "color-contrast"}
    text = describe(found)
    assert "button-name (critical): Buttons must have discernible text" in text
    assert "#mute:" in text and "#faint:" in text
    assert "https://dequeuniversity.com/rules/axe/4.14/color-contrast" in text


def test_console_status_control_passes_axe(web_server: Any, browser: Any) -> None:
    from selenium.webdriver.support.ui import Select

    audit = Audit()
    agent = browser(1280, 800)
    _signin_page(agent, web_server.url)
    next(
        e
        for e in agent.find_all("console-demo-agent")
        if e.get_attribute("data-uid") == "agent-ada"
    ).click()
    control = agent.find("console-agent-status")
    agent.wait(lambda _: control.is_enabled(), what="status control enabled once connected")
    agent.wait(
        lambda _: "Available" in " ".join(e.text for e in agent.find_all("console-agent-state")),
        what="own status listed",
    )
    assert control.accessible_name == "My status"
    audit.check(agent, "console, status available")

    Select(control).select_by_value("away")
    agent.wait(
        lambda _: any(e.text.startswith("Away") for e in agent.find_all("console-agent-state")),
        what="status away shown in agents online",
    )
    assert Select(control).first_selected_option.get_attribute("value") == "away"
    audit.check(agent, "console, status away")

    audit.assert_clean()
    assert agent.console_errors() == []

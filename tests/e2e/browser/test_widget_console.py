"""The two faces people use, in a real browser: the customer widget and the agent console."""

from __future__ import annotations

import os
import shutil
from typing import Any

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.e2e.browser.conftest import Browser
from tests.support.server import ROOT

DOCS_SHOTS = ROOT / "docs" / "screenshots"
XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'


def _messages(b: Browser, testid: str = "livechat-message") -> list[dict[str, str]]:
    rows = []
    for el in b.find_all(testid):
        text_el = el.find_elements(By.CSS_SELECTOR, '[data-testid$="message-text"]')
        rows.append(
            {
                "type": el.get_attribute("data-sender-type") or "",
                "seq": el.get_attribute("data-seq") or "",
                "status": el.get_attribute("data-status") or "",
                "read": el.get_attribute("data-read") or "",
                "id": el.get_attribute("data-message-id") or "",
                "text": (text_el[0].text if text_el else el.text),
            }
        )
    return rows


def _open_widget(b: Browser, base: str) -> None:
    b.get(base + "/")
    b.wait_visible("livechat-launcher").click()
    b.wait_visible("livechat-panel")
    b.wait(
        lambda _: b.find("livechat-status").get_attribute("data-state") == "connected",
        what="widget connected",
    )


def _customer_says(b: Browser, text: str) -> None:
    box = b.wait_visible("livechat-input")
    box.send_keys(text)
    b.find("livechat-send").click()
    b.wait(
        lambda _: any(
            m["type"] == "USER" and m["text"] == text and m["status"] == "sent"
            for m in _messages(b)
        ),
        what=f"customer message {text!r} sent",
    )


def _sign_in_agent(b: Browser, base: str, uid: str = "agent-ada") -> None:
    b.get(base + "/console")
    b.wait(
        lambda _: [
            e for e in b.find_all("console-demo-agent") if e.get_attribute("data-uid") == uid
        ],
        what="demo agents",
    )
    next(e for e in b.find_all("console-demo-agent") if e.get_attribute("data-uid") == uid).click()
    b.wait(
        lambda _: b.find("console-status").get_attribute("data-state") == "connected",
        what="console connected",
    )


def _assign_first_waiting(agent: Browser) -> None:
    """Click "assign" on the first queue entry (the queue re-renders live: retry a stale one)."""

    def click(_: Any) -> bool:
        try:
            item = agent.find_all("console-queue-item")
            if not item:
                return False
            agent.find("console-assign", within=item[0]).click()
            return True
        except StaleElementReferenceException:
            return False

    agent.wait(click, what="a waiting chat assigned")


def _publish_screenshot(path: Any) -> None:
    """Refresh docs/screenshots only when asked (LIVECHAT_UPDATE_SCREENSHOTS=1): a test run must
    not rewrite tracked files (every run renders slightly different pixels and timestamps)."""
    if os.environ.get("LIVECHAT_UPDATE_SCREENSHOTS") != "1":
        return
    DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, DOCS_SHOTS / path.name)


def test_customer_ai_handoff_agent_chat_and_end(web_server: Any, browser: Any) -> None:
    base = web_server.url
    customer = browser(1280, 900)
    _open_widget(customer, base)
    _customer_says(customer, "How do I freeze my card?")
    customer.wait(
        lambda _: (
            customer.find_all("livechat-ai-stream")
            or any(m["type"] == "AI" for m in _messages(customer))
        ),
        what="AI streaming",
    )
    customer.wait(
        lambda _: any(m["type"] == "AI" and "Source" in m["text"] for m in _messages(customer)),
        what="stored AI answer",
    )
    _publish_screenshot(customer.screenshot("widget-open"))

    _customer_says(customer, "I want to talk to a human please")
    banner = customer.wait_visible("livechat-waiting")
    assert "number 1 in the queue" in banner.text
    _publish_screenshot(customer.screenshot("widget-waiting"))

    agent = browser(1280, 800)
    _sign_in_agent(agent, base)
    _assign_first_waiting(agent)
    agent.wait_visible("console-input")
    agent.wait(
        lambda _: any("freeze my card" in m["text"] for m in _messages(agent, "console-message")),
        what="history",
    )
    # The sidebar shows the analysis the handoff was decided on, and says what produced it.
    assert agent.wait_visible("console-analysis-intent").text == "Human request"
    assert agent.find("console-analysis-source").text == "local analysers"

    # The agent types: the customer sees it; then the message arrives with the agent's name.
    agent.find("console-input").send_keys("Hi, I'm Ada")
    customer.wait_visible("livechat-typing")
    agent.find("console-send").click()
    customer.wait(
        lambda _: any(
            m["type"] == "AGENT" and m["text"] == "Hi, I'm Ada" for m in _messages(customer)
        ),
        what="agent message",
    )
    assert "Ada" in customer.wait_visible("livechat-agent").text

    # The customer answers while the agent watches: typing, then the message, read both ways.
    customer.find("livechat-input").send_keys("Thanks Ada, my card is blocked")
    agent.wait_visible("console-typing")
    customer.find("livechat-send").click()
    agent.wait(
        lambda _: any(
            m["text"] == "Thanks Ada, my card is blocked"
            for m in _messages(agent, "console-message")
        ),
        what="reply",
    )
    customer.wait(
        lambda _: all(m["read"] == "true" for m in _messages(customer) if m["type"] == "USER"),
        what="customer's messages read",
    )
    agent.wait(
        lambda _: all(
            m["read"] == "true" for m in _messages(agent, "console-message") if m["type"] == "AGENT"
        ),
        what="agent's message read",
    )
    _publish_screenshot(agent.screenshot("console-chat"))

    # Ending asks for the outcome; "resolved" (the default) resolves the escalation's ticket.
    assert agent.find("console-end").get_attribute("aria-expanded") == "false"
    agent.find("console-end").click()
    agent.wait_visible("console-end-form")
    assert agent.find("console-outcome-resolved").is_selected()
    agent.find("console-end-note").send_keys("Card frozen, replacement ordered")
    agent.find("console-end-confirm").click()
    customer.wait_visible("livechat-ended")
    assert customer.wait_visible("livechat-new-chat")
    banner = agent.wait_visible("console-conversation-banner")
    agent.wait(lambda _: "Outcome: resolved" in banner.text, what="outcome in the banner")
    assert "Card frozen, replacement ordered" in banner.text
    agent.wait(
        lambda _: (
            [t.get_attribute("data-status") for t in agent.find_all("console-ticket")]
            == ["RESOLVED"]
        ),
        what="the escalation ticket resolved",
    )
    assert not agent.find("console-end-form").is_displayed()
    assert customer.console_errors() == []
    assert agent.console_errors() == []


def test_reload_and_server_restart_lose_nothing(web_server: Any, browser: Any, token: Any) -> None:
    base = web_server.url
    customer = browser(1280, 900)
    _open_widget(customer, base)
    _customer_says(customer, "Hello there")
    customer.wait(
        lambda _: sum(m["type"] == "AI" for m in _messages(customer)) >= 1, what="greeting answered"
    )
    before = [(m["id"], m["text"]) for m in _messages(customer)]

    customer.driver.refresh()
    customer.wait(
        lambda _: [(m["id"], m["text"]) for m in _messages(customer)] == before,
        what="history restored after reload",
    )

    # Kill the server mid-chat; the customer types while it is down.
    web_server.kill()
    customer.wait(
        lambda _: customer.find("livechat-status").get_attribute("data-state") != "connected",
        what="widget notices the outage",
    )
    customer.find("livechat-input").send_keys("Sent while you were down")
    customer.find("livechat-send").click()
    customer.wait(
        lambda _: any(
            m["text"] == "Sent while you were down" and m["status"] == "pending"
            for m in _messages(customer)
        ),
        what="pending in the outbox",
    )
    web_server.restart()
    customer.wait(
        lambda _: any(
            m["text"] == "Sent while you were down" and m["status"] == "sent"
            for m in _messages(customer)
        ),
        timeout=40,
        what="outbox flushed",
    )
    customer.wait(
        lambda _: sum(m["type"] == "AI" for m in _messages(customer)) >= 2,
        timeout=20,
        what="the assistant answered the queued message",
    )

    # What the widget shows is exactly what the server stored: no loss, no duplicates, in order
    # (waiting for the last reply's streamed bubble to become the stored message).
    def stored() -> list[tuple[str, int]]:
        _, active = web_server.request(
            "GET", "/api/support/chat/sessions/active", token("demo-customer")
        )
        return [(m["id"], m["seq"]) for m in active["messages"]]

    def shown() -> list[tuple[str, int]]:
        return [(m["id"], int(m["seq"] or 0)) for m in _messages(customer)]

    customer.wait(lambda _: shown() == stored(), what="the widget shows what was stored")
    assert len({i for i, _ in shown()}) == len(shown())


def test_xss_payload_is_shown_as_text_on_both_sides(web_server: Any, browser: Any) -> None:
    base = web_server.url
    customer = browser(1280, 900)
    _open_widget(customer, base)
    _customer_says(customer, "Please connect me to a human agent")
    customer.wait_visible("livechat-waiting")
    _customer_says(customer, XSS)

    agent = browser(1280, 800)
    _sign_in_agent(agent, base, "agent-bob")
    _assign_first_waiting(agent)
    agent.wait(
        lambda _: any(m["text"] == XSS for m in _messages(agent, "console-message")),
        what="payload shown literally in the console",
    )
    for b in (customer, agent):
        assert b.driver.execute_script("return window.__xss === undefined")
        assert not b.driver.find_elements(By.CSS_SELECTOR, 'img[src="x"]')


def test_mobile_widget_and_unread_badge(web_server: Any, browser: Any, token: Any) -> None:
    base = web_server.url
    phone = browser(360, 740)
    _open_widget(phone, base)
    _customer_says(phone, "I need a human agent")
    phone.wait_visible("livechat-waiting")
    panel = phone.find("livechat-panel")
    assert panel.size["width"] <= 360
    _publish_screenshot(phone.screenshot("widget-mobile"))

    phone.find("livechat-input").send_keys(Keys.ESCAPE)  # minimize
    phone.wait(lambda _: not phone.find("livechat-panel").is_displayed(), what="minimized")
    _, active = web_server.request(
        "GET", "/api/support/chat/sessions/active", token("demo-customer")
    )
    agent_token = token("agent-cy", "agent", name="Cy")
    web_server.request("POST", f"/api/support/chat/sessions/{active['id']}/assign", agent_token)
    web_server.request(
        "POST",
        f"/api/support/chat/sessions/{active['id']}/messages",
        agent_token,
        {"content": "Hello from Cy"},
    )
    badge = phone.wait_visible("livechat-badge")
    assert badge.text.strip() == "1"
    _publish_screenshot(phone.screenshot("widget-minimized-badge"))


def test_widget_and_console_fetch_a_message_they_were_never_sent(
    app: Any, web_server: Any, browser: Any, token: Any
) -> None:
    """A hole in seq (a relay lost while Redis was down) is filled on both sides, in order."""
    import sqlalchemy as sa

    from livechat.extensions import db

    customer = browser(1280, 900)
    _open_widget(customer, web_server.url)
    _customer_says(customer, "Please connect me to a human agent")
    customer.wait_visible("livechat-waiting")
    agent = browser(1280, 800)
    _sign_in_agent(agent, web_server.url, "agent-bob")
    _assign_first_waiting(agent)
    customer.wait(
        lambda _: not customer.find("livechat-waiting").is_displayed(), what="assignment shown"
    )
    _, active = web_server.request(
        "GET", "/api/support/chat/sessions/active", token("demo-customer")
    )
    sid = active["id"]
    # Stored but never broadcast: exactly what a lost cross-process relay looks like.
    with app.app_context():
        seq = db.session.execute(
            sa.text(
                "UPDATE chat_sessions SET last_seq = last_seq + 1 WHERE id = :s RETURNING last_seq"
            ),
            {"s": sid},
        ).scalar_one()
        db.session.execute(
            sa.text(
                "INSERT INTO chat_messages (id, session_id, seq, sender_id, sender_type, content,"
                " is_read, metadata, created_at) VALUES (gen_random_uuid()::text, :s, :q,"
                " 'agent-bob', 'AGENT', 'the message you missed', false, '{}', now())"
            ),
            {"s": sid, "q": seq},
        )
        db.session.commit()
    web_server.request(
        "POST",
        f"/api/support/chat/sessions/{sid}/messages",
        token("agent-bob", "agent"),
        {"content": "and the next one"},
    )
    for b, testid in ((customer, "livechat-message"), (agent, "console-message")):
        b.wait(
            lambda _, b=b, testid=testid: (
                [m["text"] for m in _messages(b, testid)][-2:]
                == ["the message you missed", "and the next one"]
            ),
            what=f"the hole filled, in seq order ({testid})",
        )
        shown = [int(m["seq"]) for m in _messages(b, testid)]
        assert shown == sorted(shown) and len(set(shown)) == len(shown)

"""History and search in a real browser: an agent finds a message of an ended chat from the
Conversations view, sees the matched words highlighted (as text, never markup), and opens it."""

from __future__ import annotations

from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.e2e.browser.a11y import Audit
from tests.e2e.browser.test_widget_console import _messages, _sign_in_agent

OLD = "<b>Hi</b> my refunds from Zalando never arrived"
NOTE = "Refund traced to the acquirer, reference QX-5521"


def test_an_agent_finds_and_opens_an_ended_chat(
    web_server: Any, browser: Any, ctx: Any, make_user: Any
) -> None:
    from livechat.services import messages, notes, sessions

    admin = make_user("admin-h", "admin", "Hal")
    customer = make_user("cust-h", "user", "Carla Hist")
    sid = sessions.open_session(customer)[0].id
    messages.post_message(customer, sid, OLD)
    notes.post_note(admin, sid, NOTE)
    sessions.end_session(admin, sid)
    newer = sessions.open_session(customer)[0].id  # the customer's chat today
    messages.post_message(customer, newer, "Hello again")

    audit = Audit()
    agent = browser(1280, 900)
    _sign_in_agent(agent, web_server.url)
    tab = agent.find("console-view-history")
    assert tab.get_attribute("aria-pressed") == "false"
    tab.send_keys(Keys.ENTER)  # a button: the keyboard switches views
    agent.wait(lambda _: tab.get_attribute("aria-pressed") == "true", what="history view")
    agent.wait(lambda _: len(agent.find_all("console-history-item")) == 2, what="both chats")
    assert not agent.find("console-queue").is_displayed()
    audit.check(agent, "console, conversations view")

    box = agent.find("console-search-input")
    box.send_keys("refund")
    box.send_keys(Keys.ENTER)
    agent.wait(lambda _: len(agent.find_all("console-search-hit")) == 2, what="two hits")
    hits = {h.get_attribute("data-kind"): h for h in agent.find_all("console-search-hit")}
    message = hits["message"]
    snippet = agent.find("console-search-snippet", message)
    # The customer's markup is shown as typed; only the matched word is marked.
    assert snippet.text == OLD
    assert [m.text for m in snippet.find_elements("css selector", "mark")] == ["refunds"]
    assert snippet.find_elements("css selector", "b") == []
    assert "Internal note" in hits["note"].text
    audit.check(agent, "console, search results")

    agent.find("console-search-open", message).click()
    conversation = agent.find("console-conversation")
    agent.wait(lambda _: conversation.get_attribute("data-session-id") == sid, what="chat open")
    agent.wait(
        lambda _: any(m["text"] == OLD for m in _messages(agent, "console-message")),
        what="the ended chat's transcript",
    )
    agent.wait(lambda _: conversation.get_attribute("data-status") == "ENDED", what="ended")
    agent.wait(
        lambda _: [e.text for e in agent.find_all("console-note-text")] == [NOTE], what="its note"
    )
    # The customer panel lists their other chat, openable.
    other = agent.wait_visible("console-customer-chat")
    assert other.get_attribute("data-session-id") == newer
    audit.check(agent, "console, an ended chat opened from search")
    agent.find("console-customer-chat-open", other).click()
    agent.wait(lambda _: conversation.get_attribute("data-session-id") == newer, what="other chat")
    audit.assert_clean()
    assert agent.console_errors() == []


def test_an_agent_pages_the_conversations_by_cursor(
    web_server: Any, browser: Any, ctx: Any, make_user: Any
) -> None:
    """Older and Newer follow the cursors the list gives (page numbers stop at the server's
    cap; cursors do not): every chat once, newest first, and Older stops on the last page."""
    from livechat.services import sessions

    made = []
    for i in range(45):
        customer = make_user(f"cust-pg{i:02d}", "user", f"Pager {i:02d}")
        made.append(sessions.open_session(customer)[0].id)
        sessions.end_session(customer, made[-1])
    agent = browser(1280, 900)
    _sign_in_agent(agent, web_server.url)
    agent.find("console-view-history").click()

    def page_ids(what: str) -> list[str]:
        agent.wait(lambda _: len(agent.find_all("console-history-item")) > 0, what=what)
        return [e.get_attribute("data-session-id") for e in agent.find_all("console-history-item")]

    first = page_ids("page 1")
    assert len(first) == 20
    seen = list(first)
    for page in (2, 3):
        agent.find("console-history-next").click()
        agent.wait(
            lambda _, p=page: agent.driver.find_element(By.ID, "history-page").text == f"Page {p}",
            what=f"page {page}",
        )
        seen += page_ids(f"page {page}")
    assert seen == made[::-1]  # newest first, each once
    asked = agent.driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".filter(n => n.includes('/api/support/chat/sessions?'))"
    )
    assert sum("cursor=" in url for url in asked) == 2  # Older: by cursor, not by number
    assert not any("page=2" in url or "page=3" in url for url in asked)
    assert agent.find("console-history-next").get_attribute("disabled") is not None
    agent.find("console-history-prev").click()
    agent.wait(
        lambda _: agent.driver.find_element(By.ID, "history-page").text == "Page 2", what="back"
    )
    assert page_ids("page 2 again") == seen[20:40]
    assert agent.console_errors() == []

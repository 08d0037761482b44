"""Notifications in a real browser: with the permission granted (CDP), a chat joining the queue
shows a desktop notification; switched off in the settings panel, the next one does not, and
the choice is the server's (it survives a reload)."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any

from selenium.webdriver.common.keys import Keys

from tests.e2e.browser.a11y import Audit
from tests.e2e.browser.test_widget_console import _customer_says, _open_widget, _sign_in_agent
from tests.support.server import ServerProcess

# Records every notification the page constructs, and still calls the real constructor (so the
# browser's own checks, the permission included, still apply).
WRAP_NOTIFICATION = """
const Real = window.Notification;
window.__shown = [];
function Recorded(title, options) {
  const n = new Real(title, options);
  window.__shown.push({title: title, body: options && options.body, tag: options && options.tag});
  (window.__instances = window.__instances || []).push(n);
  return n;
}
Object.defineProperty(Recorded, 'permission', {get: () => Real.permission});
Recorded.requestPermission = (cb) => Real.requestPermission(cb);
Recorded.prototype = Real.prototype;
window.Notification = Recorded;
"""


TITLE = "Agent console — livechat"
# The agent is in another window: the page is visible but has no focus (headless Chromium has
# no other window to switch to).
LOOK_AWAY = "document.hasFocus = () => false;"
LOOK_BACK = "document.hasFocus = () => true; window.dispatchEvent(new Event('focus'));"


def _call(base: str, method: str, path: str, token: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=10) as resp:
        raw = resp.read()
        return json.loads(raw) if raw else None


def _token(base: str, uid: str, role: str = "user") -> str:
    query = urllib.parse.urlencode({"uid": uid, "role": role, "name": uid.title()})
    with urllib.request.urlopen(f"{base}/dev/token?{query}", timeout=10) as resp:
        return json.loads(resp.read())["token"]


def _new_waiting_chat(base: str, uid: str) -> str:
    """A customer opens a chat and asks for a person: it joins the queue."""
    token = _token(base, uid)
    session = _call(base, "POST", "/api/support/chat/sessions/user", token, {"subject": "Card"})
    _call(base, "POST", f"/api/support/chat/sessions/{session['id']}/request-human", token)
    return session["id"]


def _shown(b: Any) -> list[dict[str, Any]]:
    return b.driver.execute_script("return window.__shown || []")


def _settings_loaded(b: Any) -> None:
    b.wait(
        lambda _: b.find("console-notify-log").get_attribute("data-settings") == "loaded",
        what="notification settings loaded",
    )


def _log(b: Any) -> tuple[int, str]:
    log = b.find("console-notify-log")
    return int(log.get_attribute("data-count")), log.get_attribute("data-last") or ""


def test_a_queued_chat_shows_a_desktop_notification_until_switched_off(
    web_server: Any, browser: Any
) -> None:
    base = web_server.url
    audit = Audit()
    agent = browser(1280, 900)
    _sign_in_agent(agent, base)

    # The settings, from the keyboard: the top bar's button opens the panel, focus lands in it.
    toggle = agent.find("console-notify-toggle")
    toggle.send_keys(Keys.ENTER)
    agent.wait_visible("console-notify-panel")
    assert toggle.get_attribute("aria-expanded") == "true"
    agent.wait(lambda _: len(agent.find_all("console-notify-event")) == 4, what="the 4 events")
    muted = agent.find("console-notify-muted")
    assert agent.driver.switch_to.active_element == muted and not muted.is_selected()
    desktop = agent.find("console-notify-queuedChat-desktop")
    assert desktop.is_selected()  # everything is on until the agent says otherwise
    # Nothing asked on load: the page only asks from the button's click.
    assert agent.driver.execute_script("return Notification.permission") != "granted"

    # The browser grants the permission (as the user would in its prompt), then the click.
    agent.driver.execute_cdp_cmd(
        "Browser.grantPermissions", {"origin": base, "permissions": ["notifications"]}
    )
    ask = agent.find("console-notify-permission")
    if ask.is_displayed():
        ask.click()
    else:  # headless Chromium denies by default: the panel said so; reopen it to re-read
        agent.find("console-notify-close").click()
        toggle.click()
    agent.wait(
        lambda _: "allowed" in agent.find("console-notify-permission-text").text,
        what="permission shown as granted",
    )
    audit.check(agent, "console, notification settings open")
    agent.driver.execute_script(WRAP_NOTIFICATION)
    agent.driver.execute_script(LOOK_BACK)  # the agent is looking at the console

    first = _new_waiting_chat(base, "cust-nina")
    agent.wait(lambda _: len(_shown(agent)) == 1, what="a desktop notification")
    # Seen as it came: no count in the title (which no longer shows the queue's length).
    assert agent.driver.title == TITLE
    shown = _shown(agent)[0]
    assert shown["title"] == "New chat waiting" and shown["tag"] == f"livechat-queued:{first}"
    assert "Cust-Nina" in shown["body"]
    assert _log(agent) == (1, f"queued:{first}")

    # Switched off for queued chats (a click, saved to the server at once).
    agent.find("console-notify-queuedChat-desktop").click()
    agent.wait(lambda _: agent.find("console-notify-status").text == "Saved.", what="saved")
    token = agent.driver.execute_script("return sessionStorage.getItem('livechat.console.token')")
    stored = _call(base, "GET", "/api/support/me/notification-settings", token)
    assert stored["events"]["queuedChat"] == {"sound": True, "desktop": False, "title": True}

    second = _new_waiting_chat(base, "cust-omar")
    # The console handled it (its log names it), and constructed no notification for it.
    agent.wait(lambda _: _log(agent) == (2, f"queued:{second}"), what="the second chat seen")
    assert len(_shown(agent)) == 1

    # A reload is a new page: the settings come back from the server, not from the page.
    agent.driver.refresh()
    agent.wait(
        lambda _: agent.find("console-status").get_attribute("data-state") == "connected",
        what="console reconnected",
    )
    agent.find("console-notify-toggle").click()
    agent.wait(lambda _: len(agent.find_all("console-notify-event")) == 4, what="settings again")
    assert not agent.find("console-notify-queuedChat-desktop").is_selected()
    assert agent.find("console-notify-queuedChat-sound").is_selected()
    # The queue the page finds on load is not news: nothing announced for it.
    assert _log(agent) == (0, "")
    # Escape closes the panel and gives the focus back to its button.
    agent.find("console-notify-muted").send_keys(Keys.ESCAPE)
    agent.wait(lambda _: not agent.find("console-notify-panel").is_displayed(), what="closed")
    assert agent.driver.switch_to.active_element == agent.find("console-notify-toggle")
    audit.check(agent, "console, notification settings closed")
    audit.assert_clean()
    assert agent.console_errors() == []


def test_an_assignment_and_a_message_while_away_count_in_the_title(
    web_server: Any, browser: Any
) -> None:
    base = web_server.url
    customer = browser(1280, 900)
    _open_widget(customer, base)
    _customer_says(customer, "I want to talk to a human please")
    customer.wait_visible("livechat-waiting")

    agent = browser(1280, 900)
    _sign_in_agent(agent, base)
    agent.driver.execute_cdp_cmd(
        "Browser.grantPermissions", {"origin": base, "permissions": ["notifications"]}
    )
    agent.driver.execute_script(WRAP_NOTIFICATION)
    _settings_loaded(agent)
    agent.wait(lambda _: agent.find_all("console-queue-item"), what="the waiting chat")
    session_id = agent.find("console-queue-item").get_attribute("data-session-id")
    agent.driver.execute_script(LOOK_AWAY)

    # An admin gives the chat to Ada (she did not take it): she is told.
    admin = _token(base, "admin-eve", "admin")
    _call(
        base,
        "POST",
        f"/api/support/chat/sessions/{session_id}/assign",
        admin,
        {"agentId": "agent-ada"},
    )
    agent.wait(lambda _: len(_shown(agent)) == 1, what="the assignment notification")
    assigned = _shown(agent)[0]
    assert assigned["title"] == "Chat assigned to you" and assigned["body"].startswith(
        "admin-eve gave you a chat"
    )
    assert assigned["tag"].startswith(f"livechat-assigned:{session_id}:")
    agent.wait(lambda _: agent.driver.title == f"(1) {TITLE}", what="(1) in the title")
    # Hers now: listed, and its room joined, so its messages reach her.
    agent.wait(lambda _: agent.find_all("console-chat-item"), what="the chat in My chats")

    _customer_says(customer, "Hello, anyone there?")
    agent.wait(lambda _: len(_shown(agent)) == 2, what="the message notification")
    message = _shown(agent)[1]
    assert (
        message["title"].startswith("New message from")
        and message["body"] == "Hello, anyone there?"
    )
    agent.wait(lambda _: agent.driver.title == f"(2) {TITLE}", what="(2) in the title")

    # Back to the tab: the count clears. Clicking the notification opens its chat.
    agent.driver.execute_script(LOOK_BACK)
    agent.wait(lambda _: agent.driver.title == TITLE, what="the count cleared")
    agent.driver.execute_script("window.__instances[1].onclick()")
    agent.wait(
        lambda _: agent.find("console-conversation").get_attribute("data-session-id") == session_id,
        what="the chat opened from the notification",
    )
    # Looking at that chat, a message in it is not announced: it is on screen. (The console
    # shows it and checks it in the same event dispatch, so once shown it was checked.)
    _customer_says(customer, "Thanks!")
    agent.wait(
        lambda _: any(e.text == "Thanks!" for e in agent.find_all("console-message-text")),
        what="the message on screen",
    )
    assert len(_shown(agent)) == 2 and _log(agent)[0] == 2
    assert agent.driver.title == TITLE
    assert customer.console_errors() == []
    assert agent.console_errors() == []


def test_without_the_notification_api_the_title_count_still_works(
    web_server: Any, browser: Any
) -> None:
    base = web_server.url
    agent = browser(1280, 900)
    agent.driver.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument", {"source": "delete window.Notification;"}
    )
    _sign_in_agent(agent, base)
    assert agent.driver.execute_script("return typeof window.Notification") == "undefined"
    agent.find("console-notify-toggle").click()
    agent.wait(lambda _: len(agent.find_all("console-notify-event")) == 4, what="settings")
    assert "cannot show desktop notifications" in agent.find("console-notify-permission-text").text
    assert not agent.find("console-notify-permission").is_displayed()
    _settings_loaded(agent)
    agent.driver.execute_script(LOOK_AWAY)

    queued = _new_waiting_chat(base, "cust-pia")
    agent.wait(lambda _: _log(agent) == (1, f"queued:{queued}"), what="the queued chat seen")
    agent.wait(lambda _: agent.driver.title == f"(1) {TITLE}", what="(1) in the title")
    assert agent.console_errors() == []


def _signed_in_with_notifications(browser: Any, base: str, uid: str) -> Any:
    """An agent's console, the permission granted, constructions recorded, settings loaded."""
    b = browser(1280, 900)
    _sign_in_agent(b, base, uid)
    b.driver.execute_cdp_cmd(
        "Browser.grantPermissions", {"origin": base, "permissions": ["notifications"]}
    )
    b.driver.execute_script(WRAP_NOTIFICATION)
    _settings_loaded(b)
    return b


def test_my_own_assignment_is_quiet_and_a_transfer_to_me_is_not(
    web_server: Any, browser: Any
) -> None:
    base = web_server.url
    ada = _signed_in_with_notifications(browser, base, "agent-ada")
    bob = _signed_in_with_notifications(browser, base, "agent-bob")
    queued = _new_waiting_chat(base, "cust-quinn")
    for b in (ada, bob):
        b.wait(lambda _, b=b: _log(b) == (1, f"queued:{queued}"), what="the queued chat")

    # Ada takes it herself: no notification for her own doing (the chat becomes hers first).
    ada_token = ada.driver.execute_script("return sessionStorage.getItem('livechat.console.token')")
    _call(base, "POST", f"/api/support/chat/sessions/{queued}/assign", ada_token, {})
    ada.wait(lambda _: ada.find_all("console-chat-item"), what="the chat in Ada's list")
    assert _log(ada)[0] == 1 and [n["title"] for n in _shown(ada)] == ["New chat waiting"]

    # She hands it to Bob with a note: Bob is told, with the note; Ada is not.
    bob.driver.execute_script(LOOK_AWAY)
    _call(
        base,
        "POST",
        f"/api/support/chat/sessions/{queued}/transfer",
        ada_token,
        {"agentId": "agent-bob", "note": "Wants a refund"},
    )
    bob.wait(lambda _: len(_shown(bob)) == 2, what="the transfer notification")
    moved = _shown(bob)[1]
    assert moved["title"] == "Chat transferred to you" and "Wants a refund" in moved["body"]
    assert moved["tag"].startswith(f"livechat-transfer:{queued}:")
    bob.wait(lambda _: bob.driver.title == f"(1) {TITLE}", what="(1) in Bob's title")
    ada.wait(lambda _: not ada.find_all("console-chat-item"), what="gone from Ada's list")
    assert _log(ada)[0] == 1
    assert ada.console_errors() == [] and bob.console_errors() == []


def test_a_missed_sla_is_announced_once(app: Any, pg_url: str, tmp_path: Any, browser: Any) -> None:
    server = ServerProcess(
        {
            "LIVECHAT_ENV": "testing",
            "DATABASE_URL": pg_url,
            "SECRET_KEY": app.config["SECRET_KEY"],
            "AI_ENABLED": "true",
            "AI_PROVIDER": "offline",
            "AI_OFFLINE_CHUNK_DELAY": "0",
            "SLA_FIRST_RESPONSE_SECONDS": "1",
        },
        tmp_path / "sla-server.log",
    )
    try:
        base = server.url
        agent = _signed_in_with_notifications(browser, base, "agent-ada")
        queued = _new_waiting_chat(base, "cust-rosa")
        agent.wait(lambda _: len(_shown(agent)) == 2, what="queued, then the missed SLA")
        queued_note, sla = _shown(agent)
        assert queued_note["tag"] == f"livechat-queued:{queued}"
        assert sla["title"] == "Waiting too long" and sla["tag"] == f"livechat-sla:{queued}"
        assert sla["body"].startswith("Cust-Rosa has waited")
        # A reload reconnects: the breach is in the queue it gets, and is not announced again.
        agent.driver.refresh()
        agent.wait(
            lambda _: agent.find("console-status").get_attribute("data-state") == "connected",
            what="console reconnected",
        )
        _settings_loaded(agent)
        agent.wait(lambda _: agent.find_all("console-queue-item"), what="the queue again")
        assert _log(agent) == (0, "")
        assert agent.console_errors() == []
    finally:
        server.stop()


def _sounds(b: Any) -> int:
    return int(b.find("console-notify-log").get_attribute("data-sounds"))


def test_two_tabs_of_one_agent_sound_each_event_once(web_server: Any, browser: Any) -> None:
    """Both tabs announce a new chat (title, desktop), but only one of them plays the sound."""
    base = web_server.url
    agent = browser(1280, 900)
    _sign_in_agent(agent, base, uid="agent-bob")
    _settings_loaded(agent)
    first_tab = agent.driver.current_window_handle
    agent.driver.switch_to.new_window("tab")
    _sign_in_agent(agent, base, uid="agent-bob")
    _settings_loaded(agent)
    tabs = [first_tab, agent.driver.current_window_handle]

    def in_each_tab(read: Any) -> list[Any]:
        out = []
        for handle in tabs:
            agent.driver.switch_to.window(handle)
            out.append(read(agent))
        return out

    for n, customer in enumerate(("cust-tabs-1", "cust-tabs-2"), start=1):
        chat = _new_waiting_chat(base, customer)
        agent.wait(
            lambda _, n=n, chat=chat: in_each_tab(_log) == [(n, f"queued:{chat}")] * 2,
            what=f"chat {n} announced in both tabs",
        )
        assert sum(in_each_tab(_sounds)) == n, "one sound per event across the two tabs"
    assert agent.console_errors() == []

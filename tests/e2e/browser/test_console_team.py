"""The console's Team panel in a real browser (dev mode): an admin sees the team with live
status, adds someone (and gets the invitation to send), is told why a bad address is refused,
and removes an agent, whose own console is signed out at once with the reason. Keyboard and
axe (WCAG 2.1 AA) on each state."""

from __future__ import annotations

from typing import Any

from selenium.webdriver.common.keys import Keys

from tests.e2e.browser.a11y import Audit
from tests.e2e.browser.test_widget_console import _sign_in_agent


def _members(b: Any) -> dict[str, str]:
    return {
        m.get_attribute("data-uid"): m.get_attribute("data-role")
        for m in b.find_all("console-team-member")
    }


def _row(b: Any, uid: str) -> Any:
    return next(m for m in b.find_all("console-team-member") if m.get_attribute("data-uid") == uid)


def test_admin_manages_the_team(web_server: Any, browser: Any) -> None:
    base = web_server.url
    audit = Audit()
    ada = browser(1280, 800)
    _sign_in_agent(ada, base, "agent-ada")  # on the team from her first sign-in
    assert not ada.find("console-team-toggle").is_displayed()  # agents have no Team panel

    eve = browser(1280, 900)
    _sign_in_agent(eve, base, "admin-eve")
    toggle = eve.wait_visible("console-team-toggle")
    toggle.send_keys(Keys.ENTER)
    eve.wait_visible("console-team-panel")
    assert toggle.get_attribute("aria-expanded") == "true"
    eve.wait(lambda _: _members(eve) == {"admin-eve": "admin", "agent-ada": "agent"}, what="team")
    assert "Available" in _row(eve, "agent-ada").text
    assert "(you)" in _row(eve, "admin-eve").text
    assert eve.find_all("console-team-remove", within=_row(eve, "admin-eve")) == []
    # Focus starts in the add form's first field.
    assert eve.driver.switch_to.active_element == eve.find("console-team-email")
    audit.check(eve, "console, team panel")

    # A bad address: refused, said next to the form, the field marked invalid.
    email = eve.find("console-team-email")
    email.send_keys("not-an-address")
    eve.find("console-team-add").click()
    error = eve.wait_visible("console-team-form-error")
    assert "bad_email" in error.text
    assert email.get_attribute("aria-invalid") == "true"
    audit.check(eve, "console, team add refused")
    refused = eve.console_errors()
    assert len(refused) == 1 and "/api/support/agents" in refused[0] and "422" in refused[0]

    # Added: the invitation (a dev token here) is shown, selected, to send.
    email.clear()
    email.send_keys("carl@example.test")
    eve.find("console-team-name").send_keys("Carl")
    eve.find("console-team-add").click()
    invite = eve.wait_visible("console-team-invite-text")
    assert invite.get_attribute("value").count(".") == 2  # a JWT
    assert eve.driver.switch_to.active_element == invite
    eve.wait(lambda _: len(_members(eve)) == 3, what="Carl in the list")
    assert "Added carl@example.test as agent." in eve.find("console-team-status").get_attribute(
        "textContent"
    )
    audit.check(eve, "console, team member added with invitation")

    # Remove Ada: two presses; her console goes back to sign-in and says why.
    remove = eve.find("console-team-remove", within=_row(eve, "agent-ada"))
    remove.click()
    eve.wait(lambda _: remove.text == "Confirm removal", what="confirm step")
    remove.click()
    eve.wait(lambda _: "agent-ada" not in _members(eve), what="Ada removed")
    ada.wait_visible("console-signin", timeout=20)
    message = ada.wait_visible("console-signin-error").text
    assert "staff_access_revoked" in message
    audit.check(eve, "console, team member removed")

    # Escape closes the panel and gives focus back to its button.
    eve.find("console-team-email").send_keys(Keys.ESCAPE)
    eve.wait(lambda _: not eve.find("console-team-panel").is_displayed(), what="panel closed")
    assert eve.driver.switch_to.active_element == eve.find("console-team-toggle")
    audit.assert_clean()
    assert eve.console_errors() == []

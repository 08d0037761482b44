"""WCAG 2.1 AA (axe-core) on the widget and the console, in each state a person meets them."""

from __future__ import annotations

from typing import Any

from tests.e2e.browser.a11y import axe_violations, describe


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

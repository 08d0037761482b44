"""WCAG 2.1 AA checks in the browser: the vendored axe-core, injected into the page under test.

axe is a test asset (tests/e2e/browser/vendor/), never served by the app: it is put into the page
through WebDriver, so the pages' CSP and the no-CDN rule are untouched.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

AXE_JS = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SHOWN_NODES = 5  # per rule in a failure message: enough to find them, short enough to read

_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})
  .then((r) => done({violations: r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({target: n.target, summary: n.failureSummary}))
  }))}))
  .catch((e) => done({error: String(e && e.stack || e)}));
"""


@functools.cache
def axe_source() -> str:
    """axe.min.js, read once per test run."""
    return AXE_JS.read_text(encoding="utf-8")


def axe_violations(driver: Any) -> list[dict[str, Any]]:
    """Run axe on the whole document (WCAG 2.0/2.1 A and AA rules); its violations."""
    if not driver.execute_script("return typeof window.axe === 'object'"):
        driver.execute_script(axe_source())
    driver.set_script_timeout(60)
    result = driver.execute_async_script(_RUN, WCAG_21_AA)
    assert "error" not in result, f"axe could not run: {result['error']}"
    return result["violations"]


def describe(violations: list[dict[str, Any]]) -> str:
    """One block per rule: id, impact, what to do, where (target selectors) and why."""
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"][:SHOWN_NODES]:
            target = " >> ".join(" ".join(t) if isinstance(t, list) else t for t in node["target"])
            why = " ".join((node["summary"] or "").split())
            lines.append(f"    {target}: {why}")
        if len(v["nodes"]) > SHOWN_NODES:
            lines.append(f"    ... and {len(v['nodes']) - SHOWN_NODES} more")
    return "\n".join(lines)


class Audit:
    """axe runs on each state of a journey; one failure at the end lists every state's findings."""

    def __init__(self) -> None:
        self.found: dict[str, list[dict[str, Any]]] = {}
        self.checked: list[str] = []

    def check(self, browser: Any, state: str) -> None:
        """Run axe on what ``browser`` shows now, filed under ``state``."""
        self.checked.append(state)
        violations = axe_violations(browser.driver)
        if violations:
            self.found[state] = violations

    def assert_clean(self) -> None:
        """Fail with every violation found, by state."""
        report = "\n".join(f"[{state}]\n{describe(v)}" for state, v in self.found.items())
        assert not self.found, (
            f"WCAG 2.1 AA violations (axe-core) in {len(self.found)} of "
            f"{len(self.checked)} states:\n{report}"
        )

"""Typing kept true on every run: mypy is clean, and the app's objects are reached through
livechat.runtime's typed slots."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "livechat"

# app.extensions["livechat.x"] or .get("livechat.x"): an Any looked up by string.
STRING_KEY = re.compile(r"""extensions(?:\[|\.get\(|\.setdefault\()\s*["'](livechat\.[\w.]+)""")


def test_app_objects_are_reached_through_runtime() -> None:
    found = {
        (path.relative_to(PACKAGE).as_posix(), key)
        for path in PACKAGE.rglob("*.py")
        if path.name != "runtime.py"
        for key in STRING_KEY.findall(path.read_text())
    }
    assert found == set(), "use livechat.runtime's typed slots"


def test_mypy_is_clean() -> None:
    """`mypy livechat` with pyproject's settings, as `make lint` runs it: part of the suite."""
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "livechat"],
        cwd=PACKAGE.parent,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr

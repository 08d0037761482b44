"""The layering STYLE.md asks for, checked on every run (a cheap import-linter)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "livechat"

# Inner layers never reach outward to transport.
FORBIDDEN = {
    "services": ("livechat.api", "livechat.realtime", "livechat.listeners", "flask_socketio"),
    "models": ("livechat.api", "livechat.realtime", "livechat.services", "livechat.schemas"),
    "schemas": ("livechat.api", "livechat.realtime", "livechat.services"),
    "events": ("livechat.api", "livechat.realtime", "livechat.services"),
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_inner_layers_do_not_import_transport(layer: str) -> None:
    offenders = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in (PACKAGE / layer).rglob("*.py")
        for name in _imports(path)
        if name.startswith(FORBIDDEN[layer]) or name == "flask.request"
    ]
    assert offenders == []


def test_only_push_emits() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "emit"
                and path.name != "push.py"
            ):
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert offenders == []


def test_ruff_is_clean() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--quiet", str(PACKAGE.parent)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr

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
    # Services sit below the assistant: what both need (redaction) sits below both.
    "services": (
        "livechat.api",
        "livechat.realtime",
        "livechat.listeners",
        "livechat.ai",
        "flask_socketio",
    ),
    "models": ("livechat.api", "livechat.realtime", "livechat.services", "livechat.schemas"),
    "schemas": ("livechat.api", "livechat.realtime", "livechat.services"),
    "events": ("livechat.api", "livechat.realtime", "livechat.services"),
    # The assistant reaches the database through services only, and the sockets through the
    # one emitter only; listeners call the assistant, never the other way round.
    "ai": (
        "livechat.api",
        "livechat.realtime",
        "livechat.listeners",
        "livechat.extensions",
        "flask_socketio",
    ),
    # Listeners run after commit: no SQL (no db, no models, no querying service), no transport
    # beyond the one emitter, and the assistant only through its dispatch extension.
    "listeners": (
        "livechat.api",
        "livechat.realtime",
        "livechat.ai",
        "livechat.extensions",
        "livechat.models",
        "livechat.services",
        "sqlalchemy",
        "flask_socketio",
    ),
}

# The exceptions to FORBIDDEN, each a module (or a name in it) and nothing below it.
ALLOWED = {
    "ai": ("livechat.realtime.push",),
    "listeners": ("livechat.realtime.push", "livechat.services.rules"),
}


def _imports(path: Path) -> set[str]:
    """What a module imports: ``import a.b`` gives a.b; ``from a import b`` gives a.b."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def _allowed(layer: str, name: str) -> bool:
    return any(name == a or name.startswith(a + ".") for a in ALLOWED.get(layer, ()))


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_inner_layers_do_not_import_transport(layer: str) -> None:
    offenders = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in (PACKAGE / layer).rglob("*.py")
        for name in _imports(path)
        if (name.startswith(FORBIDDEN[layer]) and not _allowed(layer, name))
        or name == "flask.request"
    ]
    assert offenders == []


def test_the_layering_rules_can_fail() -> None:
    """The checker sees a forbidden import, and the exceptions do not open a whole package."""
    assert _allowed("ai", "livechat.realtime.push")
    assert not _allowed("ai", "livechat.realtime.rooms")
    assert not _allowed("listeners", "livechat.services.messages")
    assert "livechat.realtime.push" in _imports(PACKAGE / "ai" / "orchestrator.py")


def _calls(path: Path) -> list[tuple[ast.Call, str]]:
    """Every call in a module, with the attribute or name it calls."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            found.append((node, name))
    return found


def _super_call(node: ast.Call) -> bool:
    """``super().emit(...)``: a client manager handing on to python-socketio's own (the
    handshake's hold), not an emit of the application's."""
    func = node.func
    return (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Call)
        and getattr(func.value.func, "id", "") == "super"
    )


def test_only_push_emits() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE)}:{node.lineno}"
        for path in PACKAGE.rglob("*.py")
        if path.name != "push.py"
        for node, name in _calls(path)
        if name == "emit" and not _super_call(node)
    ]
    assert offenders == []


# Writing a packet below python-socketio's emit happens in one named place, write_event: for the
# ``error`` a protocol-breaking client gets before it is closed (an emit would be queued behind
# the close) and for the events held for a connecting socket until right after its CONNECT (an
# emit to the socket's own sid would take a Redis round trip). Its docstring says why.
RAW_PACKET_EXCEPTIONS = {"realtime/handshake.py:write_event"}
RAW_PACKET_CALLS = {"_send_packet", "send_packet", "_send_eio_packet", "packet_class", "Packet"}


def test_raw_packets_are_sent_in_one_named_place_only() -> None:
    sites = set()
    for path in PACKAGE.rglob("*.py"):
        for top in ast.parse(path.read_text()).body:  # each module-level def, class, statement
            for node in ast.walk(top):
                func = node.func if isinstance(node, ast.Call) else None
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
                if name in RAW_PACKET_CALLS:
                    where = getattr(top, "name", f"line {top.lineno}")
                    sites.add(f"{path.relative_to(PACKAGE)}:{where}")
    assert sites == RAW_PACKET_EXCEPTIONS


def test_the_assistants_event_names_live_with_the_emitter() -> None:
    """ai:* names and payloads are built in realtime/push.py only (docs/protocol.md)."""
    offenders = [
        f"{path.relative_to(PACKAGE)}:{node.lineno} {node.value!r}"
        for path in PACKAGE.rglob("*.py")
        if path.name != "push.py"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.startswith("ai:")
    ]
    assert offenders == []


def test_ruff_is_clean() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--quiet", str(PACKAGE.parent)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr

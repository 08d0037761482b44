"""The zero-setup path: SQLite, dev auth, `python wsgi.py`. A smoke subset, not the full suite."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.sqlite


@pytest.fixture()
def sqlite_app(tmp_path: Path) -> Iterator[Any]:
    from flask_migrate import upgrade

    from livechat import create_app

    os.environ["DATABASE_URL"] = f"sqlite:///{tmp_path / 'smoke.db'}"
    try:
        app = create_app("development")
    finally:
        os.environ.pop("DATABASE_URL")
    with app.app_context():
        upgrade()
    yield app
    from livechat import shutdown_app

    shutdown_app(app)


def test_chat_flow_on_sqlite(sqlite_app: Any) -> None:
    client = sqlite_app.test_client()
    issue = sqlite_app.extensions["livechat.verifier"].issue
    cust = {"Authorization": f"Bearer {issue('cust-1')}"}
    agent = {"Authorization": f"Bearer {issue('agent-1', role='agent')}"}

    created = client.post("/api/support/chat/sessions/user", json={"subject": "Hi"}, headers=cust)
    assert created.status_code == 201
    sid = created.get_json()["id"]
    assert client.post("/api/support/chat/sessions/user", headers=cust).status_code == 200

    assert client.post(f"/api/support/chat/sessions/{sid}/assign", headers=agent).status_code == 200
    msg = client.post(
        f"/api/support/chat/sessions/{sid}/messages",
        json={"content": "Hello", "clientMessageId": "k1"},
        headers=agent,
    )
    assert msg.status_code == 201
    again = client.post(
        f"/api/support/chat/sessions/{sid}/messages",
        json={"content": "Hello", "clientMessageId": "k1"},
        headers=agent,
    )
    assert again.status_code == 200
    history = client.get(f"/api/support/chat/sessions/{sid}/messages", headers=cust).get_json()
    assert [m["seq"] for m in history["items"]] == [1]
    assert history["items"][0]["createdAt"].endswith("+00:00")
    assert client.post(f"/api/support/chat/sessions/{sid}/end", headers=agent).status_code == 200
    assert client.post("/api/support/chat/sessions/user", headers=cust).status_code == 201


def test_one_open_session_index_on_sqlite(sqlite_app: Any) -> None:
    import sqlalchemy as sa

    from livechat.extensions import db
    from livechat.models import ChatSession, SessionStatus, User

    with sqlite_app.app_context():
        db.session.add(User(id="u1", profile={}))
        db.session.add(ChatSession(user_id="u1", status=SessionStatus.ACTIVE, meta={}))
        db.session.commit()
        db.session.add(ChatSession(user_id="u1", status=SessionStatus.WAITING, meta={}))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()
        db.session.rollback()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, headers: dict[str, str] | None = None, data: bytes | None = None) -> Any:
    req = urllib.request.Request(url, headers=headers or {}, data=data)
    with urllib.request.urlopen(req, timeout=5) as resp:
        return resp.status, json.loads(resp.read())


def test_python_wsgi_serves_on_embedded_defaults(tmp_path: Path) -> None:
    """The README's run command: no configuration, SQLite, dev auth, migrations applied."""
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "AUTH_MODE", "SECRET_KEY", "REDIS_URL", "LIVECHAT_ENV"}
    }
    env.update(PORT=str(port), HOST="127.0.0.1", DATABASE_URL=f"sqlite:///{tmp_path / 'run.db'}")
    proc = subprocess.Popen(
        [sys.executable, "wsgi.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                status, body = _get(f"{base}/readyz")
                break
            except (urllib.error.URLError, ConnectionError) as exc:
                if proc.poll() is not None or time.monotonic() > deadline:
                    output = proc.stdout.read() if proc.stdout else "no output"
                    raise AssertionError(output) from exc
                time.sleep(0.2)
        assert status == 200 and body["status"] == "ok"
        token = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "livechat", "token", "demo"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.strip()
        status, body = _get(
            f"{base}/api/support/chat/sessions/user",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            data=b"{}",
        )
        assert status == 201 and body["status"] == "ACTIVE"
        # SIGTERM (kill, systemd, docker stop) stops the service: it exits normally.
        proc.terminate()
        assert proc.wait(timeout=30) == 0
        assert proc.stdout and "livechat stopped" in proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()


@pytest.fixture()
def sqlite_app_quiet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The SQLite app with the assistant's turns off (the test calls its services itself)."""
    from flask_migrate import upgrade

    from livechat import create_app, shutdown_app

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'quiet.db'}")
    monkeypatch.setenv("AI_ENABLED", "false")
    app = create_app("development")
    with app.app_context():
        upgrade()
    yield app
    shutdown_app(app)


def test_the_assistants_reads_and_writes_work_on_sqlite(sqlite_app_quiet: Any) -> None:
    """The default `make run` answers with the offline assistant on SQLite: the assistant's
    reads and writes take their portable form there (no PostgreSQL-only statements)."""
    from livechat.models import Role
    from livechat.services import access, assistant, messages, sessions, users

    app = sqlite_app_quiet
    with app.app_context():
        customer = users.Identity(uid="cust-ai", role=Role.USER)
        sid = sessions.open_session(users.sync_user(customer))[0].id
        for text in ("How long does a SEPA transfer take?", "And to the UK?"):
            messages.post_message(customer, sid, text)
        ctx = assistant.load_turn(sid)
        assert ctx is not None and ctx.user_id == "cust-ai"
        assert [p[1] for p in ctx.pending] == [
            "How long does a SEPA transfer take?",
            "And to the UK?",
        ]
        assert ctx.unresolved_tickets == 0
        mid = ctx.pending[-1][0]
        reply = assistant.post_reply(
            sid, "About a day.", {"answeredSeq": ctx.pending[-1][2]}, analysis=(mid, {"x": 1})
        )
        assert reply.content == "About a day."
        assert assistant.load_turn(sid).pending == []  # answered
        page = messages.page_messages(access.find_session(sid))[0]
        assert next(m for m in page if m.id == mid).meta["analysis"] == {"x": 1}
        agent = users.Identity(uid="agent-ai", role=Role.AGENT)
        users.sync_user(agent)
        sessions.assign_agent(agent, sid)
        messages.post_message(customer, sid, "Thanks!")
        assert assistant.load_turn(sid) is None  # a person answers now

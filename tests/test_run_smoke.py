"""The zero-setup path: no DATABASE_URL, so development runs on an embedded PostgreSQL started
from a fresh instance folder; dev auth; `python wsgi.py`. A smoke subset, not the full suite."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from livechat import runtime
from tests.support import embedded, services

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.embedded

# Everything the run reads from the environment that the developer's shell might hold.
UNSET = {
    "DATABASE_URL",
    "EMBEDDED_POSTGRES_DIR",
    "AUTH_MODE",
    "SECRET_KEY",
    "REDIS_URL",
    "LIVECHAT_ENV",
    "XDG_RUNTIME_DIR",
}


@pytest.fixture(scope="module")
def pgdata() -> Iterator[Path]:
    """A fresh instance folder: the first app below starts the server, the others join it."""
    from livechat import embedded_db

    with embedded.scratch_dir("livechat-instance-") as instance:
        path = instance / "postgres"
        yield path
        embedded_db.stop(path)
        assert not embedded.running(path)


@pytest.fixture()
def run_app(pgdata: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Any]]:
    """run_app(**env) -> the development app with no DATABASE_URL, migrated, as `make run`."""
    from flask_migrate import upgrade

    from livechat import create_app, shutdown_app
    from livechat.extensions import db

    apps = []

    def build(**env: str) -> Any:
        for name in UNSET:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("EMBEDDED_POSTGRES_DIR", str(pgdata))
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        app = create_app("development")
        apps.append(app)
        with app.app_context():
            upgrade()
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.session.remove()
            services.truncate_all(db)
        shutdown_app(app)


def test_development_without_database_url_runs_on_the_embedded_server(
    run_app: Callable[..., Any], pgdata: Path
) -> None:
    app = run_app()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    assert url.startswith("postgresql+psycopg://postgres@/livechat?host=")
    assert (pgdata / "PG_VERSION").read_text().strip() == "18"
    assert embedded.running(pgdata)


def test_chat_flow(run_app: Callable[..., Any]) -> None:
    app = run_app()
    client = app.test_client()
    issue = runtime.verifier(app).issue
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


def test_one_open_session_index(run_app: Callable[..., Any]) -> None:
    import sqlalchemy as sa

    from livechat.extensions import db
    from livechat.models import ChatSession, SessionStatus, User

    with run_app().app_context():
        db.session.add(User(id="u1", profile={}))
        db.session.add(ChatSession(user_id="u1", status=SessionStatus.ACTIVE, meta={}))
        db.session.commit()
        db.session.add(ChatSession(user_id="u1", status=SessionStatus.WAITING, meta={}))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_the_assistants_reads_and_writes(run_app: Callable[..., Any]) -> None:
    """The default `make run` answers with the offline assistant: its turn is read and its reply
    written on the embedded server (the test calls the services itself, turns off)."""
    from livechat.models import Role
    from livechat.services import access, assistant, messages, sessions, users

    # Nothing of the app's own may act on these messages: neither turns nor the human queue.
    app = run_app(AI_ENABLED="false", QUEUE_WITHOUT_ASSISTANT="false")
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


# ---- the run command itself, from a clean checkout -------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(url: str, headers: dict[str, str] | None = None, data: bytes | None = None) -> Any:
    req = urllib.request.Request(url, headers=headers or {}, data=data)
    with urllib.request.urlopen(req, timeout=5) as resp:
        return resp.status, json.loads(resp.read())


def _checkout(dest: Path) -> Path:
    """The project's files as a clone has them: no instance/, no venv, no caches."""
    shutil.copytree(
        ROOT,
        dest,
        ignore=shutil.ignore_patterns(
            ".git",
            ".venv",
            "instance",
            "__pycache__",
            ".pytest_cache",
            ".ruff_cache",
            ".mypy_cache",
            "node_modules",
            "test-artifacts",
        ),
    )
    return dest


class _Run:
    """`python wsgi.py` in ``checkout``; ``stop(sig)`` stops it as a terminal or a supervisor."""

    def __init__(self, checkout: Path, env: dict[str, str], log: Path) -> None:
        self.checkout, self.env, self.log = checkout, env, log
        self.base = f"http://127.0.0.1:{env['PORT']}"
        self._out = log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "wsgi.py"],
            cwd=checkout,
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def output(self) -> str:
        return self.log.read_text()

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                status, body = _request(f"{self.base}/readyz")
                assert status == 200 and body["status"] == "ok", body
                return
            except (urllib.error.URLError, ConnectionError) as exc:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(self.output()) from exc
                time.sleep(0.2)

    def token(self, uid: str) -> str:
        """`flask --app wsgi livechat token`: a second process on the same embedded server."""
        return subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "livechat", "token", uid],
            cwd=self.checkout,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.strip()

    def open_session(self, token: str) -> tuple[int, dict[str, Any]]:
        return _request(
            f"{self.base}/api/support/chat/sessions/user",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            data=b"{}",
        )

    def stop(self, sig: int) -> int:
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=30)
        finally:
            self._out.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._out.close()


def test_the_run_command_from_a_clean_checkout() -> None:
    """No configuration at all: the first start makes instance/postgres, migrates and serves; a
    CLI process joins the running server without stopping it; SIGTERM stops the service and
    its server; a second start (stopped by Ctrl-C) finds the same data."""
    with embedded.scratch_dir("livechat-run-") as scratch:
        _run_twice(_checkout(scratch / "livechat"))


def _run_twice(checkout: Path) -> None:
    pgdata = checkout / "instance" / "postgres"
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    env.update(PORT=str(_free_port()), HOST="127.0.0.1")

    first = _Run(checkout, env, checkout.parent / "first.log")
    try:
        first.wait_ready()
        token = first.token("demo")
        status, created = first.open_session(token)
        assert status == 201 and created["status"] == "ACTIVE"
        first.wait_ready(timeout=0)  # the CLI process exited; the server it joined still runs
        assert first.stop(signal.SIGTERM) == 0, first.output()
    finally:
        first.kill()
    assert not embedded.running(pgdata), first.output()

    second = _Run(checkout, env, checkout.parent / "second.log")
    try:
        second.wait_ready()
        status, again = second.open_session(second.token("demo"))
        assert status == 200 and again["id"] == created["id"]  # the same data
        assert second.stop(signal.SIGINT) == 0, second.output()
    finally:
        second.kill()
    assert not embedded.running(pgdata), second.output()

    for run in (first, second):
        out = run.output()
        assert "livechat stopped" in out
        assert "Traceback" not in out and "Warning" not in out, out  # e.g. XDG_RUNTIME_DIR

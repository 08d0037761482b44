"""AI fixtures: apps whose assistant is on (offline, or openai against a local stub server)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support import leaks
from tests.support.apps import app_with_env
from tests.support.openai_stub import OpenAIStub


def _make_app(pg_url: str, **env: str) -> Any:
    return app_with_env(DATABASE_URL=pg_url, SECRET_KEY="ai-tests", AI_ENABLED="true", **env)


@pytest.fixture(scope="session")
def stub() -> Iterator[OpenAIStub]:
    server = OpenAIStub()
    leaks.enduring(server.wsgi)  # the session's openai client keeps connections to it open
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _reset_stub(request: pytest.FixtureRequest) -> None:
    if "stub" in request.fixturenames:
        s = request.getfixturevalue("stub")
        s.mode, s.chunk_delay, s.classification = "ok", 0.0, None
        s.release()
        s.hold_at = None
        s.chunks = ["Hello", "! You can ", "freeze your card ", "in the app."]
        s.requests.clear()
        s.status_calls = 0


@pytest.fixture(scope="session")
def offline_app(app: Any, pg_url: str) -> Iterator[Any]:
    """The assistant on the offline provider (the default with no key)."""
    application = _make_app(pg_url, AI_PROVIDER="offline", AI_OFFLINE_CHUNK_DELAY="0")
    yield leaks.enduring(application)
    _dispose(application)


@pytest.fixture(scope="session")
def openai_app(app: Any, pg_url: str, stub: OpenAIStub) -> Iterator[Any]:
    """The assistant on the openai provider, the real client talking to the local stub."""
    application = _make_app(
        pg_url,
        AI_PROVIDER="openai",
        OPENAI_BASE_URL=stub.base_url,
        OPENAI_API_KEY="sk-test",
        OPENAI_MODEL="stub-model",
        AI_READ_TIMEOUT="1",
        AI_TOTAL_TIMEOUT="5",
        AI_MAX_RETRIES="1",
    )
    yield leaks.enduring(application)
    _dispose(application)


def _dispose(application: Any) -> None:
    from livechat import shutdown_app

    shutdown_app(application)


@pytest.fixture(autouse=True)
def _settle_ai(request: pytest.FixtureRequest) -> Iterator[None]:
    """No turn from one test may still be writing when the next test's tables are emptied."""
    yield
    for name in ("offline_app", "openai_app"):
        if name in request.fixturenames:
            from livechat import runtime

            orchestrator = runtime.orchestrator(request.getfixturevalue(name))
            orchestrator._group.join(timeout=10)
            orchestrator._group.kill()


@pytest.fixture()
def chat_client(token: Any) -> Iterator[Callable[..., Any]]:
    """chat_client(app, uid, role="user") -> a Socket.IO test client on the chat namespace."""
    clients: list[Any] = []

    def connect(application: Any, uid: str, role: str = "user", **claims: Any) -> Any:
        from livechat import runtime

        verifier = runtime.verifier(application)
        client = application.extensions["socketio"].test_client(
            application, auth={"token": verifier.issue(uid, role=role, **claims)}
        )
        assert client.is_connected()
        clients.append(client)
        return client

    yield connect
    for c in clients:
        if c.is_connected():
            c.disconnect()


def turns_done(application: Any, timeout: float = 10.0) -> None:
    """Wait until the assistant runs no turn: whatever a turn would store or emit, it has."""
    from livechat import runtime

    orchestrator = runtime.orchestrator(application)
    assert orchestrator._group.join(timeout=timeout), f"turns still running after {timeout}s"


def wait_for(client: Any, name: str, timeout: float = 5.0, namespace: str = "/") -> list[Any]:
    """Poll a test client until ``name`` arrives; returns every event received so far."""
    import gevent

    seen: list[Any] = []
    waited = 0.0
    while waited < timeout:
        seen += [
            (r["name"], r["args"][0] if r["args"] else None) for r in client.get_received(namespace)
        ]
        if any(n == name for n, _ in seen):
            return seen
        gevent.sleep(0.02)
        waited += 0.02
    raise AssertionError(f"no {name!r} within {timeout}s; got {[n for n, _ in seen]}")

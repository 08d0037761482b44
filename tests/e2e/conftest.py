"""End-to-end fixtures: the real gevent server(s) on PostgreSQL (and Redis), real clients."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.server import ChatClient, ServerProcess, start_together


def server_env(app: Any, pg_url: str, **extra: str) -> dict[str, str]:
    """A test server process's environment: testing, this run's database, the `token`
    fixture's secret, a small pool, plus ``extra``."""
    return {
        "LIVECHAT_ENV": "testing",
        "DATABASE_URL": pg_url,
        "SECRET_KEY": app.config["SECRET_KEY"],  # tokens from the `token` fixture work there
        "DB_POOL_SIZE": "5",
        **extra,
    }


@pytest.fixture(scope="session")
def server(app: Any, pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One `python wsgi.py` on PostgreSQL, shared by the e2e tests."""
    proc = ServerProcess(server_env(app, pg_url), tmp_path_factory.mktemp("srv") / "server.log")
    yield proc
    proc.stop()


def two_servers(
    app: Any, pg_url: str, redis_url: str, tmp_path: Path, **extra: str
) -> Iterator[tuple[Any, Any]]:
    """Two server processes sharing PostgreSQL and Redis (a channel of the caller's own), with
    ``extra`` settings; both stopped when the caller's fixture ends."""
    channel = f"lc-test-{secrets.token_hex(4)}"
    env = server_env(app, pg_url, REDIS_URL=redis_url, REDIS_CHANNEL=channel, **extra)
    a, b = start_together(
        ServerProcess(env, tmp_path / "a.log", wait=False),
        ServerProcess(env, tmp_path / "b.log", wait=False),
    )
    yield a, b
    a.stop()
    b.stop()


@pytest.fixture()
def server_pair(app: Any, pg_url: str, redis_url: str, tmp_path: Path) -> Iterator[tuple[Any, Any]]:
    """Two server processes sharing PostgreSQL and Redis (a channel of this test's own)."""
    yield from two_servers(app, pg_url, redis_url, tmp_path)


@pytest.fixture()
def connect(token: Any) -> Iterator[Callable[..., ChatClient]]:
    """connect(server, uid, role="user", namespaces=None) -> a connected websocket client."""
    clients: list[ChatClient] = []

    def make(server: Any, uid: str, role: str = "user", **kw: Any) -> ChatClient:
        client = ChatClient(server.url, token(uid, role, **kw.pop("claims", {})), **kw)
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.close()

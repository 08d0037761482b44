"""Fault campaign: real server processes, real clients, and PostgreSQL/Redis/processes taken down.

Every test in this directory is marked ``faults`` and runs in the normal ``pytest`` run; deselect
with ``-m 'not faults'``. Outages are kept to a few seconds and the services are always restarted.
"""

from __future__ import annotations

import gc
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.faults.harness import Party, Sender
from tests.support.server import ServerProcess, server_env, start_together

HERE = Path(__file__).resolve().parent
BASE = "/api/support/chat"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "faults: fault-injection tests (PostgreSQL/Redis restarts, killed processes)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.faults)


@pytest.fixture(autouse=True)
def _stop_senders() -> Iterator[None]:
    """A failed test leaves no sender greenlet writing into the next test; and anything it
    left unclosed (a socket) is reported now, against this test, not at a random later GC."""
    yield
    for sender in list(Sender.running):
        sender.kill()
    gc.collect()


@pytest.fixture()
def start_server(app: Any, pg_url: str, tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """start_server(**env) -> a `python wsgi.py` on this run's database, ready (``wait=False``:
    started, for ``start_together``); stopped at teardown."""
    servers: list[ServerProcess] = []

    def start(wait: bool = True, **extra: str) -> ServerProcess:
        # Senders here write ~10 messages/s: lift the per-user limit, keep the limiter in the path.
        env = server_env(
            app.config["SECRET_KEY"], pg_url, RATE_LIMIT_MESSAGES="1000/10seconds", **extra
        )
        server = ServerProcess(env, tmp_path / f"server-{len(servers)}.log", wait=wait)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture()
def redis_pair(
    start_server: Callable[..., ServerProcess], redis_url: str
) -> tuple[ServerProcess, ServerProcess]:
    """Two processes sharing PostgreSQL and Redis (a pub/sub channel of this test's own)."""
    env = {"REDIS_URL": redis_url, "REDIS_CHANNEL": f"lc-fault-{secrets.token_hex(4)}"}
    a, b = start_together(start_server(wait=False, **env), start_server(wait=False, **env))
    return a, b


@pytest.fixture()
def open_chat(token: Any) -> Callable[..., str]:
    """open_chat(server, customer, agent) -> the id of the customer's session, assigned."""

    def open_(server: ServerProcess, customer: str, agent: str) -> str:
        status, session = server.request("POST", f"{BASE}/sessions/user", token(customer), {})
        assert status == 201, session
        status, body = server.request(
            "POST", f"{BASE}/sessions/{session['id']}/assign", token(agent, "agent")
        )
        assert status == 200, body
        return session["id"]

    return open_


@pytest.fixture()
def party(token: Any) -> Iterator[Callable[..., Party]]:
    """party(name, uid, urls, session_id, role="user") -> a joined Party; closed at teardown."""
    parties: list[Party] = []

    def make(name: str, uid: str, urls: list[str], session_id: str, role: str = "user") -> Party:
        p = Party(name, uid, token(uid, role), urls, session_id)
        parties.append(p)
        p.join()
        return p

    yield make
    for p in parties:
        p.close()

"""Socket.IO fixtures: Flask-SocketIO's test client against the real app and database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.sockets import socket_clients
from tests.support.waiting import wait_until


@pytest.fixture()
def sio(app: Any, token: Any) -> Iterator[Callable[..., Any]]:
    """sio(uid, role="user", namespace="/") -> a connected test client (disconnected after)."""
    with socket_clients(app, token) as connect:
        yield connect


def events(client: Any, name: str, namespace: str = "/") -> list[Any]:
    """The payloads of every ``name`` event received so far (and clears the buffer)."""
    return [r["args"][0] for r in client.get_received(namespace) if r["name"] == name]


def received(client: Any, namespace: str = "/") -> list[tuple[str, Any]]:
    return [
        (r["name"], r["args"][0] if r["args"] else None) for r in client.get_received(namespace)
    ]


def wait_event(
    client: Any,
    name: str,
    namespace: str = "/",
    until: Callable[[Any], bool] | None = None,
    timeout: float = 5.0,
) -> Any:
    """The payload of the next ``name`` event (one matching ``until``), however long the server
    takes to send it (a coalesced queue:updated, an expiring timer); what came before is
    dropped from the client's buffer."""

    def arrived() -> Any:
        for payload in events(client, name, namespace):
            if until is None or until(payload):
                return [payload]
        return None

    return wait_until(arrived, timeout, f"{name} on {namespace}")[0]

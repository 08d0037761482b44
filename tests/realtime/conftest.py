"""Socket.IO fixtures: Flask-SocketIO's test client against the real app and database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.sockets import socket_clients


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

"""Socket.IO fixtures: Flask-SocketIO's test client against the real app and database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest


@pytest.fixture()
def sio(app: Any, token: Any) -> Iterator[Callable[..., Any]]:
    """sio(uid, role="user", namespace="/") -> a connected test client (disconnected after)."""
    socketio = app.extensions["socketio"]
    clients: list[Any] = []

    def connect(uid: str, role: str = "user", namespace: str = "/", **claims: Any) -> Any:
        client = socketio.test_client(
            app, namespace=namespace, auth={"token": token(uid, role, **claims)}
        )
        assert client.is_connected(namespace), f"{uid} could not connect to {namespace}"
        clients.append((client, namespace))
        return client

    yield connect
    for client, namespace in clients:
        if client.is_connected(namespace):
            client.disconnect(namespace=namespace)


def events(client: Any, name: str, namespace: str = "/") -> list[Any]:
    """The payloads of every ``name`` event received so far (and clears the buffer)."""
    return [r["args"][0] for r in client.get_received(namespace) if r["name"] == name]


def received(client: Any, namespace: str = "/") -> list[tuple[str, Any]]:
    return [
        (r["name"], r["args"][0] if r["args"] else None) for r in client.get_received(namespace)
    ]

"""Flask-SocketIO test clients for an app: connect as anyone, all disconnected at the end."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from livechat import runtime


@contextmanager
def socket_clients(app: Any, issue: Callable[..., str]) -> Iterator[Callable[..., Any]]:
    """Yields connect(uid, role="user", namespace="/", **claims) -> a connected test client."""
    socketio = app.extensions["socketio"]
    clients: list[tuple[Any, str]] = []

    def connect(uid: str, role: str = "user", namespace: str = "/", **claims: Any) -> Any:
        client = socketio.test_client(
            app, namespace=namespace, auth={"token": issue(uid, role, **claims)}
        )
        assert client.is_connected(namespace), f"{uid} could not connect to {namespace}"
        clients.append((client, namespace))
        return client

    try:
        yield connect
    finally:
        for client, namespace in clients:
            if client.is_connected(namespace):
                client.disconnect(namespace=namespace)
        # The app outlives the test, its typing timers must not: a socket that typed in a chat
        # it never joined leaves an indicator that expires by itself, into the next test.
        runtime.typing_tracker(app).shutdown()

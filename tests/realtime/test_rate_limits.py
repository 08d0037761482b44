"""Rate limits: clear refusals (429 + Retry-After, rate_limited acks), nothing stored past them."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from livechat import runtime
from tests.support.apps import app_with_env


def _limited_app(pg_url: str, **env: str) -> Any:
    limits = {
        "RATE_LIMIT_MESSAGES": "3/minute",
        "RATE_LIMIT_TYPING": "2/minute",
        "RATE_LIMIT_SESSIONS": "2/minute",
        "RATE_LIMIT_REST": "5/minute",
        "RATE_LIMIT_CONNECT": "3/minute",
    }
    return app_with_env(DATABASE_URL=pg_url, **{**limits, **env})


@pytest.fixture()
def limited(app: Any, pg_url: str) -> Iterator[Any]:
    from livechat import shutdown_app

    application = _limited_app(pg_url)
    yield application
    shutdown_app(application)


def _token(application: Any, uid: str, role: str = "user") -> str:
    return runtime.verifier(application).issue(uid, role=role)


def test_socket_messages_and_typing_are_limited(limited: Any) -> None:
    client = limited.test_client()
    h = {"Authorization": f"Bearer {_token(limited, 'rl-1')}"}
    sid = client.post("/api/support/chat/sessions/user", headers=h).get_json()["id"]
    sock = limited.extensions["socketio"].test_client(
        limited, auth={"token": _token(limited, "rl-1")}
    )
    acks = [
        sock.emit("message:send", {"sessionId": sid, "content": f"m{i}"}, callback=True)
        for i in range(4)
    ]
    assert [a["ok"] for a in acks] == [True, True, True, False]
    error = acks[3]["error"]
    assert error["code"] == "rate_limited" and error["details"]["retryAfter"] >= 1
    history = client.get(f"/api/support/chat/sessions/{sid}/messages", headers=h).get_json()
    assert len(history["items"]) == 3  # the refused one was not stored
    typing = [sock.emit("typing:start", {"sessionId": sid}, callback=True) for _ in range(3)]
    assert [t["ok"] for t in typing] == [True, True, False]
    assert sock.is_connected()
    sock.disconnect()


def test_rest_answers_429_with_retry_after(limited: Any) -> None:
    client = limited.test_client()
    h = {"Authorization": f"Bearer {_token(limited, 'rl-2')}"}
    codes = [
        client.post("/api/support/chat/sessions/user", headers=h).status_code for _ in range(3)
    ]
    assert codes == [201, 200, 429]
    resp = client.post("/api/support/chat/sessions/user", headers=h)
    assert resp.status_code == 429
    assert int(resp.headers["Retry-After"]) >= 1
    assert resp.get_json()["error"]["code"] == "rate_limited"
    # The per-token REST budget (5/minute) runs out too, on any endpoint.
    statuses = [client.get("/api/support/tickets/mine", headers=h).status_code for _ in range(3)]
    assert statuses[-1] == 429


def test_connections_per_address(limited: Any) -> None:
    socketio = limited.extensions["socketio"]
    token = _token(limited, "rl-3")
    clients = [socketio.test_client(limited, auth={"token": token}) for _ in range(4)]
    assert [c.is_connected() for c in clients] == [True, True, True, False]
    for c in clients[:3]:
        c.disconnect()


def test_limits_are_shared_through_redis(app: Any, pg_url: str, redis_url: str) -> None:
    from livechat import shutdown_app

    env = {"REDIS_URL": redis_url, "REDIS_CHANNEL": f"rl-{secrets.token_hex(4)}"}
    a, b = _limited_app(pg_url, **env), _limited_app(pg_url, **env)
    try:
        h = {"Authorization": f"Bearer {_token(a, 'rl-4')}"}
        hb = {"Authorization": f"Bearer {_token(b, 'rl-4')}"}
        assert a.test_client().post("/api/support/chat/sessions/user", headers=h).status_code == 201
        assert (
            b.test_client().post("/api/support/chat/sessions/user", headers=hb).status_code == 200
        )
        third = a.test_client().post("/api/support/chat/sessions/user", headers=h)
        assert third.status_code == 429
    finally:
        shutdown_app(a)
        shutdown_app(b)

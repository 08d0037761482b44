"""Dependency outages are answered with one retryable error, never a 500 or a silent hang."""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import redis
import sqlalchemy as sa

from livechat.errors import Conflict, outage_error
from livechat.ratelimit import RateLimiter
from tests.support.server import (
    ServerProcess,
    free_port,
    refused_connect,
    server_env,
)

pytestmark = pytest.mark.timeout(60)


def _closed_port_url(scheme: str) -> str:
    return f"{scheme}://postgres@127.0.0.1:{free_port()}/nowhere"  # nothing listens there


def test_connection_failures_map_to_a_retryable_unavailable() -> None:
    engine = sa.create_engine(_closed_port_url("postgresql+psycopg"))
    with pytest.raises(sa.exc.OperationalError) as db_down:
        engine.connect()
    engine.dispose()
    client = redis.Redis(port=free_port(), socket_connect_timeout=1)
    with pytest.raises(redis.exceptions.ConnectionError) as redis_down:
        client.ping()
    client.close()

    for exc in (db_down.value, redis_down.value):
        error = outage_error(exc)
        assert error is not None and error.status == 503 and error.headers() == {"Retry-After": "1"}
        assert error.to_dict() == {
            "code": "unavailable",
            "message": "The service is briefly unavailable; please retry.",
            "retryable": True,
        }
    # A bug is not an outage (internal_error), and final refusals do not say retryable.
    assert outage_error(ValueError("bug")) is None
    assert "retryable" not in Conflict("ended", code="session_ended").to_dict()


def test_rate_limits_fail_open_while_redis_is_unreachable(caplog: pytest.LogCaptureFixture) -> None:
    limiter = RateLimiter(
        {"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0", "RATE_LIMIT_MESSAGES": "1/minute"}
    )
    with caplog.at_level(logging.WARNING, logger="livechat.ratelimit"):
        for _ in range(3):  # over the limit, yet not refused: the limit cannot be counted
            limiter.check("messages", "someone")
    warnings = [r for r in caplog.records if r.name == "livechat.ratelimit"]
    assert len(warnings) == 1 and "unreachable" in warnings[0].getMessage()  # once per outage


def test_a_server_whose_database_is_down_refuses_with_unavailable(
    app: Any, token: Any, tmp_path: Path
) -> None:
    env = server_env(app.config["SECRET_KEY"], _closed_port_url("postgresql"))
    server = ServerProcess(env, tmp_path / "server.log", ready_path="/healthz")
    try:
        req = urllib.request.Request(
            f"{server.url}/api/support/chat/sessions/active",
            headers={"Authorization": f"Bearer {token('nodb-user')}"},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(req, timeout=10)
        assert refused.value.code == 503 and refused.value.headers["Retry-After"] == "1"
        body = refused.value.read()
        assert b'"code":"unavailable"' in body.replace(b" ", b"")

        # A socket is refused with a code (users are synced on connect), not left hanging.
        error = refused_connect(server.url, {"token": token("nodb-user")})
        assert error["message"] == "unavailable", error
        assert error["data"]["code"] == "unavailable" and error["data"]["retryable"]
        assert "Traceback" not in server.log()
    finally:
        server.stop()

"""Every Redis client of a process waits for a pooled connection in a burst instead of failing
(livechat/redisconn.py): against the real Redis, with greenlets, as the web process runs."""

from __future__ import annotations

import secrets
import socket
from typing import Any

import gevent
import pytest
import redis

from livechat import redisconn
from livechat.ratelimit import RateLimiter
from livechat.realtime.agent_status import build_agent_status
from livechat.realtime.presence import build_presence
from livechat.realtime.relay import RelayManager

SMALL = {"REDIS_MAX_CONNECTIONS": 3, "REDIS_POOL_TIMEOUT": 5}


@pytest.fixture()
def closing() -> Any:
    """Close what a test opened: an unclosed socket is a failure in this suite."""
    opened: list[Any] = []
    yield opened.append
    for client in opened:
        client.connection_pool.disconnect()
        client.close()


def _hold_a_connection(client: Any, seconds: float) -> None:
    # BLPOP on a key nobody pushes to: Redis keeps the connection busy for ``seconds``.
    client.blpop(f"livechat-test-empty-{secrets.token_hex(4)}", timeout=seconds)


def test_a_burst_larger_than_the_pool_waits_its_turn(redis_url: str, closing: Any) -> None:
    client = redisconn.client(redis_url, SMALL)
    closing(client)
    jobs = [gevent.spawn(_hold_a_connection, client, 0.1) for _ in range(12)]
    gevent.joinall(jobs, timeout=30)
    assert all(job.successful() for job in jobs), [job.exception for job in jobs]
    pool = client.connection_pool
    assert isinstance(pool, redis.BlockingConnectionPool) and pool.max_connections == 3


def test_redis_pys_default_pool_fails_the_same_burst(redis_url: str, closing: Any) -> None:
    """What the web process did before: past the pool's size, an error at once."""
    client = redis.Redis.from_url(redis_url, max_connections=3)
    closing(client)
    jobs = [gevent.spawn(_hold_a_connection, client, 0.1) for _ in range(12)]
    gevent.joinall(jobs, timeout=30)
    failures = [job.exception for job in jobs if not job.successful()]
    assert failures and all(isinstance(e, redis.exceptions.ConnectionError) for e in failures)


def test_a_wait_longer_than_the_timeout_is_a_redis_error(redis_url: str, closing: Any) -> None:
    client = redisconn.client(redis_url, {"REDIS_MAX_CONNECTIONS": 1, "REDIS_POOL_TIMEOUT": 0.2})
    closing(client)
    busy = gevent.spawn(_hold_a_connection, client, 1)
    gevent.sleep(0.05)
    with pytest.raises(redis.exceptions.ConnectionError):
        client.ping()
    busy.join(timeout=5)
    assert client.ping()  # the connection came back: the next call gets it


def test_every_redis_client_of_a_process_uses_the_waiting_pool(
    redis_url: str, closing: Any
) -> None:
    config = {"REDIS_URL": redis_url, "REDIS_CHANNEL": "livechat-test", **SMALL}
    relay = RelayManager(redis_url, channel="livechat-test-pool", write_only=True, config=config)
    relay._redis_connect()
    clients = {
        "relay": relay.redis,
        "rate limits": RateLimiter(config).store.redis,  # type: ignore[union-attr]
        "presence": build_presence(redis_url, "livechat-test", config)._redis,  # type: ignore[attr-defined]
        "agent statuses": build_agent_status(redis_url, "livechat-test", config)._redis,  # type: ignore[attr-defined]
    }
    for name, client in clients.items():
        closing(client)
        pool = client.connection_pool
        assert isinstance(pool, redis.BlockingConnectionPool), name
        assert (pool.max_connections, pool.timeout) == (3, 5), name


def test_a_connect_interrupted_by_a_kill_closes_its_socket(
    redis_url: str, monkeypatch: pytest.MonkeyPatch, closing: Any
) -> None:
    """A greenlet killed while it connects (GreenletExit from inside connect()) must not leave
    the half-made socket open: redis-py closed it on OSError only."""
    made: list[Any] = []
    real = socket.socket

    class Interrupted(real):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

        def connect(self, address: Any) -> None:
            raise gevent.GreenletExit

    monkeypatch.setattr(socket, "socket", Interrupted)
    client = redisconn.client(redis_url, SMALL)
    closing(client)
    with pytest.raises(gevent.GreenletExit):
        client.ping()
    assert made and all(s.fileno() == -1 for s in made)

"""Redis clients of the web and assistant processes: one pool policy, in one place.

redis-py's default pool opens one connection per greenlet that needs one at that moment and,
past its limit (100 in redis-py 8), raises ``MaxConnectionsError`` at once instead of waiting.
Under gevent a burst of sends or disconnects is hundreds of greenlets at the same instant: the
relay then failed to publish ("Cannot publish to redis... giving up": messages stored but not
sent live), the rate limiter failed open and presence updates were lost. Every client here
uses a ``BlockingConnectionPool`` instead: at most ``REDIS_MAX_CONNECTIONS`` connections per
client, and a greenlet past them waits up to ``REDIS_POOL_TIMEOUT`` seconds for one to come
back (Redis answers in well under a millisecond, so the wait is short) before the caller's
usual Redis-error path runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import redis

DEFAULT_MAX_CONNECTIONS = 50
DEFAULT_POOL_TIMEOUT = 5.0


def pool_options(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """The pool's size and wait from the app's config (the defaults without one)."""
    config = config or {}
    return {
        "max_connections": int(config.get("REDIS_MAX_CONNECTIONS") or DEFAULT_MAX_CONNECTIONS),
        "timeout": float(config.get("REDIS_POOL_TIMEOUT") or DEFAULT_POOL_TIMEOUT),
    }


def client(url: str, config: Mapping[str, Any] | None = None, **options: Any) -> redis.Redis:
    """A client whose pool waits for a free connection rather than failing past its size."""
    pool = redis.BlockingConnectionPool.from_url(url, **pool_options(config), **options)
    client = redis.Redis(connection_pool=pool)
    client.auto_close_connection_pool = True  # close() ends the pool's sockets, as from_url's do
    return client

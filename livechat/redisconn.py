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

import socket
from collections.abc import Mapping
from typing import Any

import redis
import redis.connection

DEFAULT_MAX_CONNECTIONS = 50
DEFAULT_POOL_TIMEOUT = 5.0


class _Connection(redis.connection.Connection):
    """redis-py's TCP connection, closing a half-made socket whatever interrupts the connect.

    redis-py closes it on ``OSError`` only. A greenlet killed while it connects (the relay's
    listener stopped while Redis is away or slow: ``GreenletExit``, a ``gevent.Timeout``) left
    the socket open until the garbage collector found it: a leaked descriptor per kill.
    """

    def _connect(self) -> socket.socket:
        err: OSError | None = None
        for family, socktype, proto, _, address in socket.getaddrinfo(
            self.host, self.port, self.socket_type, socket.SOCK_STREAM
        ):
            sock = socket.socket(family, socktype, proto)
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if self.socket_keepalive:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
                    for option, value in self.socket_keepalive_options.items():
                        sock.setsockopt(socket.IPPROTO_TCP, option, value)
                sock.settimeout(self.socket_connect_timeout)
                sock.connect(address)
                sock.settimeout(self.socket_timeout)
                return sock
            except OSError as exc:
                err = exc
                sock.close()
            except BaseException:
                sock.close()
                raise
        raise err if err is not None else OSError("socket.getaddrinfo returned an empty list")


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
    if pool.connection_class is redis.connection.Connection:  # TCP (not TLS, not a Unix socket)
        pool.connection_class = _Connection
    client = redis.Redis(connection_pool=pool)
    client.auto_close_connection_pool = True  # close() ends the pool's sockets, as from_url's do
    return client

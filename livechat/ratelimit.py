"""Rate limits (moving windows from the `limits` library), shared through Redis when configured.

Limits are per user (messages, typing, new sessions, REST calls) and, when enabled, per client
address for socket connections. A refusal is a DomainError with code ``rate_limited`` and the
seconds to wait: REST answers 429 with Retry-After, sockets an error ack.

With Redis unreachable the limits fail open (a warning is logged once per outage): a chat keeps
working through a Redis restart, unthrottled for those seconds, rather than refusing every send.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

from flask import Flask, current_app
from limits import parse, storage, strategies
from limits.errors import StorageError

from livechat.errors import DomainError

log = logging.getLogger(__name__)

LIMITS = {
    "messages": "RATE_LIMIT_MESSAGES",
    "typing": "RATE_LIMIT_TYPING",
    "sessions": "RATE_LIMIT_SESSIONS",
    "rest": "RATE_LIMIT_REST",
    "connect": "RATE_LIMIT_CONNECT",
}


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"

    def __init__(self, limit: str, retry_after: int) -> None:
        super().__init__(
            f"Too many requests ({limit}); try again in {retry_after} s.",
            details={"limit": limit, "retryAfter": retry_after},
        )
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class RateLimiter:
    def __init__(self, config: Any) -> None:
        self.enabled = bool(config.get("RATE_LIMITS_ENABLED", True))
        redis_url = config.get("REDIS_URL")
        if redis_url:
            backend = storage.storage_from_string(
                redis_url,
                key_prefix=f"{config.get('REDIS_CHANNEL', 'livechat')}-limits",
                wrap_exceptions=True,
                socket_timeout=2,
                socket_connect_timeout=2,
            )
        else:
            backend = storage.storage_from_string("memory://")
        self._limiter = strategies.MovingWindowRateLimiter(backend)
        self._limits = {name: parse(config[key]) for name, key in LIMITS.items() if config.get(key)}
        self._storage_down = False

    def check(self, name: str, key: str) -> None:
        """Count one hit of ``name`` for ``key``; raise RateLimited when over the limit."""
        limit = self._limits.get(name)
        if not self.enabled or limit is None:
            return
        try:
            allowed = self._limiter.hit(limit, name, key)
            reset = None if allowed else self._limiter.get_window_stats(limit, name, key).reset_time
        except StorageError as exc:
            if not self._storage_down:
                log.warning(
                    "rate limits off while their storage is unreachable: %r", exc.storage_error
                )
            self._storage_down = True
            return
        if self._storage_down:
            log.warning("rate limits on again: their storage is reachable")
            self._storage_down = False
        if reset is not None:
            current_app.extensions["livechat.metrics"].rate_limited.labels(name).inc()
            raise RateLimited(name, max(1, math.ceil(reset - time.time())))


def init_rate_limits(app: Flask) -> None:
    app.extensions["livechat.ratelimit"] = RateLimiter(app.config)


def check(name: str, key: str) -> None:
    current_app.extensions["livechat.ratelimit"].check(name, key)

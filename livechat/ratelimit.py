"""Rate limits (GCRA, O(1) per check, no timer), in memory or shared through Redis when configured.

Limits are per user (messages, typing, new sessions, REST calls) and, when enabled, per client
address for socket connections. A refusal is a DomainError with code ``rate_limited`` and the
seconds to wait: REST answers 429 with Retry-After, sockets an error ack.

"N/period" allows a burst of N, then one more every period/N (GCRA, the generic cell rate
algorithm): one number per (limit, key), the time its budget is spent until. In memory that is a
dict entry (stale ones are dropped by a sweep every ~len(dict) checks, so memory stays bounded
with no background timer); in Redis it is one key with a TTL, read and written by one Lua script
(one round trip per check) on the Redis clock, so every process counts alike.

With Redis, a process may count a few of a key's next hits ahead in that one round trip (a
"lease", ``lookahead`` seconds: ``RATE_LIMIT_LOOKAHEAD``), then answer them from memory: a
steady chatter costs one round trip per few messages instead of one each. Only while the key
has spent under half its burst, and the hits are counted as made at the end of the lookahead
(however the process spends them within it, never more pass than the limit allows, on any
number of processes). The price is on the strict side: a burst that follows a lease can be cut
short by about lookahead/interval hits (plus what other processes hold unspent).

With Redis unreachable the limits fail open (a warning is logged once per outage, Redis is tried
again at most once a second): a chat keeps working through a Redis restart, unthrottled for those
seconds, rather than refusing or stalling every send.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis
from flask import Flask
from redis.backoff import NoBackoff
from redis.retry import Retry

from config import ConfigError
from livechat import redisconn, runtime
from livechat.errors import DomainError

log = logging.getLogger(__name__)

LIMITS = {
    "messages": "RATE_LIMIT_MESSAGES",
    "typing": "RATE_LIMIT_TYPING",
    "sessions": "RATE_LIMIT_SESSIONS",
    "rest": "RATE_LIMIT_REST",
    "connect": "RATE_LIMIT_CONNECT",
}

# The notation of the `limits` library (what these settings were written in): "30/10seconds",
# "20/minute", "600 per minute", "5 per 2 hours"; a month is 30 days, a year 360.
_NOTATION = re.compile(
    r"\s*(\d+)\s*(?:/|per)\s*(\d+)?\s*(second|minute|hour|day|month|year)s?\s*",
    re.IGNORECASE,
)
_SECONDS = {
    "second": 1,
    "minute": 60,
    "hour": 3600,
    "day": 86400,
    "month": 30 * 86400,
    "year": 360 * 86400,
}
_US = 1_000_000
# While Redis is unreachable, try it again at most this often (seconds).
_OUTAGE_RETRY = 1.0
# The memory store sweeps after max(this, live entries) checks: O(1) amortised per check.
_SWEEP_MIN = 1024

# Leases: at most this many hits counted ahead in one round trip.
_LEASE_MAX = 8

# ARGV: interval, burst, want (hits to count ahead, 1 = just this one), lookahead (µs).
# Returns the hits granted (>= 1; the first is this check) or minus the µs to wait.
_GCRA_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local new = tat + interval
local granted = 1
if want > 1 then
  -- Counted as made at now + lookahead: however the process spends them before then, the
  -- state here is never behind the hits really made. Only while under half the burst is used.
  local base = math.max(tat, now + tonumber(ARGV[4]))
  local k = math.min(want, math.floor((now + burst / 2 - base) / interval))
  if k >= 2 then
    new = base + k * interval
    granted = k
  end
end
local wait = new - now - burst
if wait > 0 then return -wait end
redis.call('SET', KEYS[1], string.format('%.0f', new), 'PX', math.ceil((new - now) / 1000))
return granted
"""


@dataclass(frozen=True, slots=True)
class Limit:
    """N per period, as GCRA's emission interval and burst tolerance in whole microseconds."""

    interval_us: int
    burst_us: int


def parse_limit(text: str) -> Limit:
    """Parse "N/period" ("30/10seconds", "20/minute", "600 per minute"); ValueError otherwise."""
    match = _NOTATION.fullmatch(text)
    if not match or int(match[1]) < 1:
        raise ValueError(f"expected 'N/period' with N >= 1, e.g. '30/10seconds', got {text!r}")
    amount = int(match[1])
    period_us = int(match[2] or 1) * _SECONDS[match[3].lower()] * _US
    # Integer microseconds keep N hits in a burst exact (float sums would refuse the Nth).
    interval = max(1, period_us // amount)
    return Limit(interval, interval * amount)


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


class MemoryStore:
    """GCRA state of one process: key -> the time (µs) its budget is spent until."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._tat: dict[str, int] = {}
        self._checks = 0
        self._sweep_after = _SWEEP_MIN

    def acquire(self, key: str, limit: Limit) -> int:
        """Count one hit; 0 when allowed, else the microseconds to wait (nothing counted)."""
        now = int(self._clock() * _US)
        self._checks += 1
        if self._checks >= self._sweep_after:
            self._sweep(now)
        tat = max(self._tat.get(key, now), now) + limit.interval_us
        wait = tat - now - limit.burst_us
        if wait > 0:
            return wait
        self._tat[key] = tat
        return 0

    def _sweep(self, now: int) -> None:
        # An entry whose time has passed is the same as no entry. Sweeping after as many checks
        # as there are live entries keeps the cost O(1) per check and the dict under
        # 2 * live + _SWEEP_MIN entries.
        self._tat = {k: t for k, t in self._tat.items() if t > now}
        self._checks = 0
        self._sweep_after = max(_SWEEP_MIN, len(self._tat))

    def __len__(self) -> int:
        return len(self._tat)


class _Lease:
    """Hits of one key counted ahead in Redis, for this process to spend until ``until``."""

    __slots__ = ("granted", "left", "until", "want")

    def __init__(self) -> None:
        self.left = 0
        self.until = 0.0
        self.granted = 0
        self.want = 2


class RedisStore:
    """GCRA state shared by every process: one Redis key per (limit, key), expiring with it;
    hits counted ahead (leases, see the module docstring) spent from memory."""

    def __init__(
        self,
        url: str,
        prefix: str,
        config: Any = None,
        *,
        lookahead: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # One quick retry (a pooled connection Redis closed), no backoff: a limit check must
        # not stall a message; when Redis is really gone the limiter fails open.
        self.redis = redisconn.client(
            url, config, socket_timeout=2, socket_connect_timeout=2, retry=Retry(NoBackoff(), 1)
        )
        self._gcra = self.redis.register_script(_GCRA_LUA)
        self.prefix = prefix
        self.lookahead = lookahead
        self._lookahead_us = int(lookahead * _US)
        self._clock = clock
        self._leases: dict[str, _Lease] = {}
        self._checks = 0
        self._sweep_after = _SWEEP_MIN

    def acquire(self, key: str, limit: Limit) -> int:
        """Count one hit: from this process's lease, else one EVALSHA; 0 when allowed, else
        the microseconds to wait."""
        if self.lookahead <= 0:
            return max(0, -self._eval(key, limit, 1))
        now = self._clock()
        self._count(now)
        lease = self._leases.get(key)
        if lease is not None:
            if lease.left > 0 and now < lease.until:
                lease.left -= 1
                return 0
            # Ask for as many as the last lease proved useful: twice as many when it ran out
            # in time, one more than were spent when it expired first.
            spent = lease.granted - lease.left
            lease.want = min(_LEASE_MAX, 2 * spent if lease.left == 0 else max(2, spent + 1))
        granted = self._eval(key, limit, lease.want if lease is not None else 2)
        if granted < 0:
            self._leases.pop(key, None)
            return -granted
        if granted > 1 or lease is not None:
            lease = lease or self._leases.setdefault(key, _Lease())
            # From before the round trip: the lease ends no later than Redis counted it.
            lease.left, lease.granted, lease.until = granted - 1, granted, now + self.lookahead
        return 0

    def _eval(self, key: str, limit: Limit, want: int) -> int:
        args = (limit.interval_us, limit.burst_us, want, self._lookahead_us)
        # EVALSHA straight through execute_command: redis-py's Script wrapper costs more CPU
        # than the round trip; NOSCRIPT (a restarted or flushed Redis) loads it again.
        name = f"{self.prefix}:{key}"
        try:
            return int(self.redis.execute_command("EVALSHA", self._gcra.sha, 1, name, *args))
        except redis.exceptions.NoScriptError:
            return int(self._gcra(keys=[name], args=list(args)))

    def _count(self, now: float) -> None:
        # Leases past their end are dropped after as many checks as there are leases: O(1).
        self._checks += 1
        if self._checks >= self._sweep_after:
            self._leases = {k: v for k, v in self._leases.items() if v.until > now - 60}
            self._checks = 0
            self._sweep_after = max(_SWEEP_MIN, len(self._leases))


class RateLimiter:
    def __init__(self, config: Any, clock: Callable[[], float] = time.monotonic) -> None:
        self.enabled = bool(config.get("RATE_LIMITS_ENABLED", True))
        self._limits: dict[str, Limit] = {}
        for name, setting in LIMITS.items():
            if config.get(setting):
                try:
                    self._limits[name] = parse_limit(config[setting])
                except ValueError as exc:
                    raise ConfigError(f"{setting}: {exc}") from None
        redis_url = config.get("REDIS_URL")
        self.store: MemoryStore | RedisStore
        if redis_url:
            prefix = f"{config.get('REDIS_CHANNEL', 'livechat')}-limits"
            lookahead = float(config.get("RATE_LIMIT_LOOKAHEAD", 0.0))
            self.store = RedisStore(redis_url, prefix, config, lookahead=lookahead, clock=clock)
        else:
            self.store = MemoryStore(clock)
        self._clock = clock
        self._retry_at: float | None = None  # set while Redis is unreachable

    def check(self, name: str, key: str) -> None:
        """Count one hit of ``name`` for ``key``; raise RateLimited when over the limit."""
        limit = self._limits.get(name)
        if not self.enabled or limit is None:
            return
        if self._retry_at is not None and self._clock() < self._retry_at:
            return
        try:
            wait_us = self.store.acquire(f"{name}:{key}", limit)
        except redis.RedisError as exc:
            if self._retry_at is None:
                log.warning("rate limits off while their storage is unreachable: %r", exc)
            self._retry_at = self._clock() + _OUTAGE_RETRY
            return
        if self._retry_at is not None:
            log.warning("rate limits on again: their storage is reachable")
            self._retry_at = None
        if wait_us > 0:
            runtime.metrics().rate_limited.labels(name).inc()
            raise RateLimited(name, max(1, math.ceil(wait_us / _US)))


def init_rate_limits(app: Flask) -> None:
    runtime.rate_limiter.set(app, RateLimiter(app.config))


def check(name: str, key: str) -> None:
    runtime.rate_limiter().check(name, key)

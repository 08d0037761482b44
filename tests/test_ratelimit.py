"""The limiter itself: GCRA semantics, O(1) work per check (no timer, bounded memory, one Redis
round trip), fail-open. What users see of a refusal is in tests/realtime/test_rate_limits.py."""

from __future__ import annotations

import gc
import logging
import secrets
import threading
import time
from collections.abc import Iterator
from typing import Any

import gevent
import greenlet
import pytest
from redis.connection import Connection

from config import ConfigError
from livechat.ratelimit import MemoryStore, RateLimited, RateLimiter, RedisStore, parse_limit
from tests.support.server import free_port


class Clock:
    """Time that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def ctx(app: Any) -> Iterator[None]:
    """A refusal counts itself in the app's metrics: it needs an app context."""
    with app.app_context():
        yield


def _refusal(limiter: RateLimiter, name: str, key: str) -> int | None:
    """None when the check passes, else the refusal's retryAfter."""
    try:
        limiter.check(name, key)
    except RateLimited as refused:
        assert refused.details == {"limit": name, "retryAfter": refused.retry_after}
        return refused.retry_after
    return None


def test_the_notation_of_the_settings_parses() -> None:
    assert parse_limit("30/10seconds").burst_us == 30 * parse_limit("30/10seconds").interval_us
    assert parse_limit("20/minute") == parse_limit("20 per minute")
    assert parse_limit("20/minute").interval_us == parse_limit("1/3seconds").interval_us
    assert parse_limit("2/hour").interval_us == 1800 * 10**6
    for bad in ("0/minute", "30/10 fortnights", "1/minute;2/hour", "fast"):
        with pytest.raises(ValueError, match="N/period"):
            parse_limit(bad)
    with pytest.raises(ConfigError, match="RATE_LIMIT_TYPING"):
        RateLimiter({"RATE_LIMIT_TYPING": "lots"})


def test_a_burst_of_n_then_one_more_every_period_over_n(ctx: None) -> None:
    clock = Clock()
    limiter = RateLimiter({"RATE_LIMIT_MESSAGES": "3/minute"}, clock=clock)
    assert [_refusal(limiter, "messages", "u") for _ in range(4)] == [None, None, None, 20]
    assert _refusal(limiter, "messages", "other") is None  # per key
    clock.now += 19.5
    assert _refusal(limiter, "messages", "u") == 1  # not quite: half a second to go
    clock.now += 0.5
    assert [_refusal(limiter, "messages", "u") for _ in range(2)] == [None, 20]
    clock.now += 60
    assert [_refusal(limiter, "messages", "u") for _ in range(4)] == [None, None, None, 20]


def test_exactly_n_fit_a_burst_of_an_uneven_interval(ctx: None) -> None:
    # 10 s / 30 is no whole number of microseconds: the 30th must still pass, the 31st not.
    limiter = RateLimiter({"RATE_LIMIT_MESSAGES": "30/10seconds"}, clock=Clock())
    results = [_refusal(limiter, "messages", "u") for _ in range(31)]
    assert results == [None] * 30 + [1]


def test_steady_traffic_under_the_limit_is_never_refused(ctx: None) -> None:
    # The bench's steady chat: 1 message/s per user, against the default 30/10seconds.
    clock = Clock()
    limiter = RateLimiter({"RATE_LIMIT_MESSAGES": "30/10seconds"}, clock=clock)
    for _ in range(600):
        assert _refusal(limiter, "messages", "u") is None
        clock.now += 1.0


def _target(o: Any) -> Any:
    """What a greenlet or thread runs (gevent keeps it as ``_run``, threads as ``_target``)."""
    for name in ("_run", "run", "_target", "function"):
        found = getattr(o, name, None)
        if found is not None:
            return found
    return None


def _background() -> dict[int, str]:
    """Greenlets and threads alive now that timers or the rate limiter started (a thread is a
    greenlet under gevent), by id, with what they run. Other tests' servers and apps in this
    process start greenlets of their own at any moment (a queue refresh, a sweep): those are
    not this test's business."""
    found: dict[int, str] = {}
    for o in gc.get_objects():
        alive = (isinstance(o, greenlet.greenlet) and bool(o)) or (
            isinstance(o, threading.Thread) and o.is_alive()
        )
        if not alive:
            continue
        target = _target(o)
        module = getattr(target, "__module__", "") or ""
        if isinstance(o, threading.Timer) or module.startswith(("livechat.ratelimit", "limits")):
            found[id(o)] = f"{type(o).__name__} running {target!r}"
    return found


def test_checks_start_no_timer_or_greenlet(ctx: None) -> None:
    # The `limits` memory storage re-armed a threading.Timer (a greenlet under gevent) every
    # 10 ms while any key held hits: more CPU than the chat itself (issue 17).
    before = _background()
    limiter = RateLimiter({"RATE_LIMIT_MESSAGES": "5/10seconds"})
    refused = 0
    for i in range(10_000):
        if i % 500 == 0:
            gevent.sleep(0.01)  # give any timer the time to fire and re-arm
        try:
            limiter.check("messages", f"user-{i % 1000}")
        except RateLimited:
            refused += 1
    assert refused == 5_000
    started = {k: v for k, v in _background().items() if k not in before}
    assert started == {}


def test_memory_stays_bounded_and_stale_keys_go(ctx: None) -> None:
    clock = Clock()
    limiter = RateLimiter({"RATE_LIMIT_MESSAGES": "30/10seconds"}, clock=clock)
    store = limiter.store
    assert isinstance(store, MemoryStore)
    # 50,000 users each sending once, 100 a second: a hit is live for 1/3 s, so ~34 keys are.
    largest = 0
    for i in range(50_000):
        limiter.check("messages", f"user-{i}")
        clock.now += 0.01
        largest = max(largest, len(store))
    assert largest <= 2 * 1024 + 34
    # Everyone gone quiet; one user keeps chatting, and the others' entries are dropped.
    clock.now += 60
    for _ in range(2 * 1024):
        limiter.check("messages", "stayer")
        clock.now += 1
    assert len(store) == 1


def _counting_limiter(
    redis_url: str, clock: Any = None, **config: str
) -> tuple[RateLimiter, RedisStore, dict[str, Any]]:
    """A limiter on a real Redis whose connections record what they send, read and connect."""
    seen: dict[str, Any] = {"commands": [], "reads": 0, "connects": 0}

    class Counting(Connection):
        def send_command(self, *args: Any, **kwargs: Any) -> None:
            seen["commands"].append(str(args[0]).upper())
            super().send_command(*args, **kwargs)

        def read_response(self, *args: Any, **kwargs: Any) -> Any:
            seen["reads"] += 1
            return super().read_response(*args, **kwargs)

        def _connect(self) -> Any:
            seen["connects"] += 1
            return super()._connect()

    limiter = RateLimiter(
        {"REDIS_URL": redis_url, "REDIS_CHANNEL": f"rl-{secrets.token_hex(4)}"} | config,
        clock=clock or Clock(),
    )
    store = limiter.store
    assert isinstance(store, RedisStore)
    store.redis.connection_pool.connection_class = Counting
    return limiter, store, seen


def test_redis_check_is_one_round_trip(ctx: None, redis_url: str) -> None:
    limiter, store, seen = _counting_limiter(redis_url, RATE_LIMIT_MESSAGES="3/minute")
    limiter.check("messages", "warm-up")  # connects, and loads the script if Redis lacks it
    seen["commands"].clear()
    seen["reads"] = 0
    results = [_refusal(limiter, "messages", f"user-{i % 10}") for i in range(50)]
    assert results == [None] * 30 + [20] * 20  # ten users, three each
    assert seen["commands"] == ["EVALSHA"] * 50
    assert seen["reads"] == 50
    store.redis.close()


def test_redis_keys_expire_with_their_budget(ctx: None, redis_url: str) -> None:
    limiter, store, _ = _counting_limiter(redis_url, RATE_LIMIT_MESSAGES="30/10seconds")
    client = store.redis
    limiter.check("messages", "u1")
    (key,) = client.keys(f"{store.prefix}:*")
    assert 0 < client.pttl(key) <= 334  # one hit spends 1/30 of 10 s
    for _ in range(29):
        limiter.check("messages", "u1")
    assert 9_000 < client.pttl(key) <= 10_000
    assert _refusal(limiter, "messages", "u1") == 1
    client.close()


def test_redis_down_fails_open_and_is_retried_once_a_second(
    ctx: None, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    limiter, _, seen = _counting_limiter(
        f"redis://127.0.0.1:{free_port()}/0", clock, RATE_LIMIT_MESSAGES="1/minute"
    )
    with caplog.at_level(logging.WARNING, logger="livechat.ratelimit"):
        for _ in range(100):  # over the limit, yet not refused: the limit cannot be counted
            limiter.check("messages", "someone")
        tried = seen["connects"]
        assert tried >= 1
        clock.now += 0.9
        limiter.check("messages", "someone")
        assert seen["connects"] == tried  # not hammered while it is down
        clock.now += 0.2
        limiter.check("messages", "someone")
        assert seen["connects"] > tried
    warnings = [r for r in caplog.records if r.name == "livechat.ratelimit"]
    assert len(warnings) == 1 and "unreachable" in warnings[0].getMessage()


def _shared_limiters(redis_url: str, **config: Any) -> list[tuple[RateLimiter, dict[str, Any]]]:
    """Two limiters on one Redis and prefix, as two processes have, each counting its calls."""
    prefix = f"rl-{secrets.token_hex(4)}"
    made = []
    for _ in range(2):
        limiter, _store, seen = _counting_limiter(
            redis_url, time.monotonic, REDIS_CHANNEL=prefix, **config
        )
        made.append((limiter, seen))
    return made


def test_lookahead_answers_a_steady_user_mostly_from_memory(ctx: None, redis_url: str) -> None:
    # Real time: the leases end on the clock Redis's TIME keeps pace with.
    limiter, store, seen = _counting_limiter(
        redis_url, time.monotonic, RATE_LIMIT_MESSAGES="3000/10seconds", RATE_LIMIT_LOOKAHEAD="0.5"
    )
    limiter.check("messages", "warm-up")
    seen["commands"].clear()
    results = [_refusal(limiter, "messages", "steady") for _ in range(100)]
    assert results == [None] * 100
    # Leases of 2, 4, then 8: about one round trip in eight, not one each.
    assert 10 <= len(seen["commands"]) <= 20, seen["commands"]
    store.redis.close()


def test_lookahead_never_lets_more_than_the_limit_through_two_processes(
    ctx: None, redis_url: str
) -> None:
    (a, seen_a), (b, seen_b) = _shared_limiters(
        redis_url, RATE_LIMIT_MESSAGES="30/10seconds", RATE_LIMIT_LOOKAHEAD="2"
    )
    # One user's sockets on two processes, sending as fast as they can.
    passed = [
        _refusal(limiter, "messages", "both") is None for _ in range(40) for limiter in (a, b)
    ].count(True)
    # Never more than the burst; short of it by at most what the lookahead costs
    # (30 x 2 s / 10 s = 6) and what one process counted ahead and did not spend (7).
    assert 30 - 6 - 7 <= passed <= 30
    assert seen_a["commands"].count("EVALSHA") + seen_b["commands"].count("EVALSHA") < 80
    for limiter in (a, b):
        assert _refusal(limiter, "messages", "both") is not None
        assert isinstance(limiter.store, RedisStore)
        limiter.store.redis.close()

"""Wait on a condition, not a clock: poll until it holds, fail with what was awaited."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import gevent

T = TypeVar("T")


def wait_until(
    condition: Callable[[], T], timeout: float = 5.0, what: str = "", interval: float = 0.02
) -> T:
    """The first truthy value of ``condition()``, polled every ``interval`` seconds (other
    greenlets run meanwhile); AssertionError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"not within {timeout}s: {what or condition}")
        gevent.sleep(interval)

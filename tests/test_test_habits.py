"""The suite's own habits (STYLE.md, Tests): no greenlet outlives its test."""

from __future__ import annotations

import gevent
import pytest

from tests.support import leaks


def _runs_forever() -> None:
    gevent.sleep(3600)


def test_a_greenlet_left_running_fails_the_test_and_is_named() -> None:
    left = gevent.spawn(_runs_forever)
    with pytest.raises(AssertionError) as failure:
        leaks.check(grace=0.05)
    message = str(failure.value)
    assert message.startswith("1 greenlet(s) still running 0.05s after the test")
    assert "_runs_forever, spawned at tests/test_test_habits.py:" in message
    assert left.dead  # killed: it does not run on into the next test


def test_a_greenlet_that_ends_within_the_grace_is_no_leak() -> None:
    winding_down = gevent.spawn(gevent.sleep, 0.05)
    leaks.check(grace=2)
    assert winding_down.dead


def test_an_enduring_objects_own_greenlets_may_outlive_a_test() -> None:
    class Server:
        def handle(self) -> None:
            _runs_forever()

    server = leaks.enduring(Server())
    loop = gevent.spawn(server.handle)
    try:
        leaks.check(grace=0.05)
        assert not loop.dead
    finally:
        loop.kill()

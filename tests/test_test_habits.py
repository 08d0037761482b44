"""The suite's own habits (STYLE.md, Tests): tests wait on events, not clocks, and time nothing;
no greenlet outlives its test."""

from __future__ import annotations

import ast
import itertools
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gevent
import pytest

from tests.support import leaks

TESTS = Path(__file__).resolve().parent


# --- no fixed sleep before a negative assertion -------------------------------------------------
# "Nothing happened" after a sleep passes on a slow machine whether or not the thing would have
# happened: wait for the positive event that must come after it instead (a round trip on the
# same socket, the greenlets joined, the server's own signal), see tests/support/waiting.py.


def _called(node: ast.AST, name: str) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return (isinstance(func, ast.Attribute) and func.attr == name) or (
        isinstance(func, ast.Name) and func.id == name
    )


def _empty(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return node.value in (None, False, 0, "")
    if isinstance(node, ast.List | ast.Tuple | ast.Set | ast.Dict):
        return not getattr(node, "elts", getattr(node, "keys", None))
    return False


def _negative(stmt: ast.stmt) -> bool:
    """assert not ..., ... == [] (or 0, None, ...), ... is None, ... not in ..."""
    if not isinstance(stmt, ast.Assert):
        return False
    test = stmt.test
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return True
    if isinstance(test, ast.Compare):
        for op, right in zip(test.ops, test.comparators, strict=True):
            if isinstance(op, ast.NotIn):
                return True
            if isinstance(op, ast.Eq | ast.Is) and (_empty(right) or _empty(test.left)):
                return True
    return False


def _first(stmt: ast.stmt) -> ast.stmt:
    """The statement itself, or the first one inside a for/while/with/if that comes next."""
    while isinstance(stmt, ast.For | ast.While | ast.With | ast.If) and stmt.body:
        stmt = stmt.body[0]
    return stmt


def _blocks(tree: ast.AST) -> Iterator[list[ast.stmt]]:
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                yield block
        for handler in getattr(node, "handlers", []):
            yield handler.body


def sleeps_before_negative_asserts(source: str) -> list[int]:
    """Line numbers of a sleep(...) statement followed at once by a negative assertion, and of
    negative assertions about what a ChatClient.drain() (a sleep in disguise) collected."""
    tree = ast.parse(source)
    found = [
        stmt.lineno
        for block in _blocks(tree)
        for stmt, after in itertools.pairwise(block)
        if isinstance(stmt, ast.Expr) and _called(stmt.value, "sleep") and _negative(_first(after))
    ]
    found += [
        stmt.lineno
        for stmt in ast.walk(tree)
        if isinstance(stmt, ast.Assert)
        and _negative(stmt)
        and any(_called(n, "drain") for n in ast.walk(stmt.test))
    ]
    return sorted(found)


def test_no_test_sleeps_before_asserting_that_nothing_happened() -> None:
    offenders = [
        f"{path.relative_to(TESTS.parent)}:{line}"
        for path in sorted(TESTS.rglob("*.py"))
        for line in sleeps_before_negative_asserts(path.read_text())
    ]
    assert offenders == [], "wait for an event instead of a clock: " + ", ".join(offenders)


def _scan(snippet: str) -> list[int]:
    return sleeps_before_negative_asserts("def test():\n" + textwrap.indent(snippet, "    "))


@pytest.mark.parametrize(
    "source",
    [
        "gevent.sleep(0.3)\nassert not client.get_received()",
        "time.sleep(1)\nassert events(agent, 'typing:stop') == []",
        "sleep(0.5)\nassert count() == 0",
        "gevent.sleep(0.2)\nassert turn is None",
        "time.sleep(0.8)\nassert 'ai:complete' not in names",
        "time.sleep(1.5)\nfor c in clients:\n    assert not c.history",
        "assert [e for e, _ in client.drain() if e == 'message:new'] == []",
    ],
)
def test_the_scan_finds_a_sleep_before_a_negative_assertion(source: str) -> None:
    assert _scan(source)


@pytest.mark.parametrize(
    "source",
    [
        "gevent.sleep(0.05)\norder.append('other ran')",  # simulating work
        "time.sleep(0.2)\nassert wait_event(agent, 'typing:stop') == expected",
        "client.sync()\nassert 'ai:complete' not in names",
        "assert client.drain() == [('message:new', posted)]",
    ],
)
def test_the_scan_leaves_waits_and_positive_assertions_alone(source: str) -> None:
    assert _scan(source) == []


# --- no elapsed time compared with a constant --------------------------------------------------
# "It took under N seconds" is a figure about the machine, not a behaviour: a loaded run fails
# it, a fast one hides a regression. Assert what happened and in which order instead (events,
# counts, the server's own metrics); figures worth keeping go to a bench script (bench/run).
# A clock that bounds a wait for a positive event (``assert time.monotonic() < deadline``) is
# not a measurement and is left alone.

CLOCKS = ("monotonic", "perf_counter", "time", "monotonic_ns", "perf_counter_ns", "time_ns")
ORDERING = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)


def _reads(node: ast.AST, names: set[str]) -> bool:
    """The expression calls a clock or uses a name bound to a clock reading."""
    return any(
        any(_called(n, clock) for clock in CLOCKS) or (isinstance(n, ast.Name) and n.id in names)
        for n in ast.walk(node)
    )


def _number(node: ast.AST) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    )


def elapsed_time_asserts(source: str) -> list[int]:
    """Line numbers of assertions comparing an elapsed time (a difference involving a clock
    reading, or a name bound to one) with a number: ``assert time.monotonic() - t0 < 3``,
    ``elapsed = perf_counter() - start`` then ``assert elapsed < 1.0``."""
    tree = ast.parse(source)
    assigns = [n for n in ast.walk(tree) if isinstance(n, ast.Assign | ast.AnnAssign)]

    def bound(names: set[str], keep: Any) -> set[str]:
        found = set(names)
        for node in assigns:
            if node.value is not None and keep(node.value, found):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                found |= {t.id for t in targets if isinstance(t, ast.Name)}
        return found

    stamps = bound(set(), lambda value, found: _reads(value, found))  # t0 = time.monotonic()

    def elapsed(node: ast.AST, names: set[str]) -> bool:
        return (
            isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub) and _reads(node, stamps)
        ) or (isinstance(node, ast.Name) and node.id in names)

    durations = bound(set(), elapsed)  # elapsed = time.monotonic() - t0
    found = []
    for stmt in ast.walk(tree):
        if not isinstance(stmt, ast.Assert):
            continue
        for test in ast.walk(stmt.test):
            if not isinstance(test, ast.Compare):
                continue
            sides = [test.left, *test.comparators]
            for op, (left, right) in zip(test.ops, itertools.pairwise(sides), strict=True):
                if isinstance(op, ORDERING) and (
                    (elapsed(left, durations) and _number(right))
                    or (_number(left) and elapsed(right, durations))
                ):
                    found.append(stmt.lineno)
    return sorted(set(found))


def test_no_test_asserts_how_long_something_took() -> None:
    offenders = [
        f"{path.relative_to(TESTS.parent)}:{line}"
        for path in sorted(TESTS.rglob("*.py"))
        for line in elapsed_time_asserts(path.read_text())
    ]
    assert offenders == [], "assert the order of events, time it in bench/: " + ", ".join(offenders)


@pytest.mark.parametrize(
    "source",
    [
        "t0 = time.monotonic()\nwork()\nassert time.monotonic() - t0 < 3",
        "dropped_at = time.monotonic()\nwait()\nassert time.monotonic() - dropped_at < 3",
        "elapsed = time.perf_counter() - start\nassert elapsed < 1.0",
        "start = monotonic()\nend = monotonic()\nassert end - start <= 0.5",
        "took = time.time() - t\nassert 0 < took < 5",
        "t0 = time.monotonic()\nlatency = time.monotonic() - t0\nassert ok and latency > 0.1",
    ],
)
def test_the_scan_finds_an_elapsed_time_compared_with_a_number(source: str) -> None:
    assert elapsed_time_asserts("def test():\n" + textwrap.indent(source, "    "))


@pytest.mark.parametrize(
    "source",
    [
        "deadline = time.monotonic() + 5\nassert time.monotonic() < deadline, 'never came'",
        "elapsed = time.monotonic() - t0\nreport['seconds'] = round(elapsed, 2)",
        "assert len(batches) < 3",
        "went_down = time.monotonic()\nassert went_down < sent.first_try",
        "assert delta('livechat_gc_pause_seconds_count') >= 1",
    ],
)
def test_the_scan_leaves_deadlines_orderings_and_counts_alone(source: str) -> None:
    assert elapsed_time_asserts("def test():\n" + textwrap.indent(source, "    ")) == []


# --- no greenlet outlives its test ----------------------------------------------------------------


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

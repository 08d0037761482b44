"""Greenlets a test leaves running: found at its teardown, given a grace to end, then named.

``gc.freeze()`` at the start of a test moves every object that exists then out of the
collector's lists, so ``gc.get_objects()`` at the end returns only what the test created: the
scan costs what the test allocated, not the whole heap (~40 ms a test), and whatever was alive
before the test (session fixtures, earlier tests' infrastructure) is left out by construction.
"""

from __future__ import annotations

import gc
import os
import threading
import traceback
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import gevent

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# One loop per app, started by the app's first message or connection and stopped by
# shutdown_app(): alive after the test that started them, by design.
# The router's offline checks wait AGENT_OFFLINE_GRACE_SECONDS after an agent's last socket;
# its offline sweep runs every AGENT_OFFLINE_SWEEP_SECONDS (off in tests).
INFRASTRUCTURE = (
    "livechat.writer",
    "livechat.token_sweeper",
    "livechat.idle_sweeper",
    "livechat.sla_watch",
    "livechat.router",
)

_enduring: weakref.WeakSet[Any] = weakref.WeakSet()


def enduring(thing: Any) -> Any:
    """Register what outlives single tests (a session or module fixture's app or server) and
    returns it: its own greenlets may stay alive after a test."""
    _enduring.add(thing)
    return thing


def enduring_apps() -> list[Any]:
    """The enduring Flask apps (their database pools, say, outlive single tests too)."""
    return [thing for thing in list(_enduring) if hasattr(thing, "extensions")]


def _owners() -> set[int]:
    """ids of the objects whose greenlets may outlive a test: the enduring apps' background
    loops and Engine.IO servers (whose service task the first socket starts), the enduring
    servers (a keep-alive connection from a long-lived client waits for its next request)."""
    owners: set[int] = set()
    for thing in list(_enduring):
        extensions = getattr(thing, "extensions", None)
        if extensions is None:
            owners.add(id(thing))
            continue
        owners.update(id(extensions[n]) for n in INFRASTRUCTURE if n in extensions)
        socketio = extensions.get("socketio")
        if socketio is not None and socketio.server is not None:
            owners.add(id(socketio.server.eio))
    return owners


def _owner(greenlet: Any) -> Any:
    """The object whose method the greenlet runs (for a gevent server's connection handler,
    ``_handle_and_close_when_done(server.handle, ...)``, the server)."""
    run = getattr(greenlet, "_run", None)
    if hasattr(run, "__self__"):
        return run.__self__
    args = getattr(greenlet, "args", ())
    return getattr(args[0], "__self__", None) if args else None


def _is_thread(greenlet: Any) -> bool:
    """A (monkey-patched) threading.Thread runs as a greenlet of its own."""
    owner = getattr(getattr(greenlet, "_run", None), "__self__", None)
    return isinstance(owner, threading.Thread)


def describe(greenlet: Any) -> str:
    """Its name, what it runs, the line of the project that spawned it, where it waits."""
    run = getattr(greenlet, "_run", None)
    if _is_thread(greenlet):
        run = run.__self__._target  # say what the thread runs
    what = getattr(run, "__qualname__", None) or repr(run)
    where = ""
    stack = getattr(greenlet, "spawning_stack", None)
    if stack is not None:
        ours = [
            f"{os.path.relpath(f.filename, ROOT)}:{f.lineno}"
            for f in traceback.extract_stack(stack)
            if f.filename.startswith(ROOT) and "/.venv/" not in f.filename
        ]
        if ours:
            where = f", spawned at {ours[-1]}"
    frame = getattr(greenlet, "gr_frame", None)
    if frame is not None:
        waiting = traceback.extract_stack(frame)[-4:]
        where += ", now in " + " < ".join(
            f"{f.name} ({os.path.basename(f.filename)}:{f.lineno})" for f in reversed(waiting)
        )
    return f"{greenlet.name} running {what}{where}"


def _alive(objects: Iterable[Any]) -> list[Any]:
    return [o for o in objects if isinstance(o, gevent.Greenlet) and bool(o)]


def check(grace: float) -> None:
    """Fail naming the greenlets created since ``gc.freeze()`` that are still alive ``grace``
    seconds from now (each is killed first, but threads)."""
    owners = _owners()
    left = [g for g in _alive(gc.get_objects()) if id(_owner(g)) not in owners]
    if left:
        gevent.joinall(left, timeout=grace)
        left = _alive(left)
    if left:
        names = [describe(g) for g in left]
        # Not into the next test; but a thread killed so reports GreenletExit in the next
        # test's setup (pytest's threadexception plugin): threads are only named.
        gevent.killall([g for g in left if not _is_thread(g)], timeout=2)
        raise AssertionError(
            f"{len(left)} greenlet(s) still running {grace}s after the test: " + "; ".join(names)
        )


@contextmanager
def no_leaks(grace: float) -> Iterator[None]:
    """Fail if greenlets created inside the block are still alive ``grace`` seconds after it
    (not nestable: the inner block's unfreeze would end the outer one's)."""
    gc.freeze()
    try:
        yield
        check(grace)
    finally:
        gc.unfreeze()

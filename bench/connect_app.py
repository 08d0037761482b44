"""gunicorn app for bench/connect_profile.py: the shipped ``wsgi:app`` plus counters.

Counts, inside the web process, what reaches PostgreSQL and Redis: SQL statements
(SQLAlchemy's ``before_cursor_execute``, by statement shape), transactions that are not
autocommit (each costs a BEGIN and a COMMIT/ROLLBACK round trip beside its statements), pool
checkouts, Redis round trips (redis-py's ``send_packed_command``: a pipeline is one), and the
cyclic garbage collector's passes and the time they took (``gc.callbacks``; a profiler puts
that time on whichever line allocated when a pass started). ``BENCH_GC_THRESHOLD=a,b,c`` sets
the collector's thresholds for an experiment (Python's are 700,10,10).
``GET /__bench/counts`` answers them as JSON and ``POST /__bench/counts`` resets them; every
other request goes to the app unchanged. Started with the project's directory as the working
directory (``wsgi`` is imported from there) and this folder on ``--pythonpath``.
"""

from __future__ import annotations

import functools
import gc
import json
import os
import re
import time
from collections import Counter
from typing import Any

import wsgi  # monkey-patches first, then builds the app

app = wsgi.app
counts: Counter[str] = Counter()
shapes: Counter[str] = Counter()
_WORDS = re.compile(r"\s+")


@functools.cache
def _shape(statement: str) -> str:
    text = _WORDS.sub(" ", statement).strip()
    head = text.split(" FROM ", 1)
    if len(head) == 2 and text.startswith("SELECT"):
        text = "SELECT … FROM " + head[1]
    return text[:110]


def _install() -> None:
    from sqlalchemy import event

    from livechat.extensions import db

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def _statement(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        counts["statements"] += 1
        shapes[_shape(statement)] += 1

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            counts["transactions"] += 1

    @event.listens_for(engine.pool, "checkout")
    def _checkout(*args: Any) -> None:
        counts["checkouts"] += 1

    started = [0.0]

    def _gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
            return
        counts[f"gc_gen{info['generation']}"] += 1
        counts["gc_us"] += int(1e6 * (time.perf_counter() - started[0]))

    gc.callbacks.append(_gc)
    threshold = os.environ.get("BENCH_GC_THRESHOLD")  # an experiment: "700,10,10" is Python's
    if threshold:
        gc.set_threshold(*(int(x) for x in threshold.split(",")))

    try:
        import redis.connection
    except ImportError:
        return
    original = redis.connection.Connection.send_packed_command

    def send_packed_command(self: Any, *args: Any, **kwargs: Any) -> Any:
        counts["redis"] += 1
        return original(self, *args, **kwargs)

    redis.connection.Connection.send_packed_command = send_packed_command  # type: ignore[method-assign]


_install()
_inner = app.wsgi_app


def _counting_wsgi(environ: dict[str, Any], start_response: Any) -> Any:
    if environ.get("PATH_INFO") != "/__bench/counts":
        return _inner(environ, start_response)
    if environ.get("REQUEST_METHOD") == "POST":
        counts.clear()
        shapes.clear()
    body = json.dumps({"counts": dict(counts), "shapes": dict(shapes)}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]


app.wsgi_app = _counting_wsgi  # type: ignore[method-assign]

"""The floor B with a Redis message queue: the harness's bare Flask-SocketIO app, unchanged, with
``message_queue=REDIS_URL`` given to its SocketIO, so two B processes behind nginx pay the same
Redis hop as livechat's. Serve it like B: ``gunicorn ... --chdir bench floor_redis:app``.

The shared harness's ``servers/py_flask/app.py`` has no Redis option and is not ours to change,
so it is run here as it is (BENCH_HARNESS, default ../../shared/bench) with SocketIO's
constructor given the queue.
"""

from gevent import monkey

monkey.patch_all()

import os  # noqa: E402
import runpy  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import flask_socketio  # noqa: E402

HARNESS = Path(
    os.environ.get("BENCH_HARNESS") or Path(__file__).resolve().parents[2] / "shared" / "bench"
)
_init = flask_socketio.SocketIO.__init__


def _with_queue(self: Any, app: Any = None, **kwargs: Any) -> None:
    kwargs.setdefault("message_queue", os.environ["REDIS_URL"])
    _init(self, app, **kwargs)


flask_socketio.SocketIO.__init__ = _with_queue
app = runpy.run_path(str(HARNESS / "servers" / "py_flask" / "app.py"))["app"]

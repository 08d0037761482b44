"""gunicorn settings: one gevent websocket worker per process (scale with processes behind nginx
and Redis: docs/deployment.md)."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"
# gevent-websocket's worker: plain `-k gevent` silently breaks websocket upgrades.
worker_class = "geventwebsocket.gunicorn.workers.GeventWebSocketWorker"
# One worker per process, always. gunicorn's workers share one port with no sticky routing, so a
# client on Socket.IO's polling transport (the client's default start, the widget whenever
# WebSocket is blocked) would send its requests to a worker that does not hold its session and
# never connect. More cores: more processes, each on its own port, behind a load balancer with
# sticky routing and Redis between them (docs/deployment.md, deploy/nginx.conf).
ONE_WORKER = (
    "livechat runs exactly one gunicorn worker per process, because Socket.IO's polling "
    "transport needs every request of a client to reach the process holding its session and "
    "gunicorn's workers share a port without sticky routing. Use more cores by running more "
    "processes, each with one worker on its own PORT, behind nginx with sticky routing and "
    "REDIS_URL set: see docs/deployment.md and deploy/nginx.conf."
)
_concurrency = os.environ.get("WEB_CONCURRENCY", "").strip() or "1"
if _concurrency != "1":
    raise SystemExit(
        f"WEB_CONCURRENCY={_concurrency}: {ONE_WORKER} Set WEB_CONCURRENCY=1 (Heroku-style hosts "
        "set it for you: override it)."
    )
workers = 1
# The default of 1,000 would make socket 1,001 time out.
worker_connections = int(os.environ.get("WORKER_CONNECTIONS", "10000"))
timeout = 60
graceful_timeout = 20


def post_worker_init(worker):
    """Move everything start-up built (modules, the app, SQLAlchemy's mappers) out of the GC's
    reach: later full collections then scan only live traffic, which keeps their pauses short."""
    import gc

    gc.collect()
    gc.freeze()


def on_starting(server):
    """The same refusal for ``-w N`` on the command line, which overrides this file."""
    if server.cfg.workers != 1:
        raise SystemExit(f"{server.cfg.workers} workers requested: {ONE_WORKER}")

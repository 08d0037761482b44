"""gunicorn settings: one gevent websocket worker per process (scale with processes + Redis)."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"
# gevent-websocket's worker: plain `-k gevent` silently breaks websocket upgrades.
worker_class = "geventwebsocket.gunicorn.workers.GeventWebSocketWorker"
# One process per core is the usual shape; several processes share rooms only through Redis.
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
if workers > 1 and not os.environ.get("REDIS_URL"):
    raise SystemExit(
        "WEB_CONCURRENCY > 1 needs REDIS_URL: without the message queue a message reaches only "
        "the sockets of the process that stored it"
    )
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

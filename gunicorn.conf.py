"""gunicorn settings: one gevent websocket worker per process (scale with processes + Redis)."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"
# gevent-websocket's worker: plain `-k gevent` silently breaks websocket upgrades.
worker_class = "geventwebsocket.gunicorn.workers.GeventWebSocketWorker"
workers = 1
# The default of 1,000 would make socket 1,001 time out.
worker_connections = int(os.environ.get("WORKER_CONNECTIONS", "10000"))
timeout = 60
graceful_timeout = 20

"""WSGI entry point. gevent monkey-patching comes first, before anything else is imported."""

from gevent import monkey

monkey.patch_all()

import gc  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402

import gevent  # noqa: E402
from gevent import pywsgi  # noqa: E402
from geventwebsocket.handler import WebSocketHandler  # noqa: E402

from config import ConfigError  # noqa: E402

try:
    from livechat import create_app

    app = create_app()
except ConfigError as exc:
    print(f"livechat: configuration error: {exc}", file=sys.stderr)
    sys.exit(2)


def main() -> None:
    """Serve with gevent (websocket included) on $PORT; development applies migrations first."""
    if app.config.get("AUTO_MIGRATE"):
        from flask_migrate import upgrade

        with app.app_context():
            upgrade()
    host = os.environ.get("HOST", "0.0.0.0")  # noqa: S104 - a server listens on all interfaces
    port = int(os.environ.get("PORT", "5000"))
    app.logger.info("livechat (%s) on http://%s:%d", app.config["LIVECHAT_ENV"], host, port)
    # What SocketIO.run() does for gevent, plus TCP_NODELAY (as gunicorn sets): without it a
    # small frame right after another waits for the peer's delayed ACK (~40 ms per ack).
    server = _Server((host, port), app, handler_class=WebSocketHandler, log=None)
    gc.collect()  # as gunicorn.conf.py does: start-up objects out of the GC's reach
    gc.freeze()
    app.extensions["socketio"].wsgi_server = server
    # Ctrl-C, SIGTERM (kill, systemd, docker stop) and SIGHUP (the terminal closed) stop the
    # server and the process exits normally: the app's workers stop, and the embedded
    # PostgreSQL of a development run is stopped at exit (a killed process could not).
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        gevent.signal_handler(signum, server.stop)
    try:
        server.serve_forever()
    finally:
        from livechat import shutdown_app

        shutdown_app(app)
    app.logger.info("livechat stopped")


class _Server(pywsgi.WSGIServer):
    def handle(self, sock: socket.socket, address: tuple) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().handle(sock, address)


if __name__ == "__main__":
    main()

"""Structured logs: one JSON object per line, with the request, socket and chat they concern.

``LOG_FORMAT=json`` (the default in production) or ``text``. Every record logged while a request
or a socket event is handled carries ``requestId`` (REST; taken from a well-formed
``X-Request-ID`` or made up, and echoed in the response), ``sid`` and ``event`` (sockets),
``sessionId`` (the chat) and ``uid`` (who). Tokens and message bodies are never put in a record:
the context is read from ids only, and the access line has the path without its query string.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request

REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
access_log = logging.getLogger("livechat.access")

# Attributes of a LogRecord itself; anything else on a record came from ``extra=``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def _context() -> dict[str, Any]:
    if not has_request_context():
        return {}
    ctx: dict[str, Any] = {}
    request_id = g.get("request_id")
    if request_id:
        ctx["requestId"] = request_id
    sid = getattr(request, "sid", None)
    if sid:  # a Socket.IO event (Flask-SocketIO sets these on its request context)
        ctx["sid"] = sid
        event = getattr(request, "event", None) or {}
        ctx["event"] = event.get("message")
        args = event.get("args") or ()
        if args and isinstance(args[0], dict) and isinstance(args[0].get("sessionId"), str):
            ctx["sessionId"] = args[0]["sessionId"][:64]
    elif request.view_args and "session_id" in request.view_args:
        ctx["sessionId"] = request.view_args["session_id"]
    actor = g.get("actor")
    if actor is not None:
        ctx["uid"] = actor.id
    return ctx


class ContextFilter(logging.Filter):
    """Adds the request/socket context to every record (a handler filter: sees all loggers)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "ctx"):
            record.ctx = _context()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(getattr(record, "ctx", {}))
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD and k != "ctx"})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ctx = getattr(record, "ctx", None)
        return f"{line} {ctx}" if ctx else line


def configure(app: Flask) -> None:
    """Install the formatter on a root handler (once per process) and the access log."""
    level = getattr(logging, app.config.get("LOG_LEVEL", "INFO"), logging.INFO)
    fmt = app.config.get("LOG_FORMAT") or "text"
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "livechat", False)), None)
    if handler is None:
        handler = logging.StreamHandler()
        handler.livechat = True  # type: ignore[attr-defined]
        handler.addFilter(ContextFilter())
        root.addHandler(handler)
        if root.level > level or root.level == logging.WARNING:
            root.setLevel(level)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    logging.getLogger("livechat").setLevel(level)
    # gevent-websocket's handler writes its own access line per request: ours (below) has ids.
    logging.getLogger("geventwebsocket.handler").setLevel(max(level, logging.WARNING))

    @app.before_request
    def _start() -> None:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "")
        if request.path.startswith(("/static/", app.config.get("SOCKETIO_PATH", "/socket.io"))):
            return response
        started = g.get("request_started")
        access_log.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "durationMs": round((time.perf_counter() - started) * 1000, 2) if started else None,
            },
        )
        return response

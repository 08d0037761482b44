"""The assistant in its own processes (``AI_WORKER=external``).

An AI reply costs tens of ms of CPU (two provider requests parsed into models, the analysis, the
database writes, a delta per chunk). In the web process that CPU comes out of people's messages:
with 20 replies streaming, a busy process's human fan-out p99 rose 2-9x (docs/performance.md).
With ``AI_WORKER=external`` the web processes only *hand over* turns and the assistant runs in
``flask livechat assistant`` processes, which emit to the rooms through the Socket.IO message
queue (Redis) like any other process, and can run on other cores or machines.

The hand-over (one Redis pub/sub channel, ``<REDIS_CHANNEL>-assistant``):
- ``{"op": "message", "sessionId"}``: a customer wrote in an ACTIVE session without an agent;
- ``{"op": "stop", "sessionId", "reason"}``: a human took over or the chat ended.
Every assistant process hears every command. A turn runs in ONE of them: the one that claims
the session first (``SET NX`` with an expiry; the holder supersedes its own turn on the next
message, the others ignore it). Pub/sub forgets what nobody heard, so each assistant process
also looks for customer messages left unanswered (it was down, or Redis was) when it
subscribes and every ``AI_RESUME_INTERVAL`` seconds; the database is the source of truth.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections.abc import Iterable
from typing import Any

import gevent
import redis
from flask import Flask
from gevent.event import Event
from gevent.pywsgi import WSGIServer
from prometheus_client import generate_latest
from sqlalchemy.exc import SQLAlchemyError

from livechat import redisconn, runtime
from livechat.metrics import metrics
from livechat.services import assistant as assistant_service

log = logging.getLogger(__name__)

# A resume check leaves alone messages younger than this (the pub/sub hand-over is on its way).
RESUME_GRACE_SECONDS = 2.0
_STOP_REASONS = frozenset({"agent_assigned", "escalated", "session_ended"})

_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"
_EXTEND = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then "
    "return redis.call('pexpire', KEYS[1], ARGV[2]) end"
)


def channel_name(app: Flask) -> str:
    return f"{app.config['REDIS_CHANNEL']}-assistant"


def _client(app: Flask, **options: Any) -> Any:
    return redisconn.client(
        app.config["REDIS_URL"],
        app.config,
        socket_connect_timeout=2,
        socket_keepalive=True,
        **options,
    )


class RemoteAssistant:
    """The web side: what the assistant listeners call instead of the in-process orchestrator."""

    # With no assistant process running every customer message would log the same warning.
    WARN_EVERY_SECONDS = 60.0

    def __init__(self, app: Flask) -> None:
        self._redis = _client(app, socket_timeout=2)
        self._channel = channel_name(app)
        self._unheard = 0  # hand-overs nobody heard since the last warning
        self._warned_at: float | None = None

    def customer_message(self, session_id: str) -> None:
        self._publish({"op": "message", "sessionId": session_id})

    def stop(self, session_id: str, reason: str) -> None:
        self._publish({"op": "stop", "sessionId": session_id, "reason": reason})

    def _publish(self, command: dict[str, str]) -> None:
        try:
            heard = self._redis.publish(self._channel, json.dumps(command))
        except redis.RedisError as exc:
            # The message is stored; an assistant process answers it when it next looks.
            log.warning("could not hand %s to the assistant: %s", command["op"], exc)
            return
        if heard:
            self._unheard = 0
            return
        self._unheard += 1
        now = time.monotonic()
        if self._warned_at is None or now - self._warned_at >= self.WARN_EVERY_SECONDS:
            self._warned_at = now
            log.warning(
                "no assistant process is listening (AI_WORKER=external): %d hand-over(s) "
                "unheard; they are answered once an assistant process starts",
                self._unheard,
            )


class TurnClaims:
    """Which assistant process runs a session's turn: a Redis key per session, with an expiry
    (a crashed holder frees it) that the holder extends while its turn goes on."""

    def __init__(self, client: Any, prefix: str, ttl_seconds: float) -> None:
        self._redis = client
        self._prefix = prefix
        self._ttl_ms = int(ttl_seconds * 1000)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{os.urandom(4).hex()}"

    def _key(self, session_id: str) -> str:
        return f"{self._prefix}:{session_id}"

    def acquire(self, session_id: str) -> bool:
        try:
            key = self._key(session_id)
            return bool(self._redis.set(key, self.owner, nx=True, px=self._ttl_ms))
        except redis.RedisError as exc:
            log.warning("could not claim an AI turn: %s", exc)
            return False  # answered by the next resume check once Redis is back

    def extend(self, session_id: str) -> None:
        try:
            self._redis.eval(_EXTEND, 1, self._key(session_id), self.owner, self._ttl_ms)
        except redis.RedisError as exc:
            log.warning("could not extend an AI turn's claim: %s", exc)

    def release(self, session_id: str) -> None:
        try:
            self._redis.eval(_RELEASE, 1, self._key(session_id), self.owner)
        except redis.RedisError as exc:  # it expires on its own
            log.warning("could not release an AI turn's claim: %s", exc)


def parse_command(data: Any) -> tuple[str, str, str | None] | None:
    """(op, session id, reason) of a hand-over command, or None for anything malformed."""
    try:
        command = json.loads(data)
    except (TypeError, ValueError):
        return None
    if not isinstance(command, dict):
        return None
    op, session_id, reason = command.get("op"), command.get("sessionId"), command.get("reason")
    if not isinstance(session_id, str) or not 0 < len(session_id) <= 64:
        return None
    if op == "message":
        return op, session_id, None
    if op == "stop" and reason in _STOP_REASONS:
        return op, session_id, reason
    return None


class AssistantWorker:
    """One assistant process: hears hand-overs, runs turns, looks for unanswered messages."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.orchestrator = runtime.orchestrator(app)
        cfg = app.config
        self.claims = TurnClaims(
            _client(app, socket_timeout=2),
            f"{cfg['REDIS_CHANNEL']}:assistant:turn",
            cfg["AI_TOTAL_TIMEOUT"] + 30,
        )
        self.orchestrator.claims = self.claims
        # The listener's connection blocks in SUBSCRIBE: no read timeout, a ping now and then.
        self._listen_redis = _client(app, health_check_interval=15)
        self.channel = channel_name(app)
        self.resume_interval = float(cfg["AI_RESUME_INTERVAL"])
        self.resume_window = float(cfg["AI_RESUME_WINDOW"])
        self.subscribed = Event()
        self.stopped = Event()
        self._greenlets: list[gevent.Greenlet] = []

    # ---- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        self._greenlets = [gevent.spawn(self._listen), gevent.spawn(self._resume_loop)]

    def stop(self, grace: float = 10) -> None:
        """Stop hearing new work; let running replies finish for up to ``grace`` seconds."""
        self.stopped.set()
        gevent.killall(self._greenlets, timeout=2)
        self.orchestrator.drain(grace)

    def wait(self) -> None:
        self.stopped.wait()

    # ---- hand-overs ----------------------------------------------------------------------

    def _listen(self) -> None:
        backoff = 0.5
        while not self.stopped.is_set():
            pubsub = self._listen_redis.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(self.channel)
                self.subscribed.set()
                log.info("assistant listening on %s", self.channel)
                backoff = 0.5
                self.resume(grace=0)  # what was handed over while nobody listened
                for message in pubsub.listen():
                    if message.get("type") == "message":
                        self.handle(message["data"])
            except redis.RedisError as exc:
                self.subscribed.clear()
                log.warning("assistant lost Redis (%s); retrying in %.1f s", exc, backoff)
                self.stopped.wait(backoff)
                backoff = min(backoff * 2, 5)
            finally:
                pubsub.close()

    def handle(self, data: Any) -> None:
        parsed = parse_command(data)
        if parsed is None:
            log.warning("ignored a malformed assistant command")
            return
        op, session_id, reason = parsed
        if op == "message":
            self.orchestrator.customer_message(session_id)
        else:
            self.orchestrator.stop(session_id, reason or "session_ended")

    # ---- catching up ---------------------------------------------------------------------

    def _resume_loop(self) -> None:
        while not self.stopped.wait(self.resume_interval):
            self.resume()

    def resume(self, grace: float = RESUME_GRACE_SECONDS) -> int:
        """Start turns for unanswered customer messages; how many were started here."""
        try:
            with self.app.app_context():
                session_ids: Iterable[str] = assistant_service.awaiting_reply(
                    grace, self.resume_window
                )
        except SQLAlchemyError as exc:
            log.warning("could not look for unanswered messages: %s", type(exc).__name__)
            return 0
        started = sum(1 for sid in session_ids if self.orchestrator.resume(sid))
        if started:
            log.info("resumed %d unanswered chat(s)", started)
        return started

    # ---- health and metrics --------------------------------------------------------------

    def wsgi(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        """/healthz (200 while subscribed) and /metrics (this process's assistant figures)."""
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            body = generate_latest(metrics(self.app).registry)
            start_response("200 OK", [("Content-Type", "text/plain; version=0.0.4")])
            return [body]
        if path == "/healthz":
            ok = self.subscribed.is_set() and not self.stopped.is_set()
            status = "200 OK" if ok else "503 Service Unavailable"
            body = json.dumps({"status": "ok" if ok else "unavailable"}).encode()
            start_response(status, [("Content-Type", "application/json")])
            return [body]
        start_response("404 Not Found", [("Content-Type", "application/json")])
        return [b'{"error": "not_found"}']

    def serve(self, host: str, port: int) -> WSGIServer:
        server = WSGIServer((host, port), self.wsgi, log=None)
        server.start()
        return server

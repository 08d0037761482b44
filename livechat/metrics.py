"""Prometheus metrics (GET /metrics): sockets, messages, commit latency, the assistant, the queue.

One registry per app (apps built side by side in one process keep separate counts). Call sites
use ``metrics(app).<name>``; the queue gauges are read from the database at scrape time.
"""

from __future__ import annotations

import gc
import time
import weakref
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Flask, Response
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from livechat import runtime

bp = Blueprint("metrics", __name__)

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)


class Metrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.sockets = Gauge(
            "livechat_socket_connections", "Connected sockets", ["namespace"], registry=registry
        )
        self.messages_stored = Counter(
            "livechat_messages_stored_total", "Messages stored", ["sender_type"], registry=registry
        )
        self.send_seconds = Histogram(
            "livechat_message_send_seconds",
            "message:send handled: stored, committed and handed to the room",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.commit_seconds = Histogram(
            "livechat_db_commit_seconds",
            "The database statement that stores and commits a batch of messages",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.batch_size = Histogram(
            "livechat_db_batch_messages",
            "Messages stored by one group-commit statement",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
            registry=registry,
        )
        self.emit_seconds = Histogram(
            "livechat_fanout_seconds",
            "Time to hand message:new to the room's sockets (or Redis)",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.ai_turns = Counter(
            "livechat_ai_turns_total", "AI turns by outcome", ["outcome"], registry=registry
        )
        self.ai_errors = Counter(
            "livechat_ai_errors_total", "AI failures by code", ["code"], registry=registry
        )
        self.ai_tokens = Counter(
            "livechat_ai_tokens_total", "Tokens used by the assistant", ["kind"], registry=registry
        )
        self.ai_first_token = Histogram(
            "livechat_ai_first_token_seconds",
            "From a customer's message to the assistant's first streamed token",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32),
            registry=registry,
        )
        self.escalations = Counter(
            "livechat_escalations_total", "Handoffs to humans by rule", ["rule"], registry=registry
        )
        self.sla_breaches = Counter(
            "livechat_sla_breaches_total",
            "Chats that waited past the first-response SLA, by priority",
            ["priority"],
            registry=registry,
        )
        self.rate_limited = Counter(
            "livechat_rate_limited_total", "Refusals by rate limit", ["limit"], registry=registry
        )
        # Every greenlet stops while the collector runs: a long pause is a latency spike for
        # every chat the process carries (the p99 this histogram explains).
        self.gc_pause = Histogram(
            "livechat_gc_pause_seconds",
            "Python garbage collector pauses by generation",
            ["generation"],
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25),
            registry=registry,
        )
        _watch_gc(self)


_GC_WATCHERS: weakref.WeakSet[Metrics] = weakref.WeakSet()
_gc_started = 0.0


def _on_gc(phase: str, info: dict[str, Any]) -> None:
    global _gc_started
    if phase == "start":
        _gc_started = time.perf_counter()
        return
    pause = time.perf_counter() - _gc_started
    generation = str(info.get("generation"))
    for watcher in list(_GC_WATCHERS):
        watcher.gc_pause.labels(generation).observe(pause)


def _watch_gc(m: Metrics) -> None:
    """One process-wide gc callback feeds every app's histogram (tests build many apps)."""
    _GC_WATCHERS.add(m)
    if _on_gc not in gc.callbacks:
        gc.callbacks.append(_on_gc)


class QueueCollector(Collector):
    """Queue length and oldest wait, read when Prometheus scrapes (not on the chat's hot path)."""

    def __init__(self, app: Flask) -> None:
        self._app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from livechat.services.queue import waiting_summary

        with self._app.app_context():
            waiting, oldest = waiting_summary()
        yield GaugeMetricFamily("livechat_queue_waiting", "Sessions waiting", value=waiting)
        yield GaugeMetricFamily(
            "livechat_queue_oldest_wait_seconds", "Longest current wait", value=oldest
        )


class RelayOrderCollector(Collector):
    """How often a chat message reached this process before an earlier one (several processes
    through Redis): held until it came, released after the wait, or came after that."""

    def __init__(self, reorderer: Any) -> None:
        self._reorderer = reorderer

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            "livechat_relay_reorder",
            "Chat messages that arrived out of seq order, by what became of them",
            labels=["outcome"],
        )
        r = self._reorderer
        family.add_metric(["held"], r.held_total)
        family.add_metric(["released_after_wait"], r.released_by_timeout)
        family.add_metric(["late"], r.late_total)
        yield family


class RelayPublishCollector(Collector):
    """This process's Redis publisher (realtime/relay.py): what waits, what went out in how
    many pipelined writes, and what was delivered here because Redis did not take it."""

    def __init__(self, manager: Any) -> None:
        self._manager = manager

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        queued, writes, sent, here, waited = self._manager.publish_stats()
        yield GaugeMetricFamily(
            "livechat_relay_publish_queue",
            "Emits waiting for this process's Redis publisher",
            value=queued,
        )
        family = CounterMetricFamily(
            "livechat_relay_published",
            "Emits of this process for the other processes, by what became of them",
            labels=["outcome"],
        )
        family.add_metric(["sent"], sent)
        family.add_metric(["delivered_here"], here)  # nobody subscribed, or Redis refused
        yield family
        yield CounterMetricFamily(
            "livechat_relay_publish_writes",
            "Pipelined writes to Redis (sent / writes: the average batch)",
            value=writes,
        )
        yield CounterMetricFamily(
            "livechat_relay_publish_waits",
            "Emits that waited for room in the publisher's full queue (Redis slower than we emit)",
            value=waited,
        )


def init_metrics(app: Flask) -> Metrics:
    registry = CollectorRegistry()
    m = runtime.metrics.set(app, Metrics(registry))
    registry.register(QueueCollector(app))
    app.register_blueprint(bp)
    return m


def metrics(app: Flask | None = None) -> Metrics:
    return runtime.metrics(app)


class timer:  # noqa: N801 - used like a function
    """``with timer(histogram):`` observes the block's duration."""

    def __init__(self, histogram: Histogram) -> None:
        self._h = histogram

    def __enter__(self) -> None:
        self._t = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self._h.observe(time.perf_counter() - self._t)


@bp.get("/metrics")
def prometheus() -> Response:
    """Prometheus text format. Restrict it to your monitoring network at the proxy."""
    return Response(generate_latest(metrics().registry), mimetype="text/plain; version=0.0.4")

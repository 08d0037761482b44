"""The Socket.IO message queue between processes (Redis), with batched publishing.

python-socketio's ``RedisManager`` publishes one Redis message per emit, and every web process
wakes, reads and parses each one. An assistant process (``AI_WORKER=external``) emits ~18
events per reply (``ai:processing``, the deltas, the stored reply, ``ai:complete``) for
sockets it does not hold, so each of them costs every web process a wake-up and a Redis read.
With ``batch_seconds`` set (assistant processes: ``AI_RELAY_INTERVAL``), the events emitted
within that interval go out as one Redis message, which the web processes unpack in order.

Web processes keep publishing at once (people's messages must not wait). A web process relays
batches on a lane of their own, in order, one event at a time, each once the process has no
I/O to handle (at most ``BATCH_MAX_WAIT_SECONDS`` after the batch arrived; later than that they
go at once): the 20 deltas of 20 replies streaming in step arrive together, and relayed in one
go they held up people's messages for their whole length (human fan-out p99 x2 at 125 msg/s in
bench/run ai). Only assistant processes publish batches (a batch of one included); everything
else, people's messages from other web processes among it, is relayed as it comes.

The listener also comes back sooner after a Redis outage: python-socketio doubles its wait
between attempts up to 60 s, so live relay could stay off for a minute after Redis returned;
here the wait stops growing at ``LISTEN_RETRY_MAX_SECONDS``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import gevent
import gevent.queue
import socketio

log = logging.getLogger(__name__)

BATCH_METHOD = "batch"
BATCH_MAX_WAIT_SECONDS = 0.05
LISTEN_RETRY_FIRST_SECONDS = 0.5
LISTEN_RETRY_MAX_SECONDS = 5.0


def retry_delays() -> Iterator[float]:
    """Waits between the listener's reconnection attempts: doubling, capped."""
    delay = LISTEN_RETRY_FIRST_SECONDS
    while True:
        yield delay
        delay = min(delay * 2, LISTEN_RETRY_MAX_SECONDS)


class RelayManager(socketio.RedisManager):  # type: ignore[misc]
    """``RedisManager`` that unpacks batches when listening and, with ``batch_seconds``,
    publishes in batches: one Redis message per interval, in emit order."""

    def __init__(self, url: str, *, batch_seconds: float = 0.0, **kwargs: Any) -> None:
        super().__init__(url, **kwargs)
        self.batch_seconds = batch_seconds
        self._batch: list[dict[str, Any]] = []
        self._flusher: gevent.Greenlet | None = None
        self._batches: gevent.queue.Queue[tuple[float, list[dict[str, Any]]]] = gevent.queue.Queue()
        self._lane: Any = None

    # ---- publishing ------------------------------------------------------------------------

    def _publish(self, data: dict[str, Any]) -> Any:
        if self.batch_seconds <= 0:
            return super()._publish(data)
        self._batch.append(data)
        if self._flusher is None:
            self._flusher = gevent.spawn_later(self.batch_seconds, self._flush_later)
        return None

    def _flush_later(self) -> None:
        self._flusher = None
        self.flush()

    def flush(self) -> None:
        """Publish what is waiting now (also at shutdown: nothing emitted is left behind), as a
        batch even when it is one event: web processes relay batches after their own work."""
        if self._flusher is not None:
            self._flusher.kill(block=False)
            self._flusher = None
        batch, self._batch = self._batch, []
        if not batch:
            return
        message = {"method": BATCH_METHOD, "messages": batch}
        # RedisManager._publish retries once and logs (never raises) when Redis is away; the
        # events are live updates of what is stored, which clients catch up on by seq.
        super()._publish(message)

    # ---- listening -------------------------------------------------------------------------

    def _redis_listen_with_retries(self) -> Iterator[Any]:
        # python-socketio's loop (a fresh connection and subscription after anything ends the
        # listening), with the capped waits of retry_delays().
        delays = retry_delays()
        while True:
            try:
                self._redis_connect()
                self.pubsub.subscribe(self.channel)
                delays = retry_delays()
                yield from self.pubsub.listen()
            except Exception as exc:  # whatever the client raises, listen again
                delay = next(delays)
                log.warning("Socket.IO relay lost Redis (%s); retrying in %.1f s", exc, delay)
                time.sleep(delay)

    def _listen(self) -> Any:
        for message in super()._listen():
            events, batched = unpack(message, self.json)
            if not batched:
                yield from events
            elif events:
                self._batches.put((time.monotonic() + BATCH_MAX_WAIT_SECONDS, events))
                if self._lane is None:
                    self._lane = self.server.start_background_task(self._relay_batches)

    def _relay_batches(self) -> None:
        while True:
            deadline, events = self._batches.get()
            for event in events:
                when_idle(deadline - time.monotonic())
                self._dispatch(event)

    def _dispatch(self, data: dict[str, Any]) -> None:
        # What python-socketio's listener does with each message it reads.
        method = data.get("method")
        try:
            if method == "callback":
                self._handle_callback(data)
            elif data.get("host_id") != self.host_id:
                handler = {
                    "emit": self._handle_emit,
                    "disconnect": self._handle_disconnect,
                    "enter_room": self._handle_enter_room,
                    "leave_room": self._handle_leave_room,
                    "close_room": self._handle_close_room,
                }.get(method)
                if handler is not None:
                    handler(data)
        except Exception:
            log.exception("could not relay a batched Socket.IO event")


def when_idle(max_wait: float) -> None:
    """Return once the event loop has no I/O to handle, or after ``max_wait`` (at once when it
    is not positive), so a process that is never idle still relays."""
    if max_wait <= 0:
        gevent.sleep(0)  # still let others run between two events
        return
    with gevent.Timeout(max_wait, False):
        gevent.idle()


def unpack(message: Any, json: Any) -> tuple[list[Any], bool]:
    """(the messages one Redis message carries, whether it was a batch): a batch's, in order,
    or the message itself (anything unreadable is passed on as it came; the listener ignores
    it)."""
    try:
        data = message if isinstance(message, dict) else json.loads(message)
    except (TypeError, ValueError):
        return [message], False
    if not isinstance(data, dict) or data.get("method") != BATCH_METHOD:
        return [data], False
    inner = data.get("messages")
    if not isinstance(inner, list):
        log.warning("ignored a malformed Socket.IO relay batch")
        return [], True
    return [m for m in inner if isinstance(m, dict)], True

"""The Socket.IO message queue between processes (Redis), with batched publishing.

python-socketio's ``RedisManager`` publishes one Redis message per emit, and every web process
wakes, reads and parses each one. An assistant process (``AI_WORKER=external``) emits ~18
events per reply (``ai:processing``, the deltas, the stored reply, ``ai:complete``) for
sockets it does not hold, so each of them costs every web process a wake-up and a Redis read.
With ``batch_seconds`` set (assistant processes: ``AI_RELAY_INTERVAL``), the events emitted
within that interval go out as one Redis message, which the web processes unpack in order.

Web processes keep publishing at once (people's messages must not wait) and understand
batches from any process; a batch of one is sent as the plain message.

A process that listens (a web process, once subscribed) publishes through ``Publisher``: one
Redis connection of its own and one greenlet, which send every publish in the order emitted.
The emitting greenlet does not wait for Redis's answer (python-socketio's publish is a client
round trip in the emitter: ~160 µs of CPU under gevent, most of it redis-py's pool, retry and
reply layers), and what is emitted while a write is out goes in the next write, pipelined.
Whatever Redis does not take is delivered here as before.

Delivery order. python-socketio delivers an emit to the emitting process's own sockets at once
and to the others' when Redis relays it, so two processes delivered two messages of one chat in
opposite orders (each its own first). Here a web process's room emits come back to its own
sockets through its Redis listener too ("loopback"), so every process delivers in the one order
Redis received them; and ``Reorderer`` (reorder.py) holds a chat's ``message:new`` whose ``seq``
overtook an earlier one (stored first, published later by another process) for at most
``reorder_seconds``. An emit to one socket this process holds skips Redis altogether. Without a
listening connection (Redis away) emits are delivered here at once, as before.

The listener also comes back sooner after a Redis outage: python-socketio doubles its wait
between attempts up to 60 s, so live relay could stay off for a minute after Redis returned;
here the wait stops growing at ``LISTEN_RETRY_MAX_SECONDS``.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urlparse

import gevent
import gevent.event
import socketio
from socketio.packet import Packet

from livechat import redisconn
from livechat.realtime.handshake import HandshakeManager
from livechat.realtime.reorder import Reorderer

log = logging.getLogger(__name__)

BATCH_METHOD = "batch"
END_USER_METHOD = "livechat:end_user"
# Marks an emit its publisher delivers to its own sockets when its listener hears it.
LOOPBACK = "livechat:loopback"
LISTEN_RETRY_FIRST_SECONDS = 0.5
LISTEN_RETRY_MAX_SECONDS = 5.0
# The publisher's wait for Redis, per write (its connection only: the listener blocks freely).
PUBLISH_TIMEOUT_SECONDS = 5.0
# At most this many publishes in one pipelined write (a backlog goes out in several).
PUBLISH_MAX_BATCH = 256
# After Redis refused a write twice, what queues meanwhile is delivered here, without trying
# Redis, for this long: a hung Redis costs one wait, not one per batch while a backlog grows.
PUBLISH_OUTAGE_SECONDS = 1.0
# At most this many publishes wait in the queue: past it an emitter waits for room (at most
# PUBLISH_TIMEOUT_SECONDS), as every emitter waited for Redis before the publisher, rather than
# the queue growing with the message rate while Redis answers, but slower than we emit.
PUBLISH_MAX_QUEUE = 10_000


def _close_quietly(resource: Any) -> None:
    if resource is not None:
        try:
            resource.close()
        except Exception:  # already broken: closing is all that was left to do
            log.debug("closing a Redis connection failed", exc_info=True)


def retry_delays() -> Iterator[float]:
    """Waits between the listener's reconnection attempts: doubling, capped."""
    delay = LISTEN_RETRY_FIRST_SECONDS
    while True:
        yield delay
        delay = min(delay * 2, LISTEN_RETRY_MAX_SECONDS)


class Publisher:
    """Publishes on one connection of its own, from one greenlet, in the order handed over.

    ``put`` only queues: the greenlet sends what is queued as one pipelined write (one message
    when quiet, a backlog's worth under load) and reads Redis's answers. A message no process
    heard (nobody subscribed), or that Redis could not take after one reconnect, goes to
    ``unheard``; the connection comes back by itself at the next write, once
    ``PUBLISH_OUTAGE_SECONDS`` have passed. ``put`` waits only while ``max_queue`` messages
    are queued (Redis slower than the process emits): backpressure, never a loss.
    """

    def __init__(
        self,
        connect: Callable[[], Any],
        channel: str,
        dumps: Callable[[Any], str],
        unheard: Callable[[dict[str, Any]], None],
        max_queue: int = PUBLISH_MAX_QUEUE,
    ) -> None:
        self._connect = connect
        self._max_queue = max_queue
        self._room = gevent.event.Event()  # clear while the queue is full
        self._room.set()
        self._channel = channel
        self._dumps = dumps
        self._unheard = unheard
        self._client: Any = None
        self._conn: Any = None
        self._queue: deque[dict[str, Any]] = deque()
        self._wake = gevent.event.Event()
        self._idle = gevent.event.Event()
        self._idle.set()
        self._greenlet: gevent.Greenlet | None = None
        self._away_until = 0.0  # monotonic: Redis refused; deliver here until then
        # For /metrics: pipelined writes, messages Redis took, messages delivered here instead,
        # emits that waited for room in a full queue.
        self.writes = self.sent = self.delivered_here = self.waited = 0

    def __len__(self) -> int:
        return len(self._queue)

    def put(self, message: dict[str, Any]) -> None:
        if len(self._queue) >= self._max_queue and self._may_wait():
            self.waited += 1
            self._room.clear()
            self._room.wait(PUBLISH_TIMEOUT_SECONDS)  # then queued anyway: never lost
        self._queue.append(message)
        self._idle.clear()
        self._wake.set()
        if self._greenlet is None or self._greenlet.dead:
            self._greenlet = gevent.spawn(self._run)

    def _may_wait(self) -> bool:
        """Not the publisher itself (it would wait for itself), nor the hub (it cannot)."""
        current = gevent.getcurrent()
        return current is not self._greenlet and current is not gevent.get_hub()

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until everything put so far is sent (or given up on); False on timeout."""
        if gevent.getcurrent() is self._greenlet:
            return not self._queue
        return bool(self._idle.wait(timeout))

    def close(self) -> None:
        self._room.set()
        if self._greenlet is not None:
            self._greenlet.kill(block=False)
            self._greenlet = None
        if self._conn is not None:
            self._conn.disconnect()
        _close_quietly(self._client)
        self._conn = self._client = None

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            while self._queue:
                n = min(len(self._queue), PUBLISH_MAX_BATCH)
                batch = [self._queue.popleft() for _ in range(n)]
                if len(self._queue) < self._max_queue:
                    self._room.set()
                try:
                    self._send(batch)
                except Exception:  # never let one batch stop the publisher
                    log.exception("publishing a relay batch failed")
            if not self._queue:
                self._idle.set()

    def _send(self, batch: list[dict[str, Any]]) -> None:
        away = time.monotonic() < self._away_until
        heard = [0] * len(batch) if away else self._publish_all(batch)
        for message, listeners in zip(batch, heard, strict=True):
            if not listeners:
                self.delivered_here += 1
                self._unheard(message)

    def _publish_all(self, batch: list[dict[str, Any]]) -> list[int]:
        """How many subscribers heard each message: 0 for those Redis did not take."""
        commands = [("PUBLISH", self._channel, self._dumps(m)) for m in batch]
        heard: list[int] = []
        for retries_left in (1, 0):
            try:
                conn = self._connection()
                conn.send_packed_command(conn.pack_commands(commands[len(heard) :]), False)
                while len(heard) < len(batch):
                    heard.append(int(conn.read_response()))
                self.writes += 1
                self.sent += len(batch)
                return heard
            except Exception as exc:
                # Sent but unanswered ones may have gone out: Redis has them or not, and the
                # retry (like python-socketio's) may repeat them; clients drop repeats by id.
                if self._conn is not None:
                    self._conn.disconnect()
                outcome = "retrying" if retries_left else "giving up"
                log.error("Cannot publish to redis... %s (%s)", outcome, exc)
        self._away_until = time.monotonic() + PUBLISH_OUTAGE_SECONDS
        return heard + [0] * (len(batch) - len(heard))

    def _connection(self) -> Any:
        if self._conn is None:
            self._client = self._connect()
            # Held for good, never back in the pool: this greenlet alone uses it.
            self._conn = self._client.connection_pool.get_connection()
        return self._conn


class RelayManager(socketio.RedisManager, HandshakeManager):
    """``RedisManager`` that unpacks batches when listening and, with ``batch_seconds``,
    publishes in batches: one Redis message per interval, in emit order. Local deliveries go
    through HandshakeManager: nothing reaches a socket before its CONNECT packet."""

    def __init__(
        self,
        url: str,
        *,
        batch_seconds: float = 0.0,
        reorder_seconds: float = 0.1,
        config: Mapping[str, Any] | None = None,
        publish_max_queue: int = PUBLISH_MAX_QUEUE,
        **kwargs: Any,
    ) -> None:
        super().__init__(url, **kwargs)
        self.batch_seconds = batch_seconds
        self._publish_max_queue = publish_max_queue
        self._config = config
        self._batch: list[dict[str, Any]] = []
        self._flusher: gevent.Greenlet | None = None
        self._listening = False  # subscribed: our own publishes come back to us
        self._publisher: Publisher | None = None
        self.reorderer = (
            Reorderer(self._deliver_here, reorder_seconds)
            if reorder_seconds > 0 and not self.write_only
            else None
        )

    # ---- emitting --------------------------------------------------------------------------

    def emit(
        self,
        event: str,
        data: Any,
        namespace: str | None = None,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> Any:
        room = to or room
        namespace = namespace or "/"
        local = dict(namespace=namespace, room=room, skip_sid=skip_sid, callback=callback)
        if kwargs.get("ignore_queue") or callback is not None:
            return super().emit(event, data, **local, **kwargs)
        if isinstance(room, str) and self.is_connected(room, namespace):
            # One socket, held here: nobody else needs to hear of it.
            return super().emit(event, data, **local, ignore_queue=True)
        args = list(data) if isinstance(data, tuple) else [data]
        if not self._listening or self.batch_seconds > 0 or Packet.data_is_binary(args):
            return super().emit(event, data, **local, **kwargs)  # here at once, and published
        message = {
            "method": "emit",
            "event": event,
            "data": args,
            "binary": False,
            "namespace": namespace,
            "room": room,
            "skip_sid": skip_sid,
            "callback": None,
            "host_id": self.host_id,
            LOOPBACK: True,
        }
        self._publish(message)  # the publisher delivers it here if Redis does not take it
        return None

    def _handle_emit(self, message: dict[str, Any]) -> None:
        # Every delivery to this process's sockets of a message from the queue (another
        # process's, or our own loopback): in seq order per chat.
        if self.reorderer is None:
            super()._handle_emit(message)
        else:
            self.reorderer.handle(message)

    def _deliver_here(self, message: dict[str, Any]) -> None:
        super()._handle_emit(message)

    def _redis_connect(self) -> None:
        """python-socketio's client, with our pool policy (redisconn: wait, don't fail, when a
        burst of emits wants more connections than the pool has)."""
        if urlparse(self.redis_url).scheme.endswith("+sentinel"):
            return super()._redis_connect()
        self.redis = redisconn.client(self.redis_url, self._config, **self.redis_options)
        self.pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        self.connected = True
        return None

    def close(self) -> None:
        """Close this manager's Redis connections (the listener's and the publishers')."""
        if self._publisher is not None:
            self._publisher.close()
            self._publisher = None
        _close_quietly(getattr(self, "pubsub", None))
        _close_quietly(getattr(self, "redis", None))
        self.connected = False

    # ---- publishing ------------------------------------------------------------------------

    def _publish(self, data: dict[str, Any]) -> Any:
        if self.batch_seconds <= 0:
            publisher = self._publisher
            if publisher is None:
                if not super()._publish(data):  # sent now: nobody heard it, or Redis refused
                    self._unheard(data)
            else:
                publisher.put(data)
            return None
        self._batch.append(data)
        if self._flusher is None:
            self._flusher = gevent.spawn_later(self.batch_seconds, self._flush_later)
        return None

    def _start_publisher(self) -> None:
        """From the first subscription on: a process that listens serves sockets and lives on,
        so its publishes can wait in the publisher's queue. Until then (and in a process that
        never listens: a CLI command, an emitter) each publish is sent as it is made, so none
        is left queued when the process ends. Not behind Redis Sentinel, whose pool follows
        the master."""
        if self._publisher is None and not urlparse(self.redis_url).scheme.endswith("+sentinel"):
            options = {**self.redis_options, "socket_timeout": PUBLISH_TIMEOUT_SECONDS}
            self._publisher = Publisher(
                lambda: redisconn.client(self.redis_url, self._config, **options),
                self.channel,
                self.json.dumps,
                self._unheard,
                self._publish_max_queue,
            )

    def publish_stats(self) -> tuple[int, int, int, int, int]:
        """(queued, writes, sent, delivered here, emits that waited for room) of this
        process's publisher; zeros without one (before the first subscription, or publishing
        as it emits)."""
        p = self._publisher
        if p is None:
            return (0, 0, 0, 0, 0)
        return (len(p), p.writes, p.sent, p.delivered_here, p.waited)

    def _unheard(self, message: dict[str, Any]) -> None:
        # A loopback emit reaches this process's sockets only through Redis: here, then.
        if message.get(LOOPBACK):
            self._handle_emit(message)

    def _flush_later(self) -> None:
        self._flusher = None
        self.flush()

    def flush(self, timeout: float = 5.0) -> None:
        """Publish what is waiting now (also at shutdown: nothing emitted is left behind)."""
        if self._publisher is not None and not self._publisher.drain(timeout):
            log.warning("the relay's publisher did not finish within %.0f s", timeout)
        if self._flusher is not None:
            self._flusher.kill(block=False)
            self._flusher = None
        batch, self._batch = self._batch, []
        if not batch:
            return
        message = batch[0] if len(batch) == 1 else {"method": BATCH_METHOD, "messages": batch}
        # RedisManager._publish retries once and logs (never raises) when Redis is away; the
        # events are live updates of what is stored, which clients catch up on by seq.
        super()._publish(message)

    def end_user(self, user_id: str, room: str, error: dict[str, Any]) -> int:
        """End the user's sockets here, and ask every other process to end theirs (python-
        socketio's own ``disconnect`` needs each socket's sid; this needs only the user's room,
        which each process knows for the sockets it holds)."""
        ended = self.end_room_here(room, error)
        self._publish(
            {"method": END_USER_METHOD, "room": room, "error": error, "host_id": self.host_id}
        )
        return ended

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
                self._listening = True
                self._start_publisher()
                yield from self.pubsub.listen()
            except Exception as exc:  # whatever the client raises, listen again
                self._listening = False
                # The dropped subscription's socket is closed now, not at GC. Only the
                # listener's own: the publisher's client is shared with emitting greenlets.
                _close_quietly(self.pubsub)
                delay = next(delays)
                log.warning("Socket.IO relay lost Redis (%s); retrying in %.1f s", exc, delay)
                time.sleep(delay)

    def _listen(self) -> Any:
        for message in super()._listen():
            for data in unpack(message, self.json):
                if isinstance(data, dict) and data.get("method") == END_USER_METHOD:
                    self._handle_end_user(data)
                elif (
                    isinstance(data, dict)
                    and data.get(LOOPBACK)
                    and data.get("host_id") == self.host_id
                ):
                    self._handle_loopback(data)
                else:
                    yield data
            # While Redis has more waiting, reading it never blocks, so this greenlet would
            # deliver a whole backlog (now this process's own emits too) before any other
            # runs: the greenlets that publish wait meanwhile, and their messages reach
            # Redis late, behind later ones. Let them run between messages.
            gevent.sleep(0)

    def _handle_loopback(self, data: dict[str, Any]) -> None:
        # python-socketio's listener skips what this process published; this it delivers.
        # (To the other processes a loopback emit is an ordinary one.)
        if data.get("method") != "emit":
            return
        try:
            self._handle_emit(data)
        except Exception:
            log.exception("delivering our own relayed emit failed")

    def _handle_end_user(self, data: dict[str, Any]) -> None:
        if data.get("host_id") == self.host_id:
            return  # ended here already
        room, error = data.get("room"), data.get("error")
        if isinstance(room, str) and isinstance(error, dict):
            try:
                self.end_room_here(room, error)
            except Exception:
                log.exception("ending a removed user's sockets failed")


def unpack(message: Any, json: Any) -> list[Any]:
    """The messages one Redis message carries: a batch's, in order, or the message itself
    (anything unreadable is passed on as it came; the listener ignores it)."""
    try:
        data = message if isinstance(message, dict) else json.loads(message)
    except (TypeError, ValueError):
        return [message]
    if not isinstance(data, dict) or data.get("method") != BATCH_METHOD:
        return [data]
    inner = data.get("messages")
    if not isinstance(inner, list):
        log.warning("ignored a malformed Socket.IO relay batch")
        return []
    return [m for m in inner if isinstance(m, dict)]

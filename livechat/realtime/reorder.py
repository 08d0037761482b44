"""Per-chat delivery in ``seq`` order where several processes share rooms through Redis.

Each process stores a message (its ``seq`` allocated in PostgreSQL) and then publishes it, so
a message stored later by another process can reach Redis, and so the room, first. A client
following docs/protocol.md would see ``seq`` k+2 before k+1 and rejoin with ``afterSeq``.
``Reorderer`` sits where every process delivers emits to its own sockets: a ``message:new``
whose ``seq`` is above the next expected one is held until the missing one arrives, then both
go out in order; after ``wait_seconds`` whatever is held goes out anyway (a ``seq`` can be
skipped legitimately, or its message lost while Redis was away: the client's catch-up covers
it). Other events of a chat that holds messages (``ai:complete``, typing, ``session:updated``)
queue behind them, so "its ``message:new`` went out first" stays true. ``note:new`` is kept in
``noteSeq`` order the same way. The first message of a chat seen (or seen again after
``idle_seconds``) goes out at once. One-process deployments (no Redis) never build one.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gevent

log = logging.getLogger(__name__)

# The events kept in order, and the payload field that orders them.
ORDERED = {"message:new": "seq", "note:new": "noteSeq"}
# Events of a chat that queue behind its held messages (not behind its held notes: notes go to
# other sockets and say where they belong themselves, by afterSeq).
FOLLOWS = "message:new"
_SWEEP_MIN = 1024

Message = dict[str, Any]


@dataclass(slots=True)
class _Stream:
    """One chat's ordered events of one kind: what went out, what waits."""

    last: int
    seen: float
    held: list[tuple[int, int, Message]] = field(default_factory=list)  # heap by seq
    followers: list[Message] = field(default_factory=list)
    timer: gevent.Greenlet | None = None


def _payload(message: Message) -> Any:
    data = message.get("data")
    return data[0] if isinstance(data, list) and len(data) == 1 else None


def _session_of(payload: Any) -> Any:
    if not isinstance(payload, dict):
        return None
    sid = payload.get("sessionId")
    if sid is None and isinstance(payload.get("session"), dict):
        sid = payload["session"].get("id")
    return sid


class Reorderer:
    """Delivers emits (python-socketio's pub/sub messages) through ``deliver``, each chat's
    messages in ``seq`` order (see the module docstring). Memory: one small entry per chat seen
    in the last ``idle_seconds``, swept as checks go by (no timer); a greenlet only while a
    chat holds something."""

    def __init__(
        self,
        deliver: Callable[[Message], None],
        wait_seconds: float,
        *,
        idle_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._deliver_unsafe = deliver
        self.wait_seconds = wait_seconds
        self.idle_seconds = idle_seconds
        self._clock = clock
        self._streams: dict[tuple[str, Any], _Stream] = {}
        self._holding: set[Any] = set()  # chats whose message:new stream holds something
        self._order = itertools.count()  # ties in the heap: arrival order
        self._checks = 0
        self._sweep_after = _SWEEP_MIN
        self.held_total = 0  # how many messages waited (for tests and metrics)
        self.released_by_timeout = 0  # messages that went out without the one before them
        self.late_total = 0  # messages that came after the wait for them was over

    def __len__(self) -> int:
        return len(self._streams)

    def handle(self, message: Message) -> None:
        """Deliver ``message`` now, or hold it until what it follows has gone out."""
        event = message.get("event")
        field_ = ORDERED.get(event) if isinstance(event, str) else None
        payload = _payload(message)
        if event is None or field_ is None or not isinstance(payload, dict):
            if self._holding and (sid := _session_of(payload)) in self._holding:
                self._streams[(FOLLOWS, sid)].followers.append(message)
                return
            self._deliver(message)
            return
        sid, seq = payload.get("sessionId"), payload.get(field_)
        if sid is None or not isinstance(seq, int) or isinstance(seq, bool):
            self._deliver(message)
            return
        now = self._clock()
        self._count(now)
        key: tuple[str, Any] = (str(event), sid)
        stream = self._streams.get(key)
        if stream is None:
            self._streams[key] = _Stream(last=seq, seen=now)
            self._deliver(message)
            return
        stream.seen = now
        if seq <= stream.last or (seq == stream.last + 1 and not stream.held):
            # In order; or late (its gap was released already) or a second copy: the client
            # orders and drops duplicates by id, and a late message is still news to it.
            if seq <= stream.last:
                self.late_total += 1
            stream.last = max(stream.last, seq)
            self._deliver(message)
            return
        if seq > stream.last + 1:
            self.held_total += 1  # it waits (seq == last + 1 fills a gap and goes out now)
        heapq.heappush(stream.held, (seq, next(self._order), message))
        self._drain(key, stream)
        if stream.held:
            if event == FOLLOWS:
                self._holding.add(sid)
            if stream.timer is None:
                stream.timer = gevent.spawn_later(self.wait_seconds, self._expire, key)

    def _deliver(self, message: Message) -> None:
        # One failed delivery must not strand what is held behind it.
        try:
            self._deliver_unsafe(message)
        except Exception:
            log.exception("delivering a relayed %s failed", message.get("event"))

    def _drain(self, key: tuple[str, Any], stream: _Stream) -> None:
        """Release the held messages that are next in order."""
        while stream.held and stream.held[0][0] <= stream.last + 1:
            seq, _, message = heapq.heappop(stream.held)
            stream.last = max(stream.last, seq)
            self._deliver(message)
        if not stream.held:
            self._settled(key, stream)

    def _expire(self, key: tuple[str, Any]) -> None:
        """The wait is over: release everything held for the chat, in order."""
        stream = self._streams.get(key)
        if stream is None:
            return
        stream.timer = None
        self.released_by_timeout += len(stream.held)
        while stream.held:
            seq, _, message = heapq.heappop(stream.held)
            stream.last = max(stream.last, seq)
            self._deliver(message)
        self._settled(key, stream)

    def _settled(self, key: tuple[str, Any], stream: _Stream) -> None:
        if stream.timer is not None:
            stream.timer.kill(block=False)
            stream.timer = None
        if key[0] == FOLLOWS:
            self._holding.discard(key[1])
        followers, stream.followers = stream.followers, []
        for message in followers:
            self._deliver(message)

    def _count(self, now: float) -> None:
        # A chat idle for idle_seconds is forgotten (its next message goes out at once).
        # Sweeping after as many checks as there are chats keeps the cost O(1) per message.
        self._checks += 1
        if self._checks < self._sweep_after:
            return
        cutoff = now - self.idle_seconds
        self._streams = {
            k: s for k, s in self._streams.items() if s.held or s.followers or s.seen > cutoff
        }
        self._checks = 0
        self._sweep_after = max(_SWEEP_MIN, len(self._streams))

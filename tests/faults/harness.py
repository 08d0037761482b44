"""Chat parties for fault tests: real websocket clients that send reliably and record delivery.

A ``Party`` is one person in one session. It sends each message with a clientMessageId and
resends the same id until the server acks it (a refusal must say ``retryable``; a lost ack or a
dropped connection is retried too), reconnects to the next server URL when its server is gone,
and catches up by sequence (``join:session`` with ``afterSeq``). ``check_exactly_once`` is the
one assertion every fault test ends with.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

import gevent
import gevent.event
import gevent.queue
import psycopg
import socketio

from tests.support.server import SOCKET_PATH

CALL_TIMEOUT = 3.0  # a lost ack (killed server) is retried after this
RETRY_PAUSE = 0.2


@dataclass
class Sent:
    """One message as its sender saw it: every try, every refusal, the ack that finally came."""

    cmid: str
    first_try: float
    attempts: int = 0
    refusals: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    lost_acks: list[tuple[float, str]] = field(default_factory=list)
    acked_at: float | None = None
    message: dict[str, Any] | None = None
    duplicate: bool = False  # the ack of a resend: the first try was stored, its ack was lost


class Party:
    """One participant of one session over a real websocket (python-socketio)."""

    def __init__(self, name: str, uid: str, token: str, urls: list[str], session_id: str) -> None:
        self.name, self.uid, self.token = name, uid, token
        self.urls = list(urls)  # preferred server first; the next ones if it is gone
        self.session_id = session_id
        self.sio: socketio.Client | None = None
        self.url = ""
        self.connects = 0
        self.live: list[dict[str, Any]] = []  # message:new in arrival order
        self.received_at: dict[str, float] = {}  # id -> when message:new brought it
        self.seen: dict[str, dict[str, Any]] = {}  # id -> message, live or caught up
        self.caught_up = 0  # messages first learnt from session:history (missed live)
        self._histories: gevent.queue.Queue[dict[str, Any]] = gevent.queue.Queue()
        self._connect()

    # ---- connection --------------------------------------------------------------------------

    def _connect(self) -> None:
        errors = []
        for url in self.urls:
            sio = socketio.Client(reconnection=False)
            sio.on("message:new", self._on_new)
            sio.on("session:history", self._histories.put)
            try:
                sio.connect(
                    url,
                    socketio_path=SOCKET_PATH,
                    auth={"token": self.token},
                    transports=["websocket"],
                    wait_timeout=5,
                )
            except socketio.exceptions.ConnectionError as exc:
                errors.append(f"{url}: {exc}")
                continue
            self.sio, self.url = sio, url
            self.connects += 1
            return
        raise AssertionError(f"{self.name}: no server accepted the connection: {errors}")

    @property
    def connected(self) -> bool:
        return self.sio is not None and self.sio.connected

    def reconnect(self) -> None:
        """Connect to the first server that answers and catch up from the last contiguous seq."""
        if self.sio is not None and self.sio.connected:
            self.sio.disconnect()
        self._connect()
        self.join()

    def close(self) -> None:
        if self.sio is not None and self.sio.connected:
            self.sio.disconnect()

    # ---- receiving ---------------------------------------------------------------------------

    def _on_new(self, message: dict[str, Any]) -> None:
        if message.get("sessionId") != self.session_id:
            return
        self.live.append(message)
        self.received_at.setdefault(message["id"], time.monotonic())
        self.seen.setdefault(message["id"], message)

    @property
    def contiguous_seq(self) -> int:
        """The highest seq below which this party has seen every message (its catch-up point)."""
        seqs = {m["seq"] for m in self.seen.values()}
        n = 0
        while n + 1 in seqs:
            n += 1
        return n

    def join(self) -> dict[str, Any]:
        """join:session with afterSeq = the contiguous seq; the history fills every gap."""
        while not self._histories.empty():
            self._histories.get_nowait()
        after = self.contiguous_seq
        ack = self._call("join:session", {"sessionId": self.session_id, "afterSeq": after})
        assert ack.get("ok"), f"{self.name}: join refused: {ack}"
        history = self._histories.get(timeout=CALL_TIMEOUT)
        assert history["sessionId"] == self.session_id and not history["hasMore"], history
        for message in history["messages"]:
            assert message["seq"] > after, (after, message)
            if message["id"] not in self.seen:
                self.seen[message["id"]] = message
                self.caught_up += 1
        return ack

    def view(self, sender_id: str) -> list[dict[str, Any]]:
        """What this party now shows of ``sender_id``'s messages: one each, ordered by seq."""
        return sorted(
            (m for m in self.seen.values() if m["senderId"] == sender_id), key=lambda m: m["seq"]
        )

    # ---- sending -----------------------------------------------------------------------------

    def _call(self, event: str, data: Any) -> Any:
        """Emit with an ack; like a browser client, give up at once when the socket drops."""
        sio = self.sio
        assert sio is not None
        answer: gevent.event.AsyncResult = gevent.event.AsyncResult()
        sio.emit(event, data, callback=lambda *args: answer.set(args[0] if args else None))
        deadline = time.monotonic() + CALL_TIMEOUT
        while True:
            try:
                return answer.get(timeout=0.05)
            except gevent.Timeout:
                pass
            if not sio.connected:
                raise socketio.exceptions.BadNamespaceError("disconnected while waiting")
            if time.monotonic() > deadline:
                raise socketio.exceptions.TimeoutError()

    def send(self, cmid: str, content: str, deadline: float = 30) -> Sent:
        """Send until acked: resend the same clientMessageId after a refusal or a lost ack."""
        sent = Sent(cmid, time.monotonic())
        payload = {"sessionId": self.session_id, "content": content, "clientMessageId": cmid}
        give_up = sent.first_try + deadline
        while time.monotonic() < give_up:
            if not self.connected:
                try:
                    self.reconnect()
                except (AssertionError, socketio.exceptions.SocketIOError) as exc:
                    sent.lost_acks.append((time.monotonic(), f"reconnect: {exc}"))
                    gevent.sleep(RETRY_PAUSE)
                    continue
            sent.attempts += 1
            try:
                ack = self._call("message:send", payload)
            except socketio.exceptions.TimeoutError:
                sent.lost_acks.append((time.monotonic(), "timeout"))
                continue
            except socketio.exceptions.BadNamespaceError:
                sent.lost_acks.append((time.monotonic(), "disconnected"))
                continue
            if ack.get("ok"):
                sent.acked_at = time.monotonic()
                sent.message, sent.duplicate = ack["message"], ack["duplicate"]
                return sent
            error = ack["error"]
            # A refusal during an outage must tell the client to try again, never look final.
            assert error.get("retryable") is True, f"{self.name}: final refusal of {cmid}: {error}"
            sent.refusals.append((time.monotonic(), error))
            gevent.sleep(RETRY_PAUSE)
        raise AssertionError(f"{self.name}: {cmid} not acked within {deadline}s: {sent}")


class Sender:
    """A greenlet that keeps sending numbered messages as ``party`` until stopped."""

    running: ClassVar[set[Sender]] = set()

    def __init__(self, party: Party, interval: float = 0.1) -> None:
        self.party = party
        self.interval = interval
        self.sent: list[Sent] = []
        self._stop = gevent.event.Event()
        self._greenlet = gevent.spawn(self._run)
        Sender.running.add(self)

    def _run(self) -> None:
        i = 0
        while not self._stop.is_set():
            i += 1
            cmid = f"{self.party.name}-{i}"
            self.sent.append(self.party.send(cmid, f"{self.party.name} message {i}"))
            self._stop.wait(self.interval)

    def acked_after(self, moment: float) -> int:
        return sum(1 for s in self.sent if s.acked_at is not None and s.acked_at > moment)

    def wait_acked_after(self, moment: float, count: int = 1, timeout: float = 20) -> float:
        """Block until ``count`` messages were acked after ``moment``; returns when the first was."""
        deadline = time.monotonic() + timeout
        while self.acked_after(moment) < count:
            self.check()
            assert time.monotonic() < deadline, f"{self.party.name}: no ack after the fault"
            gevent.sleep(0.05)
        return min(s.acked_at for s in self.sent if s.acked_at and s.acked_at > moment)

    def wait_delivered_live(self, receiver: Party, after: float, timeout: float = 30) -> float:
        """Block until ``receiver`` gets live a message first sent after ``after``; returns when."""
        deadline = time.monotonic() + timeout
        while True:
            self.check()
            ids = {s.message["id"] for s in self.sent if s.message and s.first_try > after}
            got = [t for i, t in list(receiver.received_at.items()) if i in ids]
            if got:
                return min(got)
            assert time.monotonic() < deadline, f"{receiver.name}: live delivery did not resume"
            gevent.sleep(0.05)

    def check(self) -> None:
        """Re-raise what failed inside the greenlet (an assertion in Party.send)."""
        if self._greenlet.ready() and not self._greenlet.successful():
            self._greenlet.get()

    def stop(self) -> list[Sent]:
        """Stop after the message in flight is acked; every message it sent is acked."""
        self._stop.set()
        try:
            self._greenlet.get(timeout=40)
        finally:
            Sender.running.discard(self)
        return self.sent

    def kill(self) -> None:
        """Teardown after a failed test: stop at once, whatever is in flight."""
        self._greenlet.kill(block=True, timeout=5)
        Sender.running.discard(self)


def stored_messages(pg_url: str, session_id: str) -> list[dict[str, Any]]:
    """chat_messages of the session as PostgreSQL has them, by seq (a fresh connection)."""
    url = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as conn:
        cur = conn.execute(
            "SELECT id, seq, sender_id, client_message_id FROM chat_messages "
            "WHERE session_id = %s ORDER BY seq",
            (session_id,),
        )
        cols = [c.name for c in cur.description or []]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def check_exactly_once(
    pg_url: str, session_id: str, pairs: list[tuple[Party, list[Sent], Party]]
) -> None:
    """Every acked message is stored once, in send order, and reached the other side once, in
    order. ``pairs``: (sender, what it sent, the party that must receive it)."""
    rows = stored_messages(pg_url, session_id)
    seqs = [r["seq"] for r in rows]
    assert seqs == sorted(set(seqs)), "seq must be unique and increasing"
    for sender, sent, receiver in pairs:
        assert sent and all(s.acked_at is not None for s in sent)
        mine = [r for r in rows if r["sender_id"] == sender.uid]
        # Stored exactly once each, nothing stored that was not acked, in the order sent.
        assert [r["client_message_id"] for r in mine] == [s.cmid for s in sent]
        assert [r["id"] for r in mine] == [s.message["id"] for s in sent if s.message]
        assert [r["seq"] for r in mine] == [s.message["seq"] for s in sent if s.message]
        # Delivered live at most once each, in seq order...
        live = [m for m in receiver.live if m["senderId"] == sender.uid]
        live_ids = [m["id"] for m in live]
        assert len(live_ids) == len(set(live_ids)), f"{receiver.name} got a message twice"
        assert [m["seq"] for m in live] == sorted(m["seq"] for m in live)
        # ...and after catching up by sequence the receiver has every one exactly once, in order.
        assert [m["id"] for m in receiver.view(sender.uid)] == [r["id"] for r in mine]


def figures(sent: list[Sent], down_from: float, down_to: float) -> dict[str, Any]:
    """What one sender went through; the fault lasted down_from..down_to (monotonic seconds)."""
    during = [s for s in sent if down_from <= s.first_try <= down_to]
    after = [s.acked_at for s in sent if s.acked_at and s.acked_at > down_to]
    refusals = [e for s in sent for _, e in s.refusals]
    return {
        "sent": len(sent),
        "sentWhileDown": len(during),
        "ackedWhileDown": sum(1 for s in sent if s.acked_at and down_from <= s.acked_at <= down_to),
        "refusals": len(refusals),
        "refusalCodes": sorted({e["code"] for e in refusals}),
        "resends": sum(s.attempts - 1 for s in sent),
        "lostAcks": sum(len(s.lost_acks) for s in sent),
        "resendsAnsweredDuplicate": sum(1 for s in sent if s.duplicate),
        "maxAckDelaySeconds": round(
            max((s.acked_at - s.first_try for s in sent if s.acked_at), default=0), 3
        ),
        "firstAckAfterFaultSeconds": round(min(after) - down_to, 3) if after else None,
    }


class UptimeWatch:
    """Polls ``is_up`` to time an outage as it really was (another test run on the machine may
    restart a service it finds down, so the outage can be shorter than the one we made)."""

    def __init__(self, is_up: Any, every: float = 0.05) -> None:
        self.is_up, self.every = is_up, every
        self.went_down: float | None = None  # first poll that found it down
        self.last_seen_down: float | None = None  # start of the last poll that found it down
        self.came_back: float | None = None  # first poll that found it up again
        self._greenlet = gevent.spawn(self._run)

    def _run(self) -> None:
        while self.came_back is None:
            started = time.monotonic()
            up = self.is_up()
            if not up:
                self.went_down = self.went_down or started
                self.last_seen_down = started
            elif self.went_down is not None:
                self.came_back = time.monotonic()
            gevent.sleep(self.every)

    def stop(self) -> float:
        """The observed outage in seconds (waits for the poll that sees the service back)."""
        self._greenlet.join(timeout=10)
        self._greenlet.kill()
        assert self.went_down and self.came_back and self.last_seen_down, "no outage observed"
        return round(self.came_back - self.went_down, 2)

"""Reorderer: each chat's messages go out in `seq` order; a gap waits a bounded time."""

from __future__ import annotations

from typing import Any

from livechat.realtime.reorder import Reorderer
from tests.support.waiting import wait_until


def _new(seq: int, sid: str = "s1", event: str = "message:new", field: str = "seq") -> Any:
    return {"method": "emit", "event": event, "data": [{"sessionId": sid, field: seq}]}


def _other(sid: str, name: str) -> Any:
    return {"method": "emit", "event": "ai:complete", "data": [{"sessionId": sid, "n": name}]}


def _seen(out: list[Any]) -> list[Any]:
    return [
        (m["data"][0]["sessionId"], m["data"][0].get("seq") or m["data"][0].get("noteSeq"))
        if m["event"] != "ai:complete"
        else m["data"][0]["n"]
        for m in out
    ]


def test_in_order_goes_out_at_once_and_an_overtaker_waits_for_the_missing_one() -> None:
    out: list[Any] = []
    r = Reorderer(out.append, wait_seconds=30)
    for seq in (4, 5):  # the first seen starts the chat wherever it is
        r.handle(_new(seq))
    r.handle(_new(7))
    r.handle(_other("s1", "behind-7"))  # the chat's other events queue behind
    r.handle(_other("s2", "other-chat"))  # another chat's do not
    r.handle(_new(1, sid="s2"))
    assert _seen(out) == [("s1", 4), ("s1", 5), "other-chat", ("s2", 1)]
    r.handle(_new(6))
    assert _seen(out)[4:] == [("s1", 6), ("s1", 7), "behind-7"]
    assert r.held_total == 1 and r.released_by_timeout == 0


def test_a_gap_that_never_fills_is_released_after_the_wait_once() -> None:
    out: list[Any] = []
    r = Reorderer(out.append, wait_seconds=0.05)
    r.handle(_new(1))
    r.handle(_new(4))
    r.handle(_new(3))
    r.handle(_other("s1", "after"))
    assert _seen(out) == [("s1", 1)]
    wait_until(lambda: len(out) == 4, what="released after the wait")
    assert _seen(out) == [("s1", 1), ("s1", 3), ("s1", 4), "after"]
    assert r.released_by_timeout == 2 and r.late_total == 0
    # The missing one, late, still goes out (the client orders by seq); then in order again.
    r.handle(_new(2))
    r.handle(_new(5))
    assert _seen(out)[4:] == [("s1", 2), ("s1", 5)]
    assert r.late_total == 1


def test_notes_are_ordered_by_note_seq_apart_from_messages() -> None:
    out: list[Any] = []
    r = Reorderer(out.append, wait_seconds=30)
    note = {"event": "note:new", "field": "noteSeq"}
    r.handle(_new(1, **note))
    r.handle(_new(3, **note))
    r.handle(_new(9))  # a message of the chat: not held behind notes
    r.handle(_new(2, **note))
    assert _seen(out) == [("s1", 1), ("s1", 9), ("s1", 2), ("s1", 3)]


def test_what_carries_no_seq_goes_out_untouched() -> None:
    out: list[Any] = []
    r = Reorderer(out.append, wait_seconds=30)
    odd = [
        {"method": "emit", "event": "message:new", "data": [{"sessionId": "s1"}]},
        {"method": "emit", "event": "message:new", "data": [{"sessionId": "s1", "seq": "2"}]},
        {"method": "emit", "event": "message:new", "data": [{"sessionId": "s1", "seq": True}]},
        {"method": "emit", "event": "message:new", "data": ["a", "b"]},
        {"method": "emit", "event": "queue:updated", "data": [None]},
    ]
    for message in odd:
        r.handle(message)
    assert out == odd
    assert len(r) == 0


def test_idle_chats_are_forgotten_so_memory_stays_bounded() -> None:
    now = [0.0]
    out: list[Any] = []
    r = Reorderer(out.append, wait_seconds=30, idle_seconds=60, clock=lambda: now[0])
    for i in range(3000):
        r.handle(_new(1, sid=f"s{i}"))
    assert len(r) <= 3000
    now[0] = 120.0  # all of them idle now
    for i in range(5000):
        r.handle(_new(1, sid=f"t{i}"))
    assert len(r) < 2 * 5000 + 1024 and not any(k[1].startswith("s") for k in r._streams)
    assert len(out) == 8000

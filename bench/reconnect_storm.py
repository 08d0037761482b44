#!/usr/bin/env python3
"""Reconnect storm: 1,000 clients drop at once, miss messages, and come back at once.

The project (the Procfile's gunicorn, pinned to CPU 0, fresh PostgreSQL database) with 500 rooms
(customer + assigned agent each, the harness's provisioning) and 1,000 sockets (bench/storm.js,
pinned to CPU 1):

  1. all connect and join (200 at a time, like the harness), and chat a little;
  2. all 1,000 close at once (client side);
  3. 3 messages per room are posted over REST by the room's agent while nobody listens;
  4. all 1,000 reconnect in the same instant and `join:session {sessionId, afterSeq}` with the
     highest seq each had seen: time until every client has its catch-up (`session:history`),
     per-client p50/p99, failures, and correctness — each client got exactly the messages it
     missed, once, in seq order; then one more message per room checks the rooms still work.

The same burst of 1,000 fresh sockets runs first against the harness's floor B (bare
Flask-SocketIO, no persistence), so the figure is also given as a ratio. `--kill` adds a second
storm: the server is SIGKILLed, restarted on the same database, messages are posted, and all
clients reconnect to the new process.

Prints one JSON line (also appended to bench/results/<date>-storm.jsonl) and a table; exit 1 if
any client lost, duplicated or reordered a message, or never caught up.

  python3 bench/reconnect_storm.py            # ~1.5 min; `bench/run storm` does the same
  python3 bench/reconnect_storm.py --kill     # + the kill-and-restart storm
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import types
from typing import Any

from _server import (
    CpuWindow,
    LineProcess,
    ProjectServer,
    emit,
    guarded,
    harness,
    log,
    machine_note,
    node_command,
    node_env,
    port_free,
    results_path,
    setup,
    table,
)

CHECK_KEYS = ("lost", "duplicated", "outOfOrder", "unexpected", "lostByFailedClients")


def floor_burst(args: argparse.Namespace) -> dict[str, Any]:
    """The same burst (2 x rooms fresh sockets in one tick, join, history) against baseline B."""
    port = harness.TARGETS["B"]["port"]
    if not port_free(port):
        raise RuntimeError(f"port {port} (baseline B) is in use: another harness run? (--no-floor)")
    with harness.Server("B", types.SimpleNamespace()) as b:
        argv = node_command(
            "storm.js", "--url", b.url, "--mode", "floor", "--rooms", str(args.rooms)
        )
        with LineProcess("storm (floor)", argv, env=node_env()) as st:
            st.read(30)
            with CpuWindow(b.pid, None, [st.proc.pid]) as w:
                res = st.send("burst", 180)
        res["cpu"] = w.result
        res["desc"] = b.desc
    log(f"floor B: {res['ok']}/{res['attempted']} in {res['allMs']} ms")
    return res


def storm(
    st: LineProcess, srv: ProjectServer, args: argparse.Namespace, kill: bool
) -> dict[str, Any]:
    """Drop every client (client side, or by killing the server), post, reconnect all at once."""
    out: dict[str, Any] = {"variant": "kill" if kill else "client-close"}
    if kill:
        out["killS"] = round(srv.kill(), 2)
        out["sawDisconnect"] = st.send("await-disconnect 30", 60)
        out["restartS"] = round(srv.restart(), 2)
    else:
        out["disconnect"] = st.send("disconnect", 30)
        time.sleep(args.pause)  # the server handles 1,000 disconnects before the posts
    out["post"] = st.send(f"post {args.missed}", 300)
    with CpuWindow(srv.pid, srv.db_backends, [st.proc.pid]) as w:
        out["reconnect"] = st.send("reconnect", 300)
    out["reconnect"]["cpu"] = w.result
    out["after"] = st.send("chat 1", 120)
    r = out["reconnect"]
    log(
        f"{out['variant']} storm: {r['ok']}/{r['attempted']} caught up in {r['allMs']} ms "
        f"(p50 {r['perClientMs']['p50']} p99 {r['perClientMs']['p99']}); "
        + ", ".join(f"{k} {r[k]}" for k in CHECK_KEYS)
    )
    return out


def problems_of(s: dict[str, Any]) -> list[str]:
    r, v = s["reconnect"], s["variant"]
    bad = [f"{v}: {k} {r[k]}" for k in CHECK_KEYS if r[k]]
    if r["failed"]:
        bad.append(f"{v}: {r['failed']} clients never caught up {r['errors']}")
    if r["hasMore"]:
        bad.append(f"{v}: {r['hasMore']} catch-ups incomplete (hasMore)")
    if s["post"]["failed"]:
        bad.append(f"{v}: {s['post']['failed']} REST posts failed {s['post']['codes']}")
    a = s["after"]
    if a["ackFailed"] or a["socketsShort"]:
        bad.append(
            f"{v}: after the storm {a['ackFailed']} sends refused, {a['socketsShort']} short"
        )
    return bad


def run(args: argparse.Namespace) -> int:
    setup()
    out = args.out or results_path("storm")
    t_start = time.time()
    floor = None if args.no_floor else floor_burst(args)
    tokens = os.path.join(harness.LOGS, f"storm-rooms-{os.getpid()}.json")
    storms: list[dict[str, Any]] = []
    try:
        with ProjectServer({}, "storm") as srv:
            prov = srv.provision_rooms(args.rooms, tokens)
            log(f"provisioned {args.rooms} rooms in {prov['seconds']} s")
            argv = node_command(
                "storm.js",
                "--url",
                srv.url,
                "--tokens-file",
                tokens,
                "--concurrency",
                str(args.concurrency),
            )
            with LineProcess("storm", argv, env=node_env()) as st:
                st.read(30)
                with CpuWindow(srv.pid, srv.db_backends, [st.proc.pid]) as w:
                    connect = st.send("connect", 300)
                connect["cpu"] = w.result
                log(f"connected {connect['ok']}/{connect['attempted']} in {connect['allMs']} ms")
                chat = st.send(f"chat {args.chat}", 120)
                storms.append(storm(st, srv, args, kill=False))
                if args.kill:
                    storms.append(storm(st, srv, args, kill=True))
            info = srv.info()
    finally:
        if os.path.exists(tokens):
            os.remove(tokens)
    return report(args, out, floor, connect, chat, storms, prov, info, time.time() - t_start)


def report(
    args: argparse.Namespace,
    out: Any,
    floor: dict[str, Any] | None,
    connect: dict[str, Any],
    chat: dict[str, Any],
    storms: list[dict[str, Any]],
    prov: dict[str, Any],
    info: dict[str, Any],
    seconds: float,
) -> int:
    problems = [p for s in storms for p in problems_of(s)]
    if connect["failed"]:
        problems.append(f"initial connect: {connect['failed']} failed {connect['errors']}")
    first = storms[0]["reconnect"]
    ratio = None
    if floor and floor["allMs"] and not floor["failed"]:
        ratio = round(first["allMs"] / floor["allMs"], 2)
    result = {
        "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "scenario": "reconnect-storm",
        "commit": info["commit"],
        "config": {
            "rooms": args.rooms,
            "clients": 2 * args.rooms,
            "chatPerRoom": args.chat,
            "missedPerRoom": args.missed,
            "connectConcurrency": args.concurrency,
            "kill": args.kill,
        },
        "floorB": floor,
        "connect": connect,
        "chat": chat,
        "storms": storms,
        "catchUpAllRatioVsFloor": ratio,
        "provision": prov,
        "server": info,
        "problems": problems,
        "runSeconds": round(seconds, 1),
    }
    emit(result, out)
    rows: list[list[Any]] = []
    if floor:
        rows.append(
            [
                f"B floor: {floor['attempted']:,} fresh sockets at once",
                f"{floor['ok']}/{floor['attempted']}",
                floor["allMs"],
                floor["perClientMs"]["p50"],
                floor["perClientMs"]["p99"],
                "-",
                _cpu(floor["cpu"]),
            ]
        )
    rows.append(
        [
            f"livechat: first connect + join ({args.concurrency} at a time)",
            f"{connect['ok']}/{connect['attempted']}",
            connect["allMs"],
            connect["perSocketMs"]["p50"],
            connect["perSocketMs"]["p99"],
            "-",
            _cpu(connect["cpu"]),
        ]
    )
    for s in storms:
        r = s["reconnect"]
        rows.append(
            [
                f"livechat: storm ({s['variant']}), {r['attempted']:,} at once + afterSeq",
                f"{r['ok']}/{r['attempted']}",
                r["allMs"],
                r["perClientMs"]["p50"],
                r["perClientMs"]["p99"],
                "ok" if not any(r[k] for k in CHECK_KEYS) and not r["failed"] else "WRONG",
                _cpu(r["cpu"]),
            ]
        )
    print()
    print(
        table(
            [
                "phase",
                "caught up",
                "all (ms)",
                "p50 (ms)",
                "p99 (ms)",
                "catch-up correct",
                "CPU % srv+db / other",
            ],
            rows,
        )
    )
    print()
    detail = []
    for s in storms:
        r, p = s["reconnect"], s["post"]
        detail.append(
            [
                s["variant"],
                f"{r['expected']} / {r['received']}",
                " / ".join(str(r[k]) for k in CHECK_KEYS),
                f"{p['posted']} in {p['ms']:.0f} ms ({p['perSec']}/s)",
                f"{s['after']['acked']}/{s['after']['sent']}",
                s.get("restartS", "-"),
            ]
        )
    print(
        table(
            [
                "storm",
                "missed msgs expected / received",
                "lost / dup / out of order / unexpected / lost by failed",
                "REST posts while away",
                "sends after storm ok",
                "restart (s)",
            ],
            detail,
        )
    )
    print()
    if ratio is not None:
        print(
            f"catch-up of {first['attempted']:,} clients: {first['allMs'] / 1000:.2f} s"
            f" = {ratio}x the floor B's fresh connect of as many"
        )
    print(f"run took {seconds:.0f} s")
    print(machine_note(max(x["otherCpuPct"] or 0 for x in _windows(floor, connect, storms))))
    if problems:
        print("FAILED: " + "; ".join(problems))
        return 1
    return 0


def _windows(
    floor: dict[str, Any] | None, connect: dict[str, Any], storms: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    w = [connect["cpu"]] + [s["reconnect"]["cpu"] for s in storms]
    return w + ([floor["cpu"]] if floor else [])


def _cpu(c: dict[str, Any]) -> str:
    return f"{c['serverCpuPct']:.0f}+{c['dbCpuPct']:.0f} / {c['otherCpuPct']:.0f}"


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rooms", type=int, default=500, help="rooms (2 clients each)")
    ap.add_argument("--chat", type=int, default=2, help="messages per room before the storm")
    ap.add_argument("--missed", type=int, default=3, help="messages per room while away")
    ap.add_argument("--concurrency", type=int, default=200, help="first connect: at a time")
    ap.add_argument("--pause", type=float, default=2, help="seconds between drop and posts")
    ap.add_argument("--kill", action="store_true", help="also: SIGKILL + restart storm")
    ap.add_argument("--no-floor", action="store_true", help="skip the floor B burst")
    ap.add_argument("--out", default="", help="default bench/results/<date>-storm.jsonl")
    sys.exit(guarded(run, ap.parse_args()))


if __name__ == "__main__":
    main()

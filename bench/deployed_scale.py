"""Two scenarios of bench/deployed.py on B2, L2 and C2 (two processes + Redis + nginx): a
reconnect storm and the highest delivered rate with p99 under 100 ms.

**Storm** (``--storm``): ``--storm-rooms`` rooms (500: 1,000 clients, bench/storm.js through
bench/route_preload.js, so each room's customer is on one process and its agent on the other)
connect and join, chat 2 messages a room, all close at once; for L the room's agent posts 3
messages a room over REST meanwhile; then all 1,000 open again in one tick and join: L with
``afterSeq`` (the catch-up is checked: exactly the missed messages, once, in order), B by
rejoining the room (the floor keeps no history), C by rejoining and reading the room's last 50
messages (its history, not checked: the harness's contract has no ``seq``). Primary figure:
CPU-milliseconds per reconnected client (web processes + PostgreSQL + Redis, from /proc, over
the reconnect); secondary: the wall time until the last client had its ``session:history``.

**Max rate** (``--maxrate``): one deployment per variant, ``--maxrate-rooms`` rooms (400), the
harness's load generator run once per step with the offered total rate stepped up
(``--maxrate-steps`` msg/s); a step passes with p99 < 100 ms, every socket connected, nothing
lost, no ack refused or missing, and ≥ 95 % of the offered rate sent; a failing step is run once
more before it counts (one stall of this shared host must not end the search); the search stops
at the first confirmed failure. Out-of-``seq`` deliveries are recorded, not judged (two
processes publish after commit: docs/performance.md). Per-room rates stay under the per-user
rate limit (30 per 10 s) up to 2,400 msg/s at 400 rooms. Steps start at 100 msg/s: on a busy
shared host even the floor can miss the p99 at 300.

L runs with AGENT_OFFLINE_GRACE_SECONDS=3600: the harness's agents hold no /support socket, so
after the default 60 s their chats would go back to the queue and their sends be refused.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from typing import Any

import deployed
import proccpu
from _server import BENCH_DIR, HARNESS, LOADGEN_CPUS, LineProcess, emit, log, table

GRACE = {"AGENT_OFFLINE_GRACE_SECONDS": "3600"}
PRIMARY = deployed.PRIMARY
P99_LIMIT_MS = 100.0


def _busy() -> float:
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    return (sum(v) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")


def run_storm(key: str, args: argparse.Namespace) -> dict[str, Any]:
    """One storm on fresh processes of ``key``; one result line."""
    rooms = args.storm_rooms
    with deployed.deployment(key, args, rooms, GRACE) as d:
        floor = d.target in ("B", "C")  # the harness's contract: rejoin by room id
        argv = ["taskset", "-c", LOADGEN_CPUS, "node", "--max-old-space-size=2048", "-r",
                str(BENCH_DIR / "route_preload.js"), str(BENCH_DIR / "storm.js"), "--url", d.url,
                "--rooms", str(rooms), "--mode", "floor" if floor else "lc"]  # fmt: skip
        for k, v in d.tokens.items():
            argv += [f"--{k}", str(v)]
        env = {
            **os.environ,
            "NODE_PATH": str(HARNESS / "node_modules"),
            "BENCH_ROUTE": json.dumps(d.route or {}),
        }
        st = LineProcess(f"storm {key}", argv, env=env)
        try:
            st.read(30)
            c0 = proccpu.sample(d.groups)
            connect = st.send("connect", 300)
            c1 = proccpu.sample(d.groups)
            chat = st.send("chat 2", 120)
            st.send("disconnect", 30)
            time.sleep(args.storm_pause)  # the servers handle 1,000 disconnects first
            post = None if floor else st.send(f"post {args.storm_missed}", 300)
            time.sleep(1.0)
            t0, m0, s0 = time.monotonic(), _busy(), proccpu.sample(d.groups)
            l0 = proccpu.tree_cpu([st.proc.pid])
            reconnect = st.send("reconnect", 300)
            t1, m1, s1 = time.monotonic(), _busy(), proccpu.sample(d.groups)
            l1 = proccpu.tree_cpu([st.proc.pid])
            after = st.send("chat 1", 120)
            assert st.proc.stdin is not None
            st.proc.stdin.write("quit\n")  # storm.js answers quit by exiting
            st.proc.stdin.flush()
        finally:
            st.close()
        head = deployed.result_head(d, "storm", 1, rooms)
    win = proccpu.delta(s0, s1)
    primary = sum(v for k, v in win.items() if k in PRIMARY)
    ok = reconnect["ok"] or 0
    wall = max(1e-6, t1 - t0)
    # the settle second storm.js waits for stray messages is inside the window: CPU only
    other = max(0.0, (m1 - m0) - sum(v for k, v in win.items() if k in (*PRIMARY, "nginx")))
    other -= l1 - l0
    con = proccpu.delta(c0, c1)
    line = {
        **head,
        "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "clients": 2 * rooms,
        "reconnectCpuMsPerClient": round(1000 * primary / ok, 3) if ok else None,
        # when clients are refused, the CPU spent on them too, over every client that tried
        "reconnectCpuMsPerAttempt": round(1000 * primary / reconnect["attempted"], 3),
        "reconnectCpuMsPerClientBy": {k: round(1000 * v / ok, 3) for k, v in win.items()}
        if ok
        else None,
        "reconnectCpuS": {k: round(v, 3) for k, v in win.items()},
        "reconnectAllMs": reconnect["allMs"],
        "reconnectWindowS": round(wall, 2),
        "otherCpuPct": round(100 * max(0.0, other) / wall, 1),
        "loadgenCpuPct": round(100 * (l1 - l0) / wall, 1),
        "connectCpuMsPerSocket": round(
            1000 * sum(v for k, v in con.items() if k in PRIMARY) / connect["ok"], 3
        )
        if connect["ok"]
        else None,
        "connect": connect,
        "chat": chat,
        "post": post,
        "reconnect": reconnect,
        "after": after,
    }
    emit(line, args.out)
    r = reconnect
    log(
        f"{key} storm: {r['ok']}/{r['attempted']} back in {r['allMs']} ms (p50 "
        f"{r['perClientMs']['p50']} p99 {r['perClientMs']['p99']}), "
        f"{line['reconnectCpuMsPerClient']} CPU ms/client {line['reconnectCpuMsPerClientBy']}; "
        f"lost {r['lost']} dup {r['duplicated']} order {r['outOfOrder']}; "
        f"other {line['otherCpuPct']}%, load {line['loadAvg']}"
    )
    return line


def _step_ok(raw: dict[str, Any], offered: float) -> tuple[bool, str]:
    m, lat, c = raw.get("msgs") or {}, raw.get("latencyMs") or {}, raw.get("connect") or {}
    ak = raw.get("acks") or {}
    why = []
    if c.get("failed"):
        why.append(f"{c['failed']} sockets failed")
    if lat.get("p99") is None or lat["p99"] >= P99_LIMIT_MS:
        why.append(f"p99 {lat.get('p99')} ms")
    if m.get("lost"):
        why.append(f"lost {m['lost']}")
    if (ak.get("failed") or 0) + (ak.get("missing") or 0):
        why.append(f"acks failed {ak.get('failed')} missing {ak.get('missing')} {ak.get('codes')}")
    if (m.get("sentPerSec") or 0) < 0.95 * offered:
        why.append("the load generator could not hold the rate")
    if raw.get("disconnectsDuringRun"):
        why.append("disconnects")
    return not why, ", ".join(why)


def run_maxrate(key: str, args: argparse.Namespace) -> dict[str, Any]:
    """The offered rate stepped up on one deployment of ``key``; one result line."""
    rooms = args.maxrate_rooms
    steps = [float(x) for x in args.maxrate_steps.split(",") if x]
    hist: list[dict[str, Any]] = []
    with deployed.deployment(key, args, rooms, GRACE) as d:
        head = deployed.result_head(d, "maxrate", 1, rooms)
        for offered in steps:
            passed = False
            for attempt in (1, 2):
                opts: dict[str, Any] = {
                    "rooms": rooms,
                    "scenario": f"maxrate-{key}-{offered:g}",
                    "rate": round(offered / rooms, 4),
                    "duration": args.maxrate_duration,
                    "warmup": args.maxrate_warmup,
                    "drain": 3,
                    **d.tokens,
                }
                res = deployed.run_loadgen(d.url, d.groups, d.route, opts)
                raw = res["raw"]
                ok, why = _step_ok(raw, offered)
                m, lat = raw.get("msgs") or {}, raw.get("latencyMs") or {}
                step = {
                    "offered": offered,
                    "attempt": attempt,
                    "pass": ok,
                    "why": why,
                    "deliveredPerSec": m.get("deliveredPerSec"),
                    "p50": lat.get("p50"),
                    "p99": lat.get("p99"),
                    "seqViolations": (raw.get("seq") or {}).get("violations"),
                    "duplicates": m.get("duplicates"),
                    "otherCpuPct": (raw.get("machine") or {}).get("otherCpuPct"),
                    "loadAvg": [round(x, 2) for x in os.getloadavg()],
                    **deployed.figures(res),
                    "windowCpuS": res["windowCpuS"],
                }
                hist.append(step)
                log(
                    f"{key} maxrate {offered:g} msg/s (try {attempt}): delivered "
                    f"{step['deliveredPerSec']}/s p99 {step['p99']} ms "
                    f"{'pass' if ok else 'FAIL: ' + why}; CPU {step.get('cpuMsPerMsg')} ms/msg, "
                    f"other {step['otherCpuPct']}%"
                )
                if ok:
                    passed = True
                    break
            if not passed:
                break
    good = [h for h in hist if h["pass"]]
    best = max(good, key=lambda h: h["deliveredPerSec"] or 0) if good else None
    fails = [h for h in hist if not h["pass"]]
    line = {
        **head,
        "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "p99LimitMs": P99_LIMIT_MS,
        "maxDeliveredPerSec": best and best["deliveredPerSec"],
        "maxOffered": best and best["offered"],
        "firstFail": fails[-1] if fails and not hist[-1]["pass"] else None,
        "steps": hist,
    }
    emit(line, args.out)
    log(f"{key} maxrate: {line['maxDeliveredPerSec']} delivered msg/s with p99 < 100 ms")
    return line


def summarize(lines: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """The storm and max-rate lines: a table each and the L2/B2 ratios."""
    out, figs = [], {}
    storms = {r["variant"]: r for r in lines if r.get("scenario") == "storm"}
    if storms:
        rows = []
        for k, r in storms.items():
            rc = r["reconnect"]
            rows.append([
                k, f"{rc['ok']}/{rc['attempted']}", r["reconnectCpuMsPerClient"],
                r.get("reconnectCpuMsPerAttempt"),
                " ".join(f"{g} {v}" for g, v in (r["reconnectCpuMsPerClientBy"] or {}).items()),
                r["reconnectAllMs"], rc["perClientMs"]["p50"], rc["perClientMs"]["p99"],
                f"{rc['lost']}/{rc['duplicated']}/{rc['outOfOrder']}/{rc['unexpected']}",
                r["otherCpuPct"], r["loadAvg"],
            ])  # fmt: skip
        out.append(table(["variant", "caught up", "CPU ms / client", "CPU ms / attempt",
                          "by process", "all (ms)",
                          "p50 ms", "p99 ms", "lost/dup/order/unexpected", "other CPU %",
                          "load avg"], rows))  # fmt: skip
    rates = {r["variant"]: r for r in lines if r.get("scenario") == "maxrate"}
    if rates:
        rows = []
        for k, r in rates.items():
            steps = " ".join(
                f"{h['offered']:g}:{h['deliveredPerSec']}/{h['p99']}{'' if h['pass'] else '✗'}"
                for h in r["steps"]
            )
            rows.append([k, r["maxDeliveredPerSec"], (r["firstFail"] or {}).get("why"), steps])
        out.append(table(["variant", "max delivered msg/s (p99 < 100 ms)", "first fail",
                          "steps (offered: delivered/s / p99 ms)"], rows))  # fmt: skip

    def ratio(a: Any, b: Any) -> Any:
        return round(a / b, 2) if a and b else None

    b, lc = storms.get("B2"), storms.get("L2")
    if b and lc:
        figs["stormCpuPerClientL2overB2"] = ratio(
            lc["reconnectCpuMsPerClient"], b["reconnectCpuMsPerClient"]
        )
        figs["stormCpuPerAttemptL2overB2"] = ratio(
            lc.get("reconnectCpuMsPerAttempt"), b.get("reconnectCpuMsPerAttempt")
        )
        figs["stormWallL2overB2"] = ratio(lc["reconnectAllMs"], b["reconnectAllMs"])
        figs["stormCaughtUpL2"] = f"{lc['reconnect']['ok']}/{lc['reconnect']['attempted']}"
    b, lc = rates.get("B2"), rates.get("L2")
    if b and lc:
        figs["maxRateL2overB2"] = ratio(lc["maxDeliveredPerSec"], b["maxDeliveredPerSec"])
    # Beside the persistence floor C (no target names it): C2 stores each message and reads a
    # room's last 50 on every rejoin.
    for name, lines_, field in (
        ("stormCpuPerClient", storms, "reconnectCpuMsPerClient"),
        ("maxRate", rates, "maxDeliveredPerSec"),
    ):
        for top, under in (("L2", "C2"), ("C2", "B2")):
            if top in lines_ and under in lines_:
                figs[f"{name}{top}over{under}"] = ratio(lines_[top][field], lines_[under][field])
    if figs:
        out.append(table(["ratio (same run)", "value"], [[k, v] for k, v in figs.items()]))
    loads = [x["loadAvg"][0] for x in lines if x.get("loadAvg")]
    summary = {
        "bench": "deployed-scale-summary",
        "ratios": figs,
        "loadAvg1Median": statistics.median(loads) if loads else None,
    }
    return "\n\n".join(out), summary

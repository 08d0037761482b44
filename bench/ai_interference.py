#!/usr/bin/env python3
"""AI streaming interference: does a busy assistant slow human chat down?

One server (the Procfile's gunicorn, pinned to CPU 0, fresh PostgreSQL database, the OpenAI
provider pointed at the project's local OpenAI-compatible stub), 250 rooms of human chat
(customer + assigned agent: no AI there) and 20 unassigned customers the assistant answers. The
harness's load generator measures human fan-out latency twice in the same run:

  (a) baseline: no AI traffic;
  (b) while 20 slow streamed replies are always in flight (each customer asks, waits for
      ai:complete / ai:error / ai:cancelled, asks again; the stub sends ~15 chunks 0.2 s apart).

Target: p99(b) / p99(a) < 1.10. Prints one JSON line (also appended to
bench/results/<date>-ai.jsonl) and a table; exit 1 if human chat lost, duplicated or reordered
anything, or if no AI reply completed (then the scenario did not happen).

  python3 bench/ai_interference.py            # ~6 min (3 rounds of 40 s); `bench/run ai`
  python3 bench/ai_interference.py --worker   # AI_WORKER=external: the assistant in its own
                                              # process (CPU 1 by default) + Redis, both runs

This machine has two cores: CPU 0 carries the server and PostgreSQL, CPU 1 the load generator,
whose clock measures every latency. Everything else on CPU 1 stands for other machines (the
OpenAI stub, the 20 AI customers' browsers, and with --worker the assistant process, which a
deployment gives cores of its own) and runs under SCHED_IDLE, so it only uses the time the load
generator leaves: what is measured is the AI's cost to the server, not to the load generator.
p99 of one run moves by several tenths of a millisecond between runs: use --rounds 3 or more
(runs alternate ab, ba, ...; the ratio is of the medians, the per-round ratios are printed too).

--placement moves things between the two cores (see its help): `shared` is the above; `split`
gives the server CPU 0 alone; `deployment` puts on CPU 1 what the human path itself uses (the
load generator at nice -10, PostgreSQL, Redis) and on CPU 0 the server with everything that
stands for other machines at SCHED_IDLE beside it. On this kind of machine (virtual CPUs), the
assistant's work on the load generator's core moves p99 by more than its CPU share alone:
docs/performance.md has the measurements.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import types
import urllib.request
from collections.abc import Iterator
from typing import Any

from _server import (
    LOADGEN_CPUS,
    PROJECT,
    SERVER_CPUS,
    LineProcess,
    ProjectServer,
    cpu_seconds,
    emit,
    guarded,
    harness,
    log,
    machine_note,
    node_command,
    node_env,
    results_path,
    setup,
    table,
)

# --placement: (--db-cpus, --worker-cpus, --stand-ins-cpus).
PLACEMENTS = {
    "shared": (SERVER_CPUS, LOADGEN_CPUS, LOADGEN_CPUS),
    "split": (LOADGEN_CPUS, LOADGEN_CPUS, LOADGEN_CPUS),
    "deployment": (LOADGEN_CPUS, SERVER_CPUS, SERVER_CPUS),
}

# The stub runs in its own small gevent process next to the load generators (CPU 1).
STUB = r"""
from gevent import monkey
monkey.patch_all()
import json, signal, sys
import gevent, gevent.event
sys.path.insert(0, sys.argv[1])
from tests.support.openai_stub import OpenAIStub
stub = OpenAIStub()
stub.chunks = json.loads(sys.argv[2])
stub.chunk_delay = float(sys.argv[3])
# Turns make no classification request any more (classifyRequests should stay 0); a valid one
# is kept so a regression costs a request, not seconds of the client's retries on a 500.
stub.classification = {"intent": "general", "sentiment": {"score": 0.1, "label": "neutral"},
                       "complexity": "low", "handoff": False, "reason": "faq", "confidence": 0.9}
print(json.dumps({"baseUrl": stub.base_url}), flush=True)
done = gevent.event.Event()
gevent.signal_handler(signal.SIGTERM, done.set)
done.wait()
print(json.dumps({"streamRequests": sum(1 for r in stub.requests if r.get("stream")),
                  "classifyRequests": sum(1 for r in stub.requests if "response_format" in r),
                  "chunksPerStream": len(stub.chunks)}), flush=True)
stub.stop()
"""

# --calibrate: plain CPU work on the server's core instead of the AI traffic, at normal priority,
# in short slices at random (Poisson) moments, as the AI's relays and statements arrive. It
# answers "is the AI's cost more than the CPU it takes on that core?": if this moves p99 as much
# as the same CPU share of AI traffic does, nothing in the AI path blocks anybody; it is load.
BURNER = r"""
import random, sys, time
share, slice_s = float(sys.argv[1]) / 100, float(sys.argv[2]) / 1000
gap = slice_s * (1 - share) / share
print("ready", flush=True)
while True:
    end = time.perf_counter() + slice_s
    while time.perf_counter() < end:
        pass
    time.sleep(random.expovariate(1 / gap))
"""

ANSWER = (
    "You can change that in the app: open Profile, then Settings, choose the section you need, "
    "adjust it, and confirm with the code we send you. Changes apply at once; if something looks "
    "wrong afterwards, write to us here and we will check it together with you."
)

LOADGEN_ARGS = types.SimpleNamespace(
    path="/socket.io/chat",
    token="bench-token",
    user_token="",
    agent_token="",
    sessions_file="",
    tokens_file="",
    acks=1,
    connect_concurrency=200,
    content_bytes=64,
)


def chunks_of(text: str, n: int) -> list[str]:
    """``text`` in ``n`` pieces of whole words (what the stub streams, one piece per chunk)."""
    words = text.split(" ")
    n = max(1, min(n, len(words)))
    cuts = [round(i * len(words) / n) for i in range(n + 1)]
    parts = [" ".join(words[cuts[i] : cuts[i + 1]]) for i in range(n)]
    return [p + ("" if i == n - 1 else " ") for i, p in enumerate(parts)]


def human(r: dict[str, Any]) -> dict[str, Any]:
    """The figures of one load-generator run that this scenario reports."""
    m, lat, ak, sq = r["msgs"], r["latencyMs"], r.get("acks") or {}, r.get("seq") or {}
    return {
        "p50": lat["p50"],
        "p90": lat["p90"],
        "p99": lat["p99"],
        "max": lat["max"],
        "sentPerSec": m["sentPerSec"],
        "deliveredPerSec": m["deliveredPerSec"],
        "lost": m["lost"],
        "duplicates": m["duplicates"],
        "seqViolations": sq.get("violations"),
        "acksFailed": ak.get("failed"),
        "acksMissing": ak.get("missing"),
        "ackCodes": ak.get("codes"),
        "aiEventsInHumanRooms": (r.get("aiEvents") or 0) + (m.get("aiMessages") or 0),
        "connectFailed": r["connect"]["failed"],
        "disconnects": r.get("disconnectsDuringRun"),
        "serverCpuPct": (r.get("server") or {}).get("cpuPct"),
        "dbCpuPct": (r.get("server") or {}).get("auxCpuPct"),
        "loadgenCpuPct": (r.get("loadgen") or {}).get("cpuPct"),
        "otherCpuPct": (r.get("machine") or {}).get("otherCpuPct"),
        "errors": r.get("errors"),
    }


def integrity_problems(h: dict[str, Any]) -> list[str]:
    bad = []
    for key in ("lost", "duplicates", "seqViolations", "acksFailed", "acksMissing"):
        if h.get(key):
            bad.append(f"{key} {h[key]}")
    if h["aiEventsInHumanRooms"]:
        bad.append(f"AI traffic in assigned rooms {h['aiEventsInHumanRooms']}")
    if h["connectFailed"]:
        bad.append(f"connect failures {h['connectFailed']}")
    return bad


def redis_server_pids() -> list[int]:
    """The machine's redis-server processes (the bench's Redis runs on this machine)."""
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            with contextlib.suppress(OSError), open(f"/proc/{d}/comm") as f:
                if f.read().strip() == "redis-server":
                    pids.append(int(d))
    return pids


@contextlib.contextmanager
def db_placement(args: argparse.Namespace, srv: ProjectServer) -> Iterator[None]:
    """--db-cpus: move our database's PostgreSQL backends (and, with --worker, Redis) off the
    server's core, as a deployment with database and Redis hosts of its own has them. Redis is
    the machine's own server: its CPU affinity is put back afterwards."""
    if args.db_cpus == SERVER_CPUS:
        yield
        return
    cpus = harness._cpuset(args.db_cpus)
    if srv.pinner is None:
        raise RuntimeError("--db-cpus needs the harness's PostgreSQL pinner (system PostgreSQL)")
    srv.pinner.cpus = cpus  # new backends from now on
    for pid in list(srv.db_backends):  # and those already pinned to the server's core
        with contextlib.suppress(ProcessLookupError):
            os.sched_setaffinity(pid, cpus)
    saved: dict[int, set[int]] = {}
    if args.worker:
        for pid in redis_server_pids():
            with contextlib.suppress(ProcessLookupError):
                saved[pid] = os.sched_getaffinity(pid)
                for tid in os.listdir(f"/proc/{pid}/task"):  # redis-server has I/O threads
                    with contextlib.suppress(ProcessLookupError):
                        os.sched_setaffinity(int(tid), cpus)
    try:
        yield
    finally:
        for pid, old in saved.items():
            with contextlib.suppress(ProcessLookupError, FileNotFoundError):
                for tid in os.listdir(f"/proc/{pid}/task"):
                    with contextlib.suppress(ProcessLookupError):
                        os.sched_setaffinity(int(tid), old)


class CpuGroup:
    """A cpu cgroup for this bench's processes whose priority must hold against other sessions.

    With autogroup scheduling (``/proc/sys/kernel/sched_autogroup_enabled``, on by default in
    most distributions) each session is its own task group, and groups share a core as equals:
    SCHED_IDLE and nice then rank a process only against the others of its own session. The
    stand-ins (one session each) and the assistant competed with the web process like any other
    process and delayed its wake-ups by up to a scheduler slice; the load generator's nice -10
    did nothing against the PostgreSQL backends on its core. In a cgroup with ``cpu.idle`` the
    processes run only when the core is otherwise idle (systemd's ``CPUWeight=idle`` for a
    service); a cgroup's weight stands for a nice level against the other groups. create()
    gives None where this kernel or mount has no such cgroup (the cgroup v1 ``cpu`` controller
    at /sys/fs/cgroup/cpu, or cgroup v2 at /sys/fs/cgroup) or it cannot be written."""

    def __init__(self, path: str) -> None:
        self.path = path

    @classmethod
    def create(cls, kind: str, *, idle: bool = False, nice: int = 0) -> CpuGroup | None:
        # The kernel's weight for a nice level (sched_prio_to_weight: x1.25 a step, 1024 at
        # 0); cgroup v2's cpu.weight is that scaled to its default of 100.
        weight = round(1024 / 1.25**nice)
        for root, key, value in (
            ("/sys/fs/cgroup/cpu", "cpu.idle" if idle else "cpu.shares", 1 if idle else weight),
            ("/sys/fs/cgroup", "cpu.idle" if idle else "cpu.weight", 1 if idle else weight // 10),
        ):
            if not os.path.exists(os.path.join(root, "cgroup.procs")):
                continue
            path = os.path.join(root, f"lc-bench-{kind}-{os.getpid()}")
            try:
                os.makedirs(path, exist_ok=True)
                with open(os.path.join(path, key), "w") as f:
                    f.write(str(value))
            except OSError:
                with contextlib.suppress(OSError):
                    os.rmdir(path)
                continue
            return cls(path)
        return None

    def add(self, pid: int) -> None:
        """Move the process (all its threads; children it starts later stay in the group)."""
        with open(os.path.join(self.path, "cgroup.procs"), "w") as f:
            f.write(str(pid))

    def release(self, pid: int) -> None:
        """Move the process back to the root group."""
        with contextlib.suppress(OSError):
            with open(os.path.join(os.path.dirname(self.path), "cgroup.procs"), "w") as f:
                f.write(str(pid))

    def remove(self) -> None:
        """Put what is left of the processes back at the root, and delete the group."""
        with contextlib.suppress(OSError), open(os.path.join(self.path, "cgroup.procs")) as f:
            left = [int(line) for line in f if line.strip()]
        for pid in left:
            self.release(pid)
        with contextlib.suppress(OSError):
            os.rmdir(self.path)


def idle_group(args: argparse.Namespace) -> CpuGroup | None:
    """The cgroup for this run's SCHED_IDLE processes (None: not needed, or not available)."""
    wanted = (
        args.stand_ins == "idle"
        or (args.worker and args.worker_sched == "idle")
        or (args.calibrate and args.calibrate_sched == "idle")
        or args.assistant_db_sched == "idle"
    )
    if not wanted or args.no_idle_cgroup:
        return None
    group = CpuGroup.create("idle", idle=True)
    if group is None:
        log(
            "WARNING: no cpu cgroup with cpu.idle here: SCHED_IDLE processes compete with the "
            "server as equals wherever autogroup scheduling is on"
        )
    return group


@contextlib.contextmanager
def assistant_backends(
    args: argparse.Namespace, srv: ProjectServer, group: CpuGroup | None
) -> Iterator[set[int]]:
    """With --worker: the PostgreSQL backends that serve the assistant process (its connections
    carry application_name livechat-assistant), found by a scan; their CPU is reported.
    --assistant-db-cpus / --assistant-db-sched place them apart from those serving the web
    process (re-applied each time: the harness's pinner moves new backends to --db-cpus)."""
    seen: set[int] = set()
    if not args.worker:
        yield seen
        return
    cpus = harness._cpuset(args.assistant_db_cpus) if args.assistant_db_cpus else None
    done = threading.Event()

    def place() -> None:
        # Every 0.5 s while the pools open their connections, then every 5 s: each scan is a
        # psql process, CPU the measured phases should not pay for.
        started = time.monotonic()
        while not done.wait(0.5 if time.monotonic() - started < 30 else 5):
            res = harness._psql(
                srv.base,
                "SELECT pid FROM pg_stat_activity WHERE application_name = 'livechat-assistant'",
            )
            for pid in (int(x) for x in res.stdout.split() if x.isdigit()):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    if cpus is not None:
                        os.sched_setaffinity(pid, cpus)
                    if args.assistant_db_sched == "idle" and pid not in seen:
                        os.sched_setscheduler(pid, os.SCHED_IDLE, os.sched_param(0))
                        if group is not None:
                            group.add(pid)
                    seen.add(pid)

    thread = threading.Thread(target=place, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        done.set()
        thread.join(5)


# The web process's own latency histograms (its /metrics), per phase: which share of each stage
# took longer than a bucket bound. Tells queueing inside the web process and its database
# (send, commit) from delays outside it (the load generator's core, the kernel).
STAGES = {
    "send": "livechat_message_send_seconds",  # message:send handled: stored, committed, emitted
    "commit": "livechat_db_commit_seconds",  # the group-commit statement
    "fanout": "livechat_fanout_seconds",  # handing message:new to the room (and Redis)
}
STAGE_BOUNDS = ("0.005", "0.01", "0.025")


GC_PAUSE = "livechat_gc_pause_seconds"


def stage_buckets(url: str) -> dict[str, dict[str, float]]:
    """Cumulative bucket counts of STAGES from the web process's /metrics ({} if unreadable),
    and under "gc" its garbage collections and their pause seconds by generation."""
    try:
        with urllib.request.urlopen(f"{url}/metrics", timeout=5) as resp:  # noqa: S310
            text = resp.read().decode()
    except OSError:
        return {}
    out: dict[str, dict[str, float]] = {"gc": {}}
    for line in text.splitlines():
        for suffix in ("count", "sum"):
            if line.startswith(f'{GC_PAUSE}_{suffix}{{generation="'):
                gen = line.split('generation="', 1)[1].split('"', 1)[0]
                out["gc"][f"{suffix}{gen}"] = float(line.rsplit(" ", 1)[1])
    for stage, name in STAGES.items():
        counts: dict[str, float] = {}
        for line in text.splitlines():
            if line.startswith(f'{name}_bucket{{le="'):
                le = line.split('le="', 1)[1].split('"', 1)[0]
                counts[le] = float(line.rsplit(" ", 1)[1])
            elif line.startswith(f"{name}_count "):
                counts["count"] = float(line.rsplit(" ", 1)[1])
        out[stage] = counts
    return out


def stage_tails(
    before: dict[str, dict[str, float]], after: dict[str, dict[str, float]]
) -> dict[str, dict[str, float | None]]:
    """Per stage, over one phase: observations and the % of them above each STAGE_BOUNDS."""
    tails: dict[str, dict[str, float | None]] = {}
    for stage in STAGES:
        b, a = before.get(stage, {}), after.get(stage, {})
        n = a.get("count", 0.0) - b.get("count", 0.0)
        row: dict[str, float | None] = {"n": n}
        for le in STAGE_BOUNDS:
            under = a.get(le, 0.0) - b.get(le, 0.0)
            row[f">{float(le) * 1000:g}ms"] = round(100 * (n - under) / n, 3) if n else None
        tails[stage] = row
    b, a = before.get("gc", {}), after.get("gc", {})
    tails["gc"] = {
        key: round(a[key] - b.get(key, 0.0), 4 if key.startswith("sum") else 0) for key in a
    }
    return tails


# PostgreSQL's WAL over one phase (pg_stat_wal, cluster-wide): how many records, whole-page
# images and bytes each phase wrote, and how many flushes the commits waited for. The human
# path's commits wait for those flushes; (b)'s AI traffic adds to what each one carries.
WAL_FIELDS = ("wal_records", "wal_fpi", "wal_bytes", "wal_write", "wal_sync")


def wal_stats(srv: ProjectServer) -> dict[str, float]:
    """pg_stat_wal's counters now ({} if unreadable)."""
    res = harness._psql(srv.base, f"SELECT {', '.join(WAL_FIELDS)} FROM pg_stat_wal")
    values = res.stdout.strip().split("|")
    if res.returncode or len(values) != len(WAL_FIELDS):
        return {}
    return {k: float(v) for k, v in zip(WAL_FIELDS, values, strict=True)}


def wal_rates(
    before: dict[str, float], after: dict[str, float], seconds: float
) -> dict[str, float]:
    """Per second over one phase, and KiB of WAL per flush."""
    if not before or not after or seconds <= 0:
        return {}
    d = {k: after[k] - before[k] for k in WAL_FIELDS}
    out = {f"{k.removeprefix('wal_')}PerSec": round(v / seconds, 1) for k, v in d.items()}
    out["kibPerSync"] = round(d["wal_bytes"] / 1024 / d["wal_sync"], 2) if d["wal_sync"] else 0.0
    return out


def process_ticks() -> dict[int, tuple[str, int]]:
    """Every process's name and CPU ticks so far (utime + stime, threads included)."""
    out: dict[int, tuple[str, int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            with open(f"/proc/{entry}/stat") as f:
                raw = f.read()
            name = raw[raw.index("(") + 1 : raw.rindex(")")]
            fields = raw.rsplit(")", 1)[1].split()
            out[int(entry)] = (name, int(fields[11]) + int(fields[12]))
    return out


def busiest(
    before: dict[int, tuple[str, int]],
    after: dict[int, tuple[str, int]],
    seconds: float,
    n: int = 8,
) -> list[tuple[str, float]]:
    """The processes that used the most CPU over a phase (% of a core), by name: who else was
    busy when a phase reads slow (the load generator, server and database are among them)."""
    clk = os.sysconf("SC_CLK_TCK")
    used: dict[str, float] = {}
    for pid, (name, ticks) in after.items():
        start = before.get(pid, (name, 0))[1]
        used[name] = used.get(name, 0.0) + (ticks - start) / clk
    top = sorted(used.items(), key=lambda kv: -kv[1])[:n]
    return [(name, round(100 * sec / seconds, 1)) for name, sec in top if seconds > 0]


def steal_ticks() -> dict[str, int]:
    """Per CPU, the ticks the hypervisor ran something else while this VM wanted the CPU
    (/proc/stat's steal column): a phase with much of it measured the host, not the code."""
    out: dict[str, int] = {}
    with contextlib.suppress(OSError), open("/proc/stat") as f:
        for line in f:
            name, *values = line.split()
            if name.startswith("cpu") and name != "cpu" and len(values) > 7:
                out[name] = int(values[7])
    return out


def steal_pct(before: dict[str, int], after: dict[str, int], seconds: float) -> dict[str, float]:
    """Per CPU, the % of the phase stolen by the hypervisor."""
    clk = os.sysconf("SC_CLK_TCK")
    return {
        cpu: round(100 * (after[cpu] - before.get(cpu, 0)) / clk / seconds, 1)
        for cpu in after
        if seconds > 0
    }


@contextlib.contextmanager
def loadgen_priority(nice: int | None, group: CpuGroup | None) -> Iterator[None]:
    """Run the load generator (a child of this process) at `nice`, so that the database and
    Redis moved onto its core with --db-cpus do not delay the clock that measures latency;
    in `group` (a cgroup of nice's weight), where nice alone would count only inside this
    session (CpuGroup)."""
    if nice is None:
        yield
        return
    old = os.getpriority(os.PRIO_PROCESS, 0)
    os.setpriority(os.PRIO_PROCESS, 0, nice)
    if group is not None:
        group.add(os.getpid())
    try:
        yield
    finally:
        if group is not None:
            group.release(os.getpid())
        os.setpriority(os.PRIO_PROCESS, 0, old)


def start_burner(
    args: argparse.Namespace, venv: str, group: CpuGroup | None
) -> subprocess.Popen[bytes]:
    """--calibrate: the CPU burner on --calibrate-cpus (the server's core by default), at
    normal priority or SCHED_IDLE (--calibrate-sched), once it runs."""
    prio = ["chrt", "--idle", "0"] if args.calibrate_sched == "idle" else []
    argv = [
        *prio,
        "taskset",
        "-c",
        args.calibrate_cpus,
        os.path.join(venv, "bin", "python"),
        "-c",
        BURNER,
        str(args.calibrate),
        str(args.calibrate_slice_ms),
    ]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE)  # noqa: S603 - our own command line
    if prio and group is not None:
        group.add(proc.pid)
    assert proc.stdout is not None
    proc.stdout.readline()
    return proc


@contextlib.contextmanager
def assistant_process(
    args: argparse.Namespace, srv: ProjectServer, group: CpuGroup | None
) -> Iterator[Any]:
    """With --worker: `flask livechat assistant` on the server's environment, pinned to
    --worker-cpus, ready once its /healthz answers (subscribed); else None."""
    if not args.worker:
        yield None
        return
    port = srv.port + 1
    if args.worker_sched == "idle":
        prio = ["chrt", "--idle", "0"]
    else:
        prio = ["nice", "-n", str(args.worker_nice)]
    argv = [
        "taskset",
        "-c",
        args.worker_cpus,
        *prio,
        os.path.join(srv.venv, "bin", "flask"),
        "--app",
        "wsgi",
        "livechat",
        "assistant",
        "--port",
        str(port),
    ]
    log_path = os.path.join(harness.LOGS, "assistant-ai.log")
    with open(log_path, "a") as logf:
        env = {**srv.env, **dict(kv.split("=", 1) for kv in args.worker_env)}
        proc = subprocess.Popen(  # noqa: S603 - our own command line
            argv, cwd=str(PROJECT), env=env, stdout=logf, stderr=subprocess.STDOUT
        )
        if args.worker_sched == "idle" and group is not None:
            group.add(proc.pid)
        try:
            deadline = time.time() + 60
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"the assistant process exited; see {log_path}")
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                        break
                except OSError as exc:
                    if time.time() > deadline:
                        raise RuntimeError(f"the assistant is not ready; see {log_path}") from exc
                    time.sleep(0.3)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def run(args: argparse.Namespace) -> int:
    setup()
    out = args.out or results_path("ai")
    logs = harness.LOGS
    os.makedirs(logs, exist_ok=True)
    rooms_file = os.path.join(logs, f"ai-rooms-{os.getpid()}.json")
    customers_file = os.path.join(logs, f"ai-customers-{os.getpid()}.json")
    t_start = time.time()
    venv = harness.lc_venv(str(PROJECT))
    # The stub stands in for OpenAI and the driver for 20 other people's browsers: both live on
    # other machines in a real deployment. With --stand-ins idle (default) they run under
    # SCHED_IDLE, so on CPU 1 they take only what the load generator leaves and never delay it.
    side_prio = ["chrt", "--idle", "0"] if args.stand_ins == "idle" else []
    stub_argv = [
        *side_prio,
        "taskset",
        "-c",
        args.stand_ins_cpus,
        os.path.join(venv, "bin", "python"),
        "-c",
        STUB,
        str(PROJECT),
        json.dumps(chunks_of(ANSWER, args.chunks)),
        str(args.chunk_delay),
    ]
    runs: list[dict[str, Any]] = []
    ai_results: list[dict[str, Any]] = []
    split = args.db_cpus != SERVER_CPUS
    loadgen_nice = args.loadgen_nice if split else None
    group = idle_group(args)
    args.idle_cgroup = group.path if group else None
    loadgen_group = (
        CpuGroup.create("loadgen", nice=loadgen_nice)
        if loadgen_nice is not None and args.loadgen_cgroup
        else None
    )
    args.loadgen_cgroup_path = loadgen_group.path if loadgen_group else None
    try:
        with LineProcess("openai stub", stub_argv) as stub:
            if side_prio and group is not None:
                group.add(stub.proc.pid)
            base_url = stub.read(60)["baseUrl"]
            env = {
                "AI_PROVIDER": "openai",
                "OPENAI_BASE_URL": base_url,
                "OPENAI_API_KEY": "sk-bench",
                "AI_MAX_CONCURRENCY": str(args.ai_concurrency),
            }
            if args.worker:
                env.update(
                    AI_WORKER="external",
                    REDIS_URL=args.redis_url,
                    REDIS_CHANNEL=f"lc-bench-{os.getpid()}",
                )
            env.update(dict(kv.split("=", 1) for kv in args.server_env))
            with (
                ProjectServer(env, "ai") as srv,
                assistant_process(args, srv, group) as worker,
                db_placement(args, srv),
                assistant_backends(args, srv, group) as worker_db,
            ):
                prov = srv.provision_rooms(args.rooms, rooms_file)
                customers = srv.provision_customers(args.customers)
                with open(customers_file, "w") as f:
                    json.dump({"customers": customers}, f)
                log(f"provisioned {args.rooms} rooms + {args.customers} AI customers")
                target = types.SimpleNamespace(
                    key="L",
                    url=srv.url,
                    pid=srv.pid,
                    aux_pid=srv.aux_pid,
                    desc=f"livechat @{srv.commit}",
                    tokens_file=rooms_file,
                    info=None,
                )
                driver_cmd = node_command(
                    "ai_driver.js",
                    "--url",
                    srv.url,
                    "--tokens-file",
                    customers_file,
                    "--settle",
                    str(args.settle),
                    "--spread-ms",
                    str(args.spread_ms),
                )
                driver_cmd[2] = args.stand_ins_cpus  # ["taskset", "-c", CPUS, "node", ...]
                driver_argv = side_prio + driver_cmd
                with LineProcess("ai driver", driver_argv, env=node_env()) as ai:
                    if side_prio and group is not None:
                        group.add(ai.proc.pid)
                    ready = ai.read(90)
                    if ready.get("failed"):
                        raise RuntimeError(f"AI customers failed to connect: {ready}")
                    for rnd in range(args.rounds):
                        for kind in "ab" if rnd % 2 == 0 else "ba":
                            side = [stub.proc.pid, ai.proc.pid]
                            w0 = cpu_seconds(worker.pid) if worker else 0.0
                            srv.checkpoint()  # no timed checkpoint inside the phase
                            burner = None
                            if kind == "b" and args.calibrate:
                                burner = start_burner(args, srv.venv, group)
                            elif kind == "b":
                                ai.send("start", 10)
                                time.sleep(args.ai_warmup)  # every stream under way
                            redis_pids = redis_server_pids() if args.worker else []
                            r0 = sum(map(cpu_seconds, redis_pids))
                            adb = {p: cpu_seconds(p) for p in list(worker_db)}
                            stages0 = stage_buckets(srv.url)
                            wal0 = wal_stats(srv)
                            steal0, procs0 = steal_ticks(), process_ticks()
                            c0, t0 = sum(map(cpu_seconds, side)), time.monotonic()
                            with loadgen_priority(loadgen_nice, loadgen_group):
                                r = harness.loadgen(
                                    target,
                                    LOADGEN_ARGS,
                                    rooms=args.rooms,
                                    rate=args.rate,
                                    duration=args.duration,
                                    warmup=args.warmup,
                                    drain=args.drain,
                                    scenario=f"ai-{kind}",
                                )
                            side_pct = (
                                100 * (sum(map(cpu_seconds, side)) - c0) / (time.monotonic() - t0)
                            )
                            elapsed = time.monotonic() - t0
                            stages = stage_tails(stages0, stage_buckets(srv.url))
                            wal = wal_rates(wal0, wal_stats(srv), elapsed)
                            steal = steal_pct(steal0, steal_ticks(), elapsed)
                            top = busiest(procs0, process_ticks(), elapsed)
                            redis_pct = 100 * (sum(map(cpu_seconds, redis_pids)) - r0) / elapsed
                            if burner is not None:
                                burn_pct = 100 * cpu_seconds(burner.pid) / elapsed
                                burner.kill()
                                burner.wait()
                            h = human(r)
                            h.update(
                                kind=kind,
                                round=rnd + 1,
                                aiSideCpuPct=round(side_pct, 1),
                                stages=stages,
                                wal=wal,
                                stealPct=steal,
                                busiest=top,
                            )
                            if redis_pids:
                                h["redisCpuPct"] = round(redis_pct, 1)
                            if worker:
                                h["assistantCpuPct"] = round(
                                    100 * (cpu_seconds(worker.pid) - w0) / elapsed, 1
                                )
                                # Part of dbCpuPct: the backends serving the assistant process.
                                used = sum(
                                    max(0.0, cpu_seconds(p) - adb.get(p, 0.0))
                                    for p in list(worker_db)
                                )
                                h["assistantDbCpuPct"] = round(100 * used / elapsed, 1)
                            if burner is not None:
                                h["calibrationCpuPct"] = round(burn_pct, 1)
                            elif kind == "b":
                                res = ai.send("stop", args.settle + 30)
                                res.pop("event", None)
                                ai_results.append(res)
                            runs.append(h)
                            log(
                                f"({kind}) p50 {h['p50']} p99 {h['p99']} ms, delivered "
                                f"{h['deliveredPerSec']}/s, steal "
                                + "/".join(f"{v:g}" for v in steal.values())
                                + " %"
                                + (
                                    f", AI {ai_results[-1]['completed']} replies"
                                    if kind == "b" and not args.calibrate
                                    else ""
                                )
                            )
                info = srv.info()
            stub.proc.send_signal(signal.SIGTERM)
            stub_stats = stub.read(15)
    finally:
        for path in (rooms_file, customers_file):
            if os.path.exists(path):
                os.remove(path)
        for made in (group, loadgen_group):
            if made is not None:
                made.remove()
    return report(args, out, runs, ai_results, stub_stats, prov, info, time.time() - t_start)


# A phase in which the hypervisor took this much of any CPU (/proc/stat's steal) measured the
# host's other tenants as much as the code: in quiet phases steal stays under 1-1.5 %, and
# the phases with 5-16 % read p99 2-4x the others in the same run (2026-12-01, sixth sitting).
STEAL_LIMIT_PCT = 2.0
MIN_CLEAN_ROUNDS = 3


def quiet(r: dict[str, Any]) -> bool:
    """Whether the hypervisor took less than STEAL_LIMIT_PCT of every CPU during this phase."""
    steal = r.get("stealPct")
    return bool(steal) and max(steal.values()) < STEAL_LIMIT_PCT


def round_ratios(
    a: list[dict[str, Any]], b: list[dict[str, Any]], keep: Any = lambda r: True
) -> dict[str, Any]:
    """The p99 ratios (b)/(a) over the rounds whose two phases both pass ``keep``: the ratio of
    the medians, each round's, and the rounds' median."""
    pairs = [
        (x, y)
        for x in a
        for y in b
        if x["round"] == y["round"] and keep(x) and keep(y) and x["p99"] and y["p99"]
    ]
    per_round = [round(y["p99"] / x["p99"], 3) for x, y in pairs]
    xa, yb = [x for x, _ in pairs], [y for _, y in pairs]
    return {
        "rounds": [x["round"] for x, _ in pairs],
        "ratio": round(med(yb, "p99") / med(xa, "p99"), 3) if pairs else None,
        "perRound": per_round,
        "roundMedian": round(statistics.median(per_round), 3) if per_round else None,
    }


def report(
    args: argparse.Namespace,
    out: Any,
    runs: list[dict[str, Any]],
    ai_results: list[dict[str, Any]],
    stub_stats: dict[str, Any],
    prov: dict[str, Any],
    info: dict[str, Any],
    seconds: float,
) -> int:
    a = [r for r in runs if r["kind"] == "a"]
    b = [r for r in runs if r["kind"] == "b"]
    every = round_ratios(a, b)
    ratio, per_round, round_median = every["ratio"], every["perRound"], every["roundMedian"]
    clean = round_ratios(a, b, keep=quiet)
    ai_sum = {
        k: sum(x[k] for x in ai_results)
        for k in ("completed", "deltas", "asked", "timeouts", "handedOver", "aiMessages")
    }
    window = sum(x["windowS"] for x in ai_results) or None
    ai_sum["deltasPerSec"] = round(ai_sum["deltas"] / window, 1) if window else None
    ai_sum["completedPerSec"] = round(ai_sum["completed"] / window, 2) if window else None
    ai_sum["serverCoreMsPerReply"] = server_core_ms_per_reply(a, b, ai_sum["completedPerSec"])
    ai_sum["errors"] = _merge(x["errors"] for x in ai_results)
    ai_sum["cancelled"] = _merge(x["cancelled"] for x in ai_results)
    ai_sum["ackFailed"] = _merge(x["ackFailed"] for x in ai_results)
    problems = [f"({r['kind']}) {p}" for r in runs for p in integrity_problems(r)]
    # A baseline that cannot keep up compares two backlogs, not the cost of the AI streams.
    saturated = any(
        r["lost"] or r["deliveredPerSec"] < 0.95 * r["sentPerSec"] or (r["p99"] or 0) > 1000
        for r in a
    )
    if not ai_sum["completed"] and not args.calibrate:
        problems.append("no AI reply completed: the interference scenario did not happen")
    result = {
        "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "scenario": "ai-interference",
        "commit": info["commit"],
        "config": {
            "rooms": args.rooms,
            "ratePerRoom": args.rate,
            "durationS": args.duration,
            "warmupS": args.warmup,
            "aiCustomers": args.customers,
            "chunks": args.chunks,
            "chunkDelayS": args.chunk_delay,
            "spreadMs": args.spread_ms,
            "aiMaxConcurrency": args.ai_concurrency,
            "rounds": args.rounds,
            "aiWorker": "external" if args.worker else "inline",
            "assistantCpus": args.worker_cpus if args.worker else None,
            "assistantSched": args.worker_sched if args.worker else None,
            "assistantDbCpus": args.assistant_db_cpus or None,
            "assistantDbSched": args.assistant_db_sched or None,
            "assistantNice": args.worker_nice
            if args.worker and args.worker_sched == "nice"
            else None,
            "standIns": args.stand_ins,
            "standInsCpus": args.stand_ins_cpus,
            "placement": args.placement,
            "assistantEnv": sorted(args.worker_env) or None,
            "serverCpus": SERVER_CPUS,
            "dbCpus": args.db_cpus,
            "loadgenNice": args.loadgen_nice if args.db_cpus != SERVER_CPUS else None,
            "calibrateCpuPct": args.calibrate or None,
            "calibrateSliceMs": args.calibrate_slice_ms if args.calibrate else None,
            "calibrateCpus": args.calibrate_cpus if args.calibrate else None,
            "calibrateSched": args.calibrate_sched if args.calibrate else None,
            "idleCgroup": args.idle_cgroup,
            "loadgenCgroup": args.loadgen_cgroup_path,
        },
        "humanA": a,
        "humanB": b,
        "p99RatioBA": ratio,
        "p99RatioPerRound": per_round,
        # The machine drifts over a run (both phases' p99 move together): the ratio of the
        # medians can pass while most rounds fail, so the rounds' own median must pass too.
        "p99RatioRoundMedian": round_median,
        "p99RatioTarget": 1.10,
        # A calibration run says what plain CPU does to p99; it cannot meet the AI target.
        "p99RatioMet": None
        if args.calibrate
        else ratio is not None
        and ratio < 1.10
        and round_median is not None
        and round_median < 1.10
        and not saturated,
        "baselineSaturated": saturated,
        # The same figures over the rounds the hypervisor left alone (quiet()).
        "cleanRounds": clean,
        "p99RatioMetCleanRounds": None
        if args.calibrate or len(clean["rounds"]) < MIN_CLEAN_ROUNDS
        else clean["ratio"] < 1.10 and clean["roundMedian"] < 1.10 and not saturated,
        "ai": ai_sum,
        "aiRuns": ai_results,
        "stub": stub_stats,
        "provision": prov,
        "server": info,
        "problems": problems,
        "runSeconds": round(seconds, 1),
    }
    emit(result, out)
    rows: list[list[Any]] = []
    for label, key in (
        ("human fan-out p50 (ms)", "p50"),
        ("human fan-out p99 (ms)", "p99"),
        ("human fan-out max (ms)", "max"),
        ("delivered msg/s", "deliveredPerSec"),
        ("lost / duplicated", None),
        ("server CPU % (+ DB backends)", None),
        *([("Redis CPU %", "redisCpuPct")] if args.worker else []),
        (f"AI stub + driver CPU % (CPU {args.stand_ins_cpus})", "aiSideCpuPct"),
        *(
            [
                ("assistant process CPU %", "assistantCpuPct"),
                ("its PostgreSQL backends CPU % (in DB above)", "assistantDbCpuPct"),
            ]
            if args.worker
            else []
        ),
        *(
            [(f"calibration burner CPU % (CPU {args.calibrate_cpus})", "calibrationCpuPct")]
            if args.calibrate
            else []
        ),
        ("other processes CPU %", "otherCpuPct"),
    ):
        if key is None and label.startswith("lost"):
            va = "/".join(str(sum(r[k] for r in a)) for k in ("lost", "duplicates"))
            vb = "/".join(str(sum(r[k] for r in b)) for k in ("lost", "duplicates"))
            rows.append([label, va, vb, ""])
        elif key is None:
            rows.append([label, _cpu(a), _cpu(b), ""])
        elif key == "calibrationCpuPct":
            rows.append([label, "-", med(b, key), ""])
        else:
            x, y = med(a, key), med(b, key)
            rows.append([label, x, y, round(y / x, 2) if x and y is not None else None])
    print()
    b_label = f"(b) {args.calibrate:g} % CPU burner" if args.calibrate else "(b) 20 AI streams"
    print(table(["figure", "(a) no AI", b_label, "(b)/(a)"], rows))
    stage_rows = []
    for stage in STAGES:
        for le in STAGE_BOUNDS:
            key = f">{float(le) * 1000:g}ms"

            def share(rs: list[dict[str, Any]], stage: str = stage, key: str = key) -> Any:
                vals = [r["stages"][stage][key] for r in rs if r["stages"].get(stage)]
                vals = [v for v in vals if v is not None]
                return round(statistics.median(vals), 3) if vals else None

            stage_rows.append([f"web process: % of {stage} {key}", share(a), share(b)])
    for gen in "012":
        for key, what in ((f"count{gen}", "collections"), (f"sum{gen}", "pause s")):

            def gcs(rs: list[dict[str, Any]], key: str = key) -> Any:
                vals = [r["stages"]["gc"][key] for r in rs if key in r["stages"].get("gc", {})]
                return round(statistics.median(vals), 4) if vals else None

            stage_rows.append([f"web process: GC gen {gen} {what}", gcs(a), gcs(b)])
    steals = [[max(r["stealPct"].values()) for r in rs if r.get("stealPct")] for rs in (a, b)]
    stage_rows.append(
        ["host steal, % of the CPU it hit most (per phase)"]
        + ["/".join(f"{v:g}" for v in vals) or None for vals in steals]
    )
    for key in ("recordsPerSec", "fpiPerSec", "bytesPerSec", "syncPerSec", "kibPerSync"):

        def wal(rs: list[dict[str, Any]], key: str = key) -> Any:
            vals = [r["wal"][key] for r in rs if r.get("wal")]
            return round(statistics.median(vals), 1) if vals else None

        stage_rows.append([f"PostgreSQL WAL: {key}", wal(a), wal(b)])
    print()
    print(table(["per phase (median over the rounds)", "(a) no AI", b_label], stage_rows))
    r0 = ai_results[0] if ai_results else {}
    print()
    if not args.calibrate:
        print(
            table(
                ["AI traffic during (b)", "value"],
                [
                    ["replies completed", ai_sum["completed"]],
                    ["replies completed / s", ai_sum["completedPerSec"]],
                    [
                        (
                            "server-core CPU per reply, ms (server + DB"
                            if args.db_cpus == SERVER_CPUS
                            else f"CPU per reply, ms (server on CPU {SERVER_CPUS} + DB"
                        )
                        + (" + Redis)" if args.worker else ")"),
                        ai_sum["serverCoreMsPerReply"],
                    ],
                    ["ai:delta received / s", ai_sum["deltasPerSec"]],
                    [
                        "deltas per reply (min-max; stub sends "
                        f"{stub_stats.get('chunksPerStream')})",
                        f"{(r0.get('deltasPerReply') or {}).get('min')}-"
                        f"{(r0.get('deltasPerReply') or {}).get('max')}",
                    ],
                    [
                        "first delta p50 (ms after asking)",
                        (r0.get("firstDeltaMs") or {}).get("p50"),
                    ],
                    ["reply complete p50 / p99 (ms)", _pair(r0.get("replyMs"))],
                    ["ai:error / cancelled / timeouts", _errs(ai_sum)],
                    [
                        "stub stream / classify requests",
                        _pair(stub_stats, "streamRequests", "classifyRequests"),
                    ],
                ],
            )
        )
    print()
    if args.calibrate:
        print(
            f"p99 (b)/(a) = {ratio} with {args.calibrate:g} % of a core burnt on CPU "
            f"{args.calibrate_cpus} ({args.calibrate_sched} priority; the server is on CPU "
            f"{SERVER_CPUS}) (calibration, per round {per_round}); run took {seconds:.0f} s"
        )
    else:
        verdict = "met" if result["p99RatioMet"] else "NOT met"
        print(
            f"p99 (b)/(a) = {ratio} (target < 1.10: {verdict}; per round {per_round}, "
            f"their median {round_median}); run took {seconds:.0f} s"
        )
    if not args.calibrate:
        print(
            f"rounds without host steal (< {STEAL_LIMIT_PCT:g} % on every CPU in both phases): "
            f"{clean['rounds']} of {args.rounds}; their p99 (b)/(a) = {clean['ratio']}, per "
            f"round {clean['perRound']}, their median {clean['roundMedian']}"
            + (
                f" (target < 1.10: {'met' if result['p99RatioMetCleanRounds'] else 'NOT met'})"
                if result["p99RatioMetCleanRounds"] is not None
                else f" (fewer than {MIN_CLEAN_ROUNDS}: no verdict; rerun)"
            )
        )
    if saturated:
        print(
            "WARNING: the baseline (a) is saturated (not everything delivered, or p99 > 1 s): "
            "the ratio compares two backlogs, not the AI's cost; lower --rate, or rerun on an "
            "idle machine"
        )
    # The stand-ins and the assistant process are part of the scenario, not a busy machine.
    print(
        machine_note(
            max(
                (r["otherCpuPct"] or 0)
                - (r["aiSideCpuPct"] or 0)
                - (r.get("assistantCpuPct") or 0)
                - (r.get("calibrationCpuPct") or 0)
                - (r.get("redisCpuPct") or 0)
                for r in runs
            )
        )
    )
    if problems:
        print("FAILED: " + "; ".join(problems))
        return 1
    return 0


def med(rs: list[dict[str, Any]], key: str) -> Any:
    """Median of one figure over runs (None if any run lacks it)."""
    if not rs or any(r[key] is None for r in rs):
        return None
    return statistics.median(r[key] for r in rs)


def _merge(dicts: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for d in dicts:
        for k, v in d.items():
            out[k] = out.get(k, 0) + v
    return out


def server_core_ms_per_reply(
    a: list[dict[str, Any]], b: list[dict[str, Any]], replies_per_s: float | None
) -> float | None:
    """CPU that one AI reply adds on the server's core: server + its DB backends (+ Redis),
    (b) minus (a), over the replies per second. Far steadier from run to run than p99."""

    def core(r: dict[str, Any]) -> float:
        return (r["serverCpuPct"] or 0) + (r["dbCpuPct"] or 0) + (r.get("redisCpuPct") or 0)

    if not a or not b or not replies_per_s or a[0]["serverCpuPct"] is None:
        return None
    added = statistics.median(map(core, b)) - statistics.median(map(core, a))
    return round(10 * added / replies_per_s, 1)  # % of a core -> ms per second, per reply


def _cpu(rs: list[dict[str, Any]]) -> str:
    if not rs or rs[0]["serverCpuPct"] is None:
        return "-"
    s = statistics.median(r["serverCpuPct"] for r in rs)
    d = statistics.median(r["dbCpuPct"] or 0 for r in rs)
    return f"{s:.0f} + {d:.0f}"


def _pair(d: dict[str, Any] | None, a: str = "p50", b: str = "p99") -> str:
    d = d or {}
    return f"{d.get(a)} / {d.get(b)}"


def _errs(s: dict[str, Any]) -> str:
    errors = sum(s["errors"].values())
    detail = f" {s['errors']}" if errors else ""
    return f"{errors}{detail} / {sum(s['cancelled'].values())} / {s['timeouts']}"


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rooms", type=int, default=250, help="human rooms (2 sockets each)")
    ap.add_argument("--rate", type=float, default=2, help="human msgs/s per room")
    ap.add_argument("--duration", type=float, default=40, help="measured seconds per run")
    ap.add_argument("--warmup", type=float, default=5)
    ap.add_argument("--drain", type=float, default=5)
    ap.add_argument(
        "--calibrate",
        type=float,
        default=0,
        metavar="PCT",
        help="(b) burns PCT %% of a core on the server's core (normal priority, short slices "
        "at random moments) instead of running AI traffic: what that much plain CPU does "
        "to p99, to compare with an AI run's added server + DB CPU",
    )
    ap.add_argument(
        "--calibrate-slice-ms", type=float, default=0.5, help="length of one burner slice"
    )
    ap.add_argument(
        "--calibrate-cpus",
        default=SERVER_CPUS,
        help="where the burner runs (default: the server's core). The load generator's core "
        "with --calibrate-sched idle asks whether work there, which yields at once to "
        "everything else on that core, still moves the server's p99 (virtual CPUs share a host)",
    )
    ap.add_argument("--calibrate-sched", choices=("normal", "idle"), default="normal")
    ap.add_argument("--customers", type=int, default=20, help="AI replies kept in flight")
    ap.add_argument("--chunks", type=int, default=15, help="chunks per streamed reply")
    ap.add_argument("--chunk-delay", type=float, default=0.2, help="seconds between chunks")
    ap.add_argument(
        "--spread-ms",
        type=float,
        default=0,
        help="spread the AI customers' first questions over this many ms (default 0: all at "
        "once, every stream's chunks in lockstep, the worst case)",
    )
    ap.add_argument("--ai-concurrency", type=int, default=40, help="AI_MAX_CONCURRENCY")
    ap.add_argument("--ai-warmup", type=float, default=3, help="seconds of AI traffic before (b)")
    ap.add_argument("--settle", type=float, default=15, help="max wait for replies after (b)")
    ap.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra server environment, e.g. GEVENT_MONITOR_THREAD_ENABLE=true",
    )
    ap.add_argument(
        "--worker",
        action="store_true",
        help="AI_WORKER=external: run the assistant in its own process (both runs use Redis)",
    )
    ap.add_argument("--worker-cpus", default=LOADGEN_CPUS, help="taskset CPUs of the assistant")
    ap.add_argument(
        "--worker-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment of the assistant process only (diagnostics, e.g. "
        "PGOPTIONS='-c synchronous_commit=off' to see what its WAL flushes cost)",
    )
    ap.add_argument(
        "--worker-sched",
        choices=("idle", "nice"),
        default="idle",
        help="scheduling of the assistant process, which shares CPU 1 with the load generator "
        "(this machine has no third core; on a real deployment the assistant has cores of its "
        "own): idle = SCHED_IDLE, only the time the load generator leaves (default); nice = "
        "--worker-nice",
    )
    ap.add_argument(
        "--worker-nice", type=int, default=10, help="nice level with --worker-sched nice"
    )
    ap.add_argument(
        "--stand-ins",
        choices=("idle", "normal"),
        default="idle",
        help="scheduling of the OpenAI stub and the AI customers' driver (CPU 1, with the load "
        "generator): idle = SCHED_IDLE (default), normal = like the load generator",
    )
    ap.add_argument(
        "--no-idle-cgroup",
        action="store_true",
        help="leave the SCHED_IDLE processes where they start instead of in a cpu cgroup with "
        "cpu.idle: how runs before 2026-12-01's sixth sitting ran, where with autogroup "
        "scheduling SCHED_IDLE counted only inside a process's own session",
    )
    ap.add_argument(
        "--loadgen-cgroup",
        action="store_true",
        help="run the load generator in a cpu cgroup weighted as --loadgen-nice, so that its nice "
        "level also holds against the PostgreSQL backends on its core (with autogroup "
        "scheduling, nice alone counts only inside this session)",
    )
    ap.add_argument(
        "--placement",
        choices=(*PLACEMENTS, "custom"),
        default="custom",
        help="where everything runs, as one word (sets --db-cpus, --worker-cpus and "
        "--stand-ins-cpus): shared = the server with PostgreSQL and Redis, everything else "
        "with the load generator; split = the server alone, everything else with the load "
        "generator; deployment = the load generator with PostgreSQL and Redis, the server "
        "with what stands for other machines (assistant, OpenAI stub, AI customers) at "
        "SCHED_IDLE, which only gets the time the server leaves. custom (default): the "
        "three options as given",
    )
    ap.add_argument(
        "--db-cpus",
        default=SERVER_CPUS,
        help="taskset CPUs of our database's PostgreSQL backends and (with --worker) Redis. "
        "Default: the server's core, so that livechat's figures include its database as the "
        f"floor comparisons do. --db-cpus {LOADGEN_CPUS} gives the web process its core alone, "
        "as a deployment with database and Redis hosts of their own does; the load generator "
        "then runs at --loadgen-nice",
    )
    ap.add_argument(
        "--loadgen-nice",
        type=int,
        default=-10,
        help="nice level of the load generator when --db-cpus moves the database onto its core",
    )
    ap.add_argument(
        "--stand-ins-cpus",
        default=LOADGEN_CPUS,
        help="taskset CPUs of the OpenAI stub and the AI customers' driver (default: the load "
        "generator's core)",
    )
    ap.add_argument(
        "--assistant-db-cpus",
        default="",
        help="with --worker: taskset CPUs of the PostgreSQL backends serving the assistant "
        "process (default: with the other backends, --db-cpus)",
    )
    ap.add_argument(
        "--assistant-db-sched",
        choices=("", "idle"),
        default="",
        help="with --worker: idle = those backends at SCHED_IDLE (diagnostic: on a database "
        "host with cores to spare they would not wait behind, or delay, the human path's)",
    )
    ap.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5"),
        help="Redis for --worker",
    )
    ap.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="pairs of runs (order ab, ba, ab, ...); p99 of one run varies by more than the "
        "10 %% being measured",
    )
    ap.add_argument(
        "--out", default="", help="JSON lines file (default bench/results/<date>-ai.jsonl)"
    )
    args = ap.parse_args()
    if args.placement != "custom":
        args.db_cpus, args.worker_cpus, args.stand_ins_cpus = PLACEMENTS[args.placement]
    sys.exit(guarded(run, args))


if __name__ == "__main__":
    main()

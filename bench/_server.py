"""Shared by the bench scenarios: the project started the way it deploys, plus its bench clients.

Built on the shared load harness (``../shared/bench/bench.py``, or ``BENCH_HARNESS``): its venv
cache, PostgreSQL role discovery, Procfile-to-gunicorn command, token minting and provisioning are
reused, so a scenario here follows the harness's rules — server (and its PostgreSQL backends)
pinned to CPU 0, load generators to CPU 1, a fresh database per run, dropped afterwards (also on
Ctrl-C, SIGTERM or an error).
"""

# ruff: noqa: S603, S607
from __future__ import annotations

import datetime
import importlib.util
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import types
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from limits_note import harness_env, rate_limits

BENCH_DIR = Path(__file__).resolve().parent
PROJECT = BENCH_DIR.parent
HARNESS = Path(os.environ.get("BENCH_HARNESS") or PROJECT.parent / "shared" / "bench").resolve()
# Not the harness's own 7104: a `bench/run quick` elsewhere on the machine must not collide.
os.environ.setdefault("BENCH_LC_PORT", "7105")
os.environ.setdefault("BENCH_ENV", "/tmp/bench-env")  # noqa: S108 — the harness default


def _load_harness() -> Any:
    path = HARNESS / "bench.py"
    if not path.is_file():
        raise SystemExit(f"error: the load harness is not at {HARNESS} (set BENCH_HARNESS)")
    spec = importlib.util.spec_from_file_location("livechat_bench_harness", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


harness = _load_harness()
log = harness.log
SERVER_CPUS: str = harness.SERVER_CPUS
LOADGEN_CPUS: str = harness.LOADGEN_CPUS


def setup() -> None:
    """Raise the open-file limit; SIGTERM (e.g. `timeout`) unwinds like Ctrl-C, so we clean up."""
    harness.raise_nofile()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def guarded(run: Any, args: Any) -> int:
    """Run a scenario; a failure or Ctrl-C is one line (clean-up has run by then), not a trace."""
    try:
        return int(run(args))
    except KeyboardInterrupt:
        log("interrupted; server stopped, database dropped")
        return 130
    except RuntimeError as e:
        log(f"FAILED: {e}")
        return 1


def lifted_limits() -> dict[str, str]:
    """The shipped rate limits unless BENCH_RATE_LIMITS=off (`bench/run --no-rate-limits`)."""
    off = os.environ.get("BENCH_RATE_LIMITS", "on") == "off"
    return {"RATE_LIMITS_ENABLED": "false"} if off else {}


def port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


class ProjectServer:
    """The project at PROJECT on a fresh PostgreSQL database, started from its Procfile."""

    def __init__(self, env: dict[str, str], name: str) -> None:
        self.extra = {**lifted_limits(), **env}
        self.name = name
        self.port = harness.LC_PORT
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.db: str | None = None
        self.pinner: Any = None
        self.logf: Any = None
        self.env: dict[str, str] = {}
        self.postmaster: int | None = None
        self.restarts = 0

    # ---- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> ProjectServer:
        try:
            self._prepare()
            self.start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _prepare(self) -> None:
        if not port_free(self.port):
            raise RuntimeError(f"port {self.port} is in use (set BENCH_LC_PORT)")
        main = str(PROJECT)
        self.venv = harness.lc_venv(main)
        self.base, self.postmaster = harness.lc_pg()
        name = "lc_bench_" + os.urandom(5).hex()
        p = harness._psql(self.base, f"CREATE DATABASE {name}")
        if p.returncode:
            raise RuntimeError(f"CREATE DATABASE failed: {p.stderr.strip()[-300:]}")
        self.db = name
        dburl = f"postgresql://{self.base.split('://', 1)[1]}/{name}"
        args = types.SimpleNamespace(lc_env=[f"{k}={v}" for k, v in self.extra.items()])
        self.env = harness.lc_env(self.venv, dburl, args)
        if self.postmaster and harness.LC_PG_MODE != "private":
            self.pinner = harness.PgPinner(self.postmaster, name)
            self.pinner.start()
        p = subprocess.run(
            [os.path.join(self.venv, "bin", "flask"), "--app", "wsgi", "db", "upgrade"],
            cwd=main,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
            stdin=subprocess.DEVNULL,
        )
        if p.returncode:
            raise RuntimeError(f"db upgrade failed: {(p.stderr + p.stdout).strip()[-400:]}")
        self.argv, self.stop_sig, self.how, self.notes = harness.lc_command(
            main, self.venv, self.env
        )
        os.makedirs(harness.LOGS, exist_ok=True)
        self.log_path = os.path.join(harness.LOGS, f"server-lc-{self.name}.log")
        self.logf = open(self.log_path, "a")  # closed in __exit__

    def start(self) -> None:
        """Start (or restart, on the same database) the web process pinned to the server CPUs."""
        assert self.logf is not None
        self.logf.write(f"\n==== {datetime.datetime.now().isoformat()} {' '.join(self.argv)}\n")
        self.logf.flush()
        self.proc = subprocess.Popen(
            ["taskset", "-c", SERVER_CPUS, *self.argv],
            cwd=str(PROJECT),
            env=self.env,
            stdout=self.logf,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.time() + float(os.environ.get("BENCH_LC_START_TIMEOUT", "60"))
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited early; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as r:  # noqa: S310
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError(f"/healthz did not answer in time; see {self.log_path}")
            time.sleep(0.2)
        if self.pinner:
            self.pinner.scan()

    def kill(self) -> float:
        """SIGKILL the whole server (master and worker); returns when it is gone."""
        assert self.proc is not None
        t0 = time.monotonic()
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self.proc = None
        return time.monotonic() - t0

    def restart(self) -> float:
        """Start again on the same database after kill(); seconds until /healthz answers."""
        t0 = time.monotonic()
        self.start()
        self.restarts += 1
        return time.monotonic() - t0

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(self.stop_sig)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
        self.proc = None

    def __exit__(self, *exc: object) -> None:
        try:
            self.stop()
        finally:
            if self.pinner:
                self.pinner.done.set()
                self.pinner = None
            if self.db:
                harness._psql(self.base, f"DROP DATABASE IF EXISTS {self.db} WITH (FORCE)")
                self.db = None
            if self.logf:
                self.logf.close()
                self.logf = None

    @property
    def pid(self) -> str:
        return str(self.proc.pid) if self.proc else ""

    @property
    def aux_pid(self) -> str:
        return str(self.postmaster or "")

    @property
    def db_backends(self) -> set[int]:
        """Our database's backends (pinned to the server CPU by the harness's PgPinner)."""
        if self.pinner is None:
            return set()
        self.pinner.scan()
        return self.pinner.pinned

    @property
    def commit(self) -> str | None:
        return harness.lc_git_commit(str(PROJECT))

    def info(self) -> dict[str, Any]:
        return {
            "commit": self.commit,
            "cmd": " ".join(self.argv),
            "notes": self.notes,
            "env": sorted(self.extra),
            "rateLimits": rate_limits({**self.extra, **harness_env()}),
            "pgBackendsPinned": len(self.pinner.pinned) if self.pinner else None,
        }

    # ---- provisioning ------------------------------------------------------------------------

    def checkpoint(self) -> None:
        """Write PostgreSQL's dirty pages out now. A timed checkpoint (every 5 min by default)
        spreads its writes over minutes and makes every first change of a page WAL-log the
        whole page; the phases it started in read p99 ~150 ms where the others read 10-30 ms.
        Forcing one before each phase also restarts the timer, so none falls inside it."""
        p = harness._psql(self.base, "CHECKPOINT")
        if p.returncode:
            raise RuntimeError(f"CHECKPOINT failed: {p.stderr.strip()[-300:]}")

    def provision_rooms(self, rooms: int, path: str) -> dict[str, Any]:
        """The harness's provisioning: a customer with one session and its own assigned agent per
        room (assigned sessions keep the assistant out); writes the loadgen's tokens file."""
        return harness.lc_provision(self.url, rooms, 0, str(PROJECT), self.venv, self.env, path)

    def provision_customers(self, n: int, prefix: str = "bench-c") -> list[dict[str, str]]:
        """N customers with an open, unassigned session each (the assistant answers them)."""
        sample = harness.lc_sample("user", str(PROJECT), self.venv, self.env)
        http = harness._Http(self.url)

        def one(i: int) -> dict[str, str]:
            uid = f"{prefix}{i:05d}"
            token = harness.lc_mint(sample, uid)
            st, body, _ = http.req("POST", "/api/support/chat/sessions/user", token, {})
            if st not in (200, 201):
                raise RuntimeError(f"POST /api/support/chat/sessions/user -> {st} {body[:200]!r}")
            return {"sessionId": json.loads(body)["id"], "userToken": token, "userId": uid}

        try:
            with ThreadPoolExecutor(8) as ex:
                return list(ex.map(one, range(n)))
        finally:
            http.close()


# ---- helpers shared by the scenarios ---------------------------------------------------------


def node_command(script: str, *args: str) -> list[str]:
    return [
        "taskset",
        "-c",
        LOADGEN_CPUS,
        "node",
        "--max-old-space-size=2048",
        str(BENCH_DIR / script),
        *args,
    ]


def node_env() -> dict[str, str]:
    return {**os.environ, "NODE_PATH": str(HARNESS / "node_modules")}


class LineProcess:
    """A helper process spoken to in lines: commands on stdin, one JSON answer per line on stdout
    (its stderr goes to ours). Killed on exit."""

    def __init__(self, name: str, argv: Sequence[str], env: dict[str, str] | None = None) -> None:
        self.name = name
        self.proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            text=True,
            start_new_session=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def read(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise RuntimeError(f"{self.name} gave no answer in {timeout:.0f} s") from None
            if line is None:
                raise RuntimeError(f"{self.name} exited (rc {self.proc.poll()})")
            if line.startswith("{"):
                return json.loads(line)

    def send(self, command: str, timeout: float) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.read(timeout)

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(self.proc.pid, signal.SIGKILL)

    def __enter__(self) -> LineProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int, children: bool = False) -> float:
    """utime + stime of one process (with ``children``: plus its reaped children's)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])
        if children:
            ticks += int(fields[13]) + int(fields[14])
        return ticks / CLK_TCK
    except (OSError, IndexError, ValueError):
        return 0.0


def process_tree(root: int) -> list[int]:
    """``root`` and its descendants (gunicorn master + worker)."""
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                kids.setdefault(ppid, []).append(int(d))
            except (OSError, IndexError, ValueError):
                pass
    out, stack = [], [root]
    while stack:
        pid = stack.pop()
        out.append(pid)
        stack.extend(kids.get(pid, []))
    return out


def machine_busy_seconds() -> float:
    """Busy CPU-seconds of the whole machine so far (all CPUs), from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    return (sum(v) - v[3] - v[4]) / CLK_TCK


class CpuWindow:
    """CPU use over a `with` block: the server's process tree, our database backends (the
    pinned ones), our client processes, and what the rest of the machine used meanwhile."""

    def __init__(self, server_pid: str, db_pids: set[int] | None, client_pids: list[int]) -> None:
        self.server = int(server_pid) if server_pid else None
        self.db_pids = db_pids if db_pids is not None else set()
        self.clients = client_pids
        self.result: dict[str, float | None] = {}

    def _sample(self) -> tuple[float, float, dict[int, float], float, float]:
        srv = sum(cpu_seconds(p, True) for p in process_tree(self.server)) if self.server else 0.0
        db = {p: cpu_seconds(p) for p in list(self.db_pids)}
        cl = sum(cpu_seconds(p, True) for p in self.clients)
        own = sum(os.times()[:4])
        return time.monotonic(), srv, db, cl + own, machine_busy_seconds()

    def __enter__(self) -> CpuWindow:
        self.start = self._sample()
        return self

    def __exit__(self, *exc: object) -> None:
        t1, s1, d1, c1, m1 = self._sample()
        t0, s0, d0, c0, m0 = self.start
        wall = max(1e-6, t1 - t0)
        db = sum(max(0.0, v - d0.get(p, 0.0)) for p, v in d1.items())
        pct = lambda x: round(100 * x / wall, 1)  # noqa: E731
        self.result = {
            "wallS": round(wall, 2),
            "serverCpuPct": pct(s1 - s0),
            "dbCpuPct": pct(db),
            "clientCpuPct": pct(c1 - c0),
            "otherCpuPct": pct(max(0.0, (m1 - m0) - (s1 - s0) - db - (c1 - c0))),
        }


def results_path(mode: str) -> Path:
    day = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d")
    return BENCH_DIR / "results" / f"{day}-{mode}.jsonl"


def emit(result: dict[str, Any], out: str | Path) -> None:
    """The JSON line on stdout, appended to ``out``."""
    line = json.dumps(result)
    print(line, flush=True)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "a") as f:
        f.write(line + "\n")
    log(f"appended to {out}")


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table (pastes into docs/performance.md as is)."""
    cells = [[str(c) for c in header]] + [[fmt(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |"  # noqa: E731
    return "\n".join(
        [line(cells[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
        + [line(r) for r in cells[1:]]
    )


def fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.2f}" if abs(v) < 10 else f"{v:,.1f}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    return str(v)


def machine_note(other_pct: float | None) -> str:
    if other_pct is None:
        return "machine busy: not measured"
    busy = other_pct >= harness.BUSY_PCT
    return f"other processes used {other_pct:.0f}% of a core meanwhile" + (
        " — BUSY MACHINE, rerun for clean figures" if busy else ""
    )

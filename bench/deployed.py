#!/usr/bin/env python3
"""The deployed topology against the floor, in one run: CPU-seconds per delivered message.

Variants, interleaved over rounds (order reversed every other round), each on fresh processes:

  B2     the floor as deployed: two bare Flask-SocketIO processes (bench/floor_redis.py: the
         harness's B app + a Redis message queue) behind nginx, a private Redis
  L2     livechat as deployed: two web processes from the Procfile (one gunicorn worker each,
         REDIS_URL, TRUSTED_PROXY_HOPS=1 as docs/deployment.md says), shipped defaults (rate
         limits on, shared through Redis), behind nginx from deploy/nginx.conf (ports changed), a
         private Redis and a fresh database in a private PostgreSQL cluster
  B1     the harness's B: one process, no Redis, no nginx
  L1on   livechat, one process, rate limits on (in memory), no Redis, no nginx
  L1off  the same with RATE_LIMITS_ENABLED=false
  C1     the harness's persistence floor C, unchanged: B that stores each message with one
         synchronous SQLAlchemy INSERT + COMMIT (psycopg2 + psycogreen) before broadcasting it
         and reads a 50-message history on join, in a fresh database of the same private
         PostgreSQL cluster; no auth, no validation, no seq. No target names it: it shows what
         storing a message at all costs beside B
  C2     C as deployed: floor_redis.py's two processes with BENCH_PERSIST=sql, nginx, Redis

Everything server-side (web processes, PostgreSQL, Redis, nginx) is pinned to the server CPUs
(BENCH_SERVER_CPUS, 0), the harness's load generator to BENCH_LOADGEN_CPUS (1), with
bench/route_preload.js giving every room's customer a client address nginx hashes to one web
process and its agent one that goes to the other, so every message crosses Redis.

Primary figure: CPU-milliseconds per delivered message = utime+stime (from /proc, whole process
trees) of the web processes + PostgreSQL + Redis over the load generator's measured window,
divided by the messages it delivered to the other member in that window; nginx is reported
separately and in a second sum. Secondary: p99 (median over rounds). Also the CPU per socket of
the connect phase (connect + join + history). `--idle N` adds N idle sockets over B2 and L2.

  python3 bench/deployed.py --rounds 3                      # ~12 min; `bench/run deployed`
  python3 bench/deployed.py --rounds 1 --duration 5 --variants B2,L2    # a quick check
  python3 bench/deployed.py --rounds 0 --variants B2,L2 --storm --maxrate   # ~10 min;
                                # `bench/run scale`: reconnect storm + max rate, as deployed
"""

# ruff: noqa: S603, S607
from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import types
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# A private PostgreSQL cluster (the harness's baseline-C cluster code, in a folder and on a port
# of our own) so the database CPU measured is this run's only. Set before the harness loads.
os.environ["BENCH_ENV"] = os.environ.get("BENCH_DEPLOYED_ENV", "/tmp/bench-deployed")  # noqa: S108
os.environ["BENCH_LC_PG"] = "private"
os.environ["BENCH_PG_PORT"] = str(_free_port())

import proccpu  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _server import (  # noqa: E402
    BENCH_DIR,
    HARNESS,
    LOADGEN_CPUS,
    PROJECT,
    SERVER_CPUS,
    emit,
    fmt,
    guarded,
    harness,
    log,
    results_path,
    setup,
    table,
)
from limits_note import rate_limits  # noqa: E402

from deploy.nginx_site import site_config  # noqa: E402

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"
VARIANTS = ("B2", "L2", "B1", "L1on", "L1off", "C1", "C2")
# The harness's C imports these; they are not the project's (it uses psycopg 3), so they go into
# the bench's floor venv on first use, pinned.
FLOOR_C_PACKAGES = ("psycopg2-binary==2.9.13", "psycogreen==1.0.2")
PRIMARY = ("web", "pg", "redis")  # nginx is reported beside, and in a second sum
GUNICORN_B = [
    "-k",
    "geventwebsocket.gunicorn.workers.GeventWebSocketWorker",
    "-w",
    "1",
    "--worker-connections",
    "20000",
    "--backlog",
    "4096",
    "--log-level",
    "warning",
]
NGINX_MAIN = """\
worker_processes 2;
worker_rlimit_nofile {nofile};
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 30000; }}
http {{
    log_format routes '$remote_addr|$upstream_addr|$status';
    access_log {dir}/access.log routes;
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    include {dir}/livechat.conf;
}}
"""


def wait_ok(url: str, proc: subprocess.Popen[bytes], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited (rc {proc.returncode}) before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {timeout:.0f} s ({what})")
        time.sleep(0.2)


@contextlib.contextmanager
def started(
    name: str, argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """A server process pinned to the server CPUs, in its own process group, logged; stopped
    (SIGINT, then SIGKILL of the group) on exit."""
    os.makedirs(harness.LOGS, exist_ok=True)
    with open(os.path.join(harness.LOGS, f"{name}.log"), "ab") as logf:
        proc = subprocess.Popen(
            ["taskset", "-c", SERVER_CPUS, *argv],
            cwd=str(cwd or PROJECT),
            env=env,
            stdout=logf,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(5)


@contextlib.contextmanager
def private_redis() -> Iterator[tuple[int, str]]:
    """redis-server on a free loopback port, no persistence: (pid, URL)."""
    port = _free_port()
    argv = [REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    with started(f"redis-{port}", argv) as proc:
        deadline = time.monotonic() + 10
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)
        yield proc.pid, f"redis://127.0.0.1:{port}/0"


@contextlib.contextmanager
def nginx(backends: list[int]) -> Iterator[dict[str, Any]]:
    """nginx from deploy/nginx.conf (ports changed) in front of ``backends``; yields its pid,
    URL and the client addresses it routes to each backend (read from its access log)."""
    if not Path(NGINX).exists():
        raise RuntimeError("nginx is not installed (apt-get install nginx)")
    workdir = Path(harness.ENV) / f"nginx-{os.getpid()}"
    shutil.rmtree(workdir, ignore_errors=True)
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (workdir / "tmp" / sub).mkdir(parents=True)
        os.chmod(workdir / "tmp" / sub, 0o777)  # noqa: S103 (nginx's workers run as nobody)
    port = _free_port()
    (workdir / "livechat.conf").write_text(site_config(backends, port))
    # Each socket is two descriptors in nginx (client + upstream): 10,000 sockets need more than
    # one worker may open under this host's hard limit (20,000; raising it is refused here).
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    (workdir / "nginx.conf").write_text(NGINX_MAIN.format(dir=workdir, nofile=nofile))
    conf = ["-p", str(workdir), "-c", str(workdir / "nginx.conf"), "-e", str(workdir / "error.log")]
    check = subprocess.run([NGINX, "-t", *conf], capture_output=True, text=True)
    if check.returncode:
        raise RuntimeError(f"nginx -t refused the config: {check.stderr[-500:]}")
    url = f"http://127.0.0.1:{port}"
    with started("nginx", [NGINX, *conf, "-g", "daemon off;"]) as proc:
        wait_ok(url + "/healthz", proc, "nginx")
        try:
            yield {"pid": proc.pid, "url": url, "route": route(port, backends, workdir)}
        finally:
            text = (workdir / "error.log").read_text()
            errors = re.findall(r"^.*\[(?:error|crit|alert|emerg)\].*$", text, flags=re.M)
            if errors:
                log(f"nginx logged {len(errors)} errors, e.g. {errors[0][-200:]}")


def route(port: int, backends: list[int], workdir: Path, tries: int = 48) -> dict[str, list[str]]:
    """Loopback client addresses by the backend nginx's address hash sends them to: one request
    from each of 127.0.0.2, .3, ...; the customers get the first backend's, the agents the
    second's (up to 8 each, so no single address carries every socket)."""
    log_path = workdir / "access.log"
    log_path.write_text("")  # the readiness probe's line (from 127.0.0.1) is not a route
    for i in range(2, 2 + tries):
        conn = http.client.HTTPConnection(
            "127.0.0.1", port, timeout=5, source_address=(f"127.0.0.{i}", 0)
        )
        try:
            conn.request("GET", "/healthz")
            conn.getresponse().read()
        finally:
            conn.close()
    by: dict[str, list[str]] = {}
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = [ln.split("|") for ln in log_path.read_text().splitlines() if ln.count("|") == 2]
        if len(lines) >= tries:
            break
        time.sleep(0.05)
    for addr, upstream, _status in lines:
        by.setdefault(upstream.split(", ")[-1], []).append(addr)
    wanted = [f"127.0.0.1:{b}" for b in backends]
    if not all(by.get(w) for w in wanted[:2]):
        raise RuntimeError(f"nginx sent no probe address to every backend: {by}")
    return {"user": by[wanted[0]][:8], "agent": by[wanted[1]][:8]}


def _retrying(req: Any) -> Any:
    """The harness's provisioning request, retried while livechat answers a retryable 503 (as
    its clients are told to: on a host this busy, 10,000 provisioning calls can wait out the
    database pool's 10 s timeout)."""

    def wrapped(self: Any, *a: Any, **kw: Any) -> Any:
        for _ in range(10):
            st, body, attempt = req(self, *a, **kw)
            if st != 503 or b'"retryable":true' not in body:
                break
            time.sleep(1.0)
        return st, body, attempt

    return wrapped


harness._Http.req = _retrying(harness._Http.req)


class Livechat:
    """What target L needs for one run: a fresh database in the private cluster, migrated, and
    the Procfile's web command."""

    def __init__(self, limits: bool, extra: dict[str, str]) -> None:
        self.venv = harness.lc_venv(str(PROJECT))
        self.base, self.postmaster = harness.lc_pg()
        self.db = "lc_bench_" + os.urandom(5).hex()
        p = harness._psql(self.base, f"CREATE DATABASE {self.db}")
        if p.returncode:
            raise RuntimeError(f"CREATE DATABASE failed: {p.stderr.strip()[-300:]}")
        self.extra = dict(extra)
        if not limits:
            self.extra["RATE_LIMITS_ENABLED"] = "false"
        args = types.SimpleNamespace(lc_env=[f"{k}={v}" for k, v in self.extra.items()])
        self.env = harness.lc_env(self.venv, f"{self.base}/{self.db}", args)
        p = subprocess.run(
            [os.path.join(self.venv, "bin", "flask"), "--app", "wsgi", "db", "upgrade"],
            cwd=str(PROJECT),
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
            stdin=subprocess.DEVNULL,
        )
        if p.returncode:
            self.drop()
            raise RuntimeError(f"db upgrade failed: {(p.stderr + p.stdout).strip()[-400:]}")
        self.argv, _sig, _how, self.notes = harness.lc_command(str(PROJECT), self.venv, self.env)

    def web(self, port: int) -> tuple[list[str], dict[str, str]]:
        bind = f"127.0.0.1:{harness.LC_PORT}"
        argv = [a.replace(bind, f"127.0.0.1:{port}") for a in self.argv]
        return argv, {**self.env, "PORT": str(port)}

    def checkpoint(self) -> None:
        harness._psql(self.base, "CHECKPOINT")

    def drop(self) -> None:
        harness._psql(self.base, f"DROP DATABASE IF EXISTS {self.db} WITH (FORCE)")


def floor_c_packages(venv: str) -> None:
    """psycopg2 and psycogreen in the floor's venv (the harness's C imports them), once."""
    py = os.path.join(venv, "bin", "python")
    probe = subprocess.run(
        [py, "-c", "import psycopg2, psycogreen.gevent"], capture_output=True, timeout=60
    )
    if probe.returncode == 0:
        return
    log(f"C: installing {' '.join(FLOOR_C_PACKAGES)} into {venv}")
    p = subprocess.run(
        [py, "-m", "pip", "install", "-q", *FLOOR_C_PACKAGES],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if p.returncode:
        raise RuntimeError(f"C: pip install failed: {(p.stderr + p.stdout).strip()[-400:]}")


def floor_c_database(stack: contextlib.ExitStack) -> tuple[str, int]:
    """A fresh database for C in the private cluster (dropped on exit): (psycopg2 URL, the
    postmaster's PID)."""
    base, postmaster = harness.lc_pg()
    db = "c_bench_" + os.urandom(5).hex()
    p = harness._psql(base, f"CREATE DATABASE {db}")
    if p.returncode:
        raise RuntimeError(f"CREATE DATABASE failed: {p.stderr.strip()[-300:]}")
    stack.callback(lambda: harness._psql(base, f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
    return base.replace("postgresql://", "postgresql+psycopg2://", 1) + "/" + db, postmaster


def run_loadgen(
    url: str,
    groups: dict[str, list[int]],
    route_: dict[str, list[str]] | None,
    opts: dict[str, Any],
    profile: str | None = None,
) -> dict[str, Any]:
    """The harness's load generator (with the route preload), pinned to the load-generator CPUs;
    CPU of each group sampled at its start, when every socket has joined, and at the start and
    end of its measured window (known from its "connected" line: warm-up, then duration)."""
    others = [p for k, v in groups.items() if not k.startswith("web") for p in v]
    argv = [
        "taskset",
        "-c",
        LOADGEN_CPUS,
        "node",
        "--max-old-space-size=4096",
        "-r",
        str(BENCH_DIR / "route_preload.js"),
        str(HARNESS / "loadgen" / "loadgen.js"),
        "--url",
        url,
        "--path",
        "/socket.io/chat",
        "--server-pid",
        ",".join(map(str, groups["web"])),
        "--aux-pid",
        ",".join(map(str, others)),
        "--acks",
        "1",
    ]
    for k, v in opts.items():
        argv += [f"--{k}", str(v)]
    env = {**os.environ, "BENCH_ROUTE": json.dumps(route_ or {})}
    marks: dict[str, tuple[float, dict[str, float]]] = {}
    proc = subprocess.Popen(
        argv, cwd=str(HARNESS), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    marks["spawn"] = (time.monotonic(), proccpu.sample(groups))
    # the connect phase's profile runs until the "connected" line (SIGINT makes py-spy write)
    connect_spies = py_spy(groups["web"], 300, f"{profile}-connect") if profile else []
    window = (float(opts.get("warmup", 0)), float(opts.get("duration", opts.get("hold", 0))))
    timer: list[threading.Thread] = []

    def window_samples(t_connected: float) -> None:
        for name, at in (("start", window[0]), ("end", window[0] + window[1])):
            time.sleep(max(0.0, t_connected + at - time.monotonic()))
            marks[name] = (time.monotonic(), proccpu.sample(groups))
            if name == "start" and profile:
                spies.extend(py_spy(groups["web"], int(window[1]), f"{profile}-window"))

    spies: list[subprocess.Popen[bytes]] = []

    err: list[str] = []

    def read_err() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            err.append(line)
            if "connected ok=" in line and "connected" not in marks:
                marks["connected"] = (time.monotonic(), proccpu.sample(groups))
                for spy in connect_spies:
                    spy.send_signal(signal.SIGINT)
                t = threading.Thread(target=window_samples, args=(marks["connected"][0],))
                t.start()
                timer.append(t)

    out: list[str] = []

    def read_out() -> None:
        assert proc.stdout is not None
        out.extend(proc.stdout)

    readers = [threading.Thread(target=f, daemon=True) for f in (read_err, read_out)]
    for r in readers:
        r.start()
    budget = 180 + sum(window) + float(opts.get("drain", 5))
    try:
        proc.wait(timeout=budget)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise RuntimeError("the load generator did not finish in time") from None
    for r in readers:
        r.join(10)
    for t in timer:
        t.join()
    for spy in spies + connect_spies:
        spy.wait(30)
    lines = [ln for ln in out if ln.startswith("{")]
    if proc.returncode or not lines:
        raise RuntimeError(f"loadgen failed rc={proc.returncode}: {''.join(err)[-1500:]}")
    raw: dict[str, Any] = json.loads(lines[-1])
    if "connected" not in marks or "end" not in marks:
        raise RuntimeError(f"the load generator's progress lines were not seen: {sorted(marks)}")
    connect = proccpu.delta(marks["spawn"][1], marks["connected"][1])
    inwin = proccpu.delta(marks["start"][1], marks["end"][1])
    return {
        "raw": raw,
        "connectCpuS": {k: round(v, 3) for k, v in connect.items()},
        "windowCpuS": {k: round(v, 3) for k, v in inwin.items()},
        "windowS": round(marks["end"][0] - marks["start"][0], 3),
    }


def spy_exe() -> str:
    """py-spy from PY_SPY, the PATH or the project's venv."""
    exe = os.environ.get("PY_SPY") or shutil.which("py-spy") or str(PROJECT / ".venv/bin/py-spy")
    if not os.access(exe, os.X_OK):
        raise SystemExit(f"py-spy is not at {exe} (pip install -r requirements-dev.txt, or PY_SPY)")
    return exe


def py_spy(masters: list[int], seconds: int, prefix: str) -> list[subprocess.Popen[bytes]]:
    """py-spy on every worker under the gunicorn masters (on the load generator's CPUs, so its
    own CPU stays off the server's), sampling at 100 Hz without pausing them."""
    exe = spy_exe()
    out = []
    for master in masters:
        for pid in proccpu.process_tree([master])[1:]:
            argv = ["taskset", "-c", LOADGEN_CPUS, exe, "record", "--pid", str(pid), "--rate",
                    "100", "--duration", str(seconds), "--format", "raw", "--nonblocking",
                    "--output", f"{prefix}-{pid}.txt"]  # fmt: skip
            out.append(subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    return out


AREAS = (  # first match wins, against each frame's "function (path:line)" as py-spy writes it
    ("livechat", "(livechat/"),
    ("SQLAlchemy", "(sqlalchemy/"),
    ("psycopg", "(psycopg"),
    ("redis-py", "(redis/"),
    ("Socket.IO + engine.io", "(flask_socketio/"),
    ("Socket.IO + engine.io", "(socketio/"),
    ("Socket.IO + engine.io", "(engineio/"),
    ("gevent-websocket", "(geventwebsocket/"),
    ("Flask + Werkzeug", "(flask/"),
    ("Flask + Werkzeug", "(werkzeug/"),
    ("marshmallow", "(marshmallow/"),
    ("json", "(json/"),
    ("gevent", "(gevent/"),
)


def profile_report(paths: list[str], top: int = 25) -> str:
    """From py-spy raw stacks: the share of samples each area is on the stack for (inclusive),
    the area running at the top of the stack (self), and the top self frames."""
    incl: dict[str, int] = {}
    self_area: dict[str, int] = {}
    frames: dict[str, int] = {}
    total = 0
    for path in paths:
        for line in open(path):
            stack, _, n = line.rstrip("\n").rpartition(" ")
            if not stack or not n.isdigit():
                continue
            count, parts = int(n), stack.split(";")
            total += count
            areas = [next((a for a, pat in AREAS if pat in f), "other") for f in parts]
            for a in set(areas):
                incl[a] = incl.get(a, 0) + count
            self_area[areas[-1]] = self_area.get(areas[-1], 0) + count
            frames[parts[-1]] = frames.get(parts[-1], 0) + count
    if not total:
        return "no samples"
    pct = lambda x: round(100 * x / total, 1)  # noqa: E731
    rows = [
        [a, pct(incl.get(a, 0)), pct(self_area.get(a, 0))]
        for a in sorted(incl, key=lambda a: -incl[a])
    ]
    out = [f"{total:,} samples", table(["area", "% on stack", "% self"], rows)]
    best = sorted(frames.items(), key=lambda kv: -kv[1])[:top]
    out.append(table(["top self frames", "%"], [[f[:110], pct(c)] for f, c in best]))
    return "\n\n".join(out)


def figures(res: dict[str, Any]) -> dict[str, Any]:
    """CPU-ms per delivered message and per connected socket, from one run's samples."""
    raw, win, con = res["raw"], res["windowCpuS"], res["connectCpuS"]
    primary = sum(v for k, v in win.items() if k in PRIMARY)
    every = sum(v for k, v in win.items() if k in (*PRIMARY, "nginx"))
    out: dict[str, Any] = {}
    delivered = (raw.get("msgs") or {}).get("deliveredOther")
    if delivered:
        out["cpuMsPerMsg"] = round(1000 * primary / delivered, 4)
        out["cpuMsPerMsgWithNginx"] = round(1000 * every / delivered, 4)
        out["cpuMsPerMsgBy"] = {k: round(1000 * v / delivered, 4) for k, v in win.items()}
    sockets = (raw.get("connect") or {}).get("ok")
    if sockets:
        cprim = sum(v for k, v in con.items() if k in PRIMARY)
        out["connectCpuMsPerSocket"] = round(1000 * cprim / sockets, 4)
        out["connectCpuMsPerSocketBy"] = {k: round(1000 * v / sockets, 4) for k, v in con.items()}
    return out


@contextlib.contextmanager
def deployment(
    key: str, args: argparse.Namespace, rooms: int, more_env: dict[str, str] | None = None
) -> Iterator[types.SimpleNamespace]:
    """Fresh processes for ``key`` (web processes, and for two processes Redis and nginx; for L a
    migrated database and ``rooms`` provisioned rooms), stopped on exit. Yields the URL clients
    use, nginx's routes, the process groups CPU is read from, and the load generator's token
    options."""
    target, procs = key[0], 2 if key[1] == "2" else 1
    limits = key != "L1off"
    with contextlib.ExitStack() as stack:
        groups: dict[str, list[int]] = {"web": []}
        extra: dict[str, str] = {}
        if procs > 1:
            rpid, rurl = stack.enter_context(private_redis())
            groups["redis"] = [rpid]
            extra["REDIS_URL"] = rurl
        ports = [_free_port() for _ in range(procs)]
        lc: Livechat | None = None
        if target == "L":
            extra.update(kv.split("=", 1) for kv in args.lc_env)
            extra.update(more_env or {})
            if procs > 1:
                extra["TRUSTED_PROXY_HOPS"] = "1"  # behind nginx, as docs/deployment.md says
            lc = Livechat(limits, extra)
            stack.callback(lc.drop)
            groups["pg"] = [lc.postmaster]
            webs = [lc.web(p) for p in ports]
        else:
            app = (
                ["--chdir", str(BENCH_DIR), "floor_redis:app"]
                if procs > 1
                else ["--chdir", str(HARNESS / "servers" / "py_flask"), "app:app"]
            )
            venv = harness.lc_venv(str(PROJECT))  # the same Flask-SocketIO stack, plus redis
            env = {**os.environ, **extra, "BENCH_PERSIST": "none", "BENCH_HARNESS": str(HARNESS)}
            if target == "C":
                floor_c_packages(venv)
                url_, pm = floor_c_database(stack)
                groups["pg"] = [pm]
                env.update(BENCH_PERSIST="sql", BENCH_DB_URL=url_)
            gun = os.path.join(venv, "bin", "gunicorn")
            webs = [([gun, *GUNICORN_B, "-b", f"127.0.0.1:{p}", *app], env) for p in ports]
        procs_ = []
        for p, (argv, env) in zip(ports, webs, strict=True):
            procs_.append(stack.enter_context(started(f"web-{key}-{p}", argv, env)))
            if target == "C":  # one at a time: each creates C's table if it is missing
                wait_ok(f"http://127.0.0.1:{p}/healthz", procs_[-1], f"{key} web :{p}")
        for p, proc in zip(ports, procs_, strict=True):
            wait_ok(f"http://127.0.0.1:{p}/healthz", proc, f"{key} web :{p}")
        groups["web"] = [p.pid for p in procs_]
        if procs > 1:  # each process apart too (not in the sums): the load is split
            groups.update({f"web{i + 1}": [p.pid] for i, p in enumerate(procs_)})
        url, route_ = f"http://127.0.0.1:{ports[0]}", None
        if procs > 1:
            ng = stack.enter_context(nginx(ports))
            groups["nginx"] = [ng["pid"]]
            url, route_ = ng["url"], ng["route"]
        tokens_opts: dict[str, Any] = {}
        prov = None
        if lc is not None:
            tokens = os.path.join(harness.LOGS, f"tokens-{os.getpid()}.json")
            stack.callback(lambda: Path(tokens).unlink(missing_ok=True))
            prov = harness.lc_provision(url, rooms, 0, str(PROJECT), lc.venv, lc.env, tokens)
            tokens_opts["tokens-file"] = tokens
            lc.checkpoint()
        else:
            tokens_opts.update({"user-token": "bench-user", "agent-token": "bench-agent"})
        time.sleep(1.0)  # let start-up and provisioning settle before the baselines are read
        yield types.SimpleNamespace(
            key=key,
            target=target,
            procs=procs,
            limits=limits,
            extra=extra,
            url=url,
            route=route_,
            groups=groups,
            lc=lc,
            tokens=tokens_opts,
            provision=prov,
        )


def result_head(d: types.SimpleNamespace, scenario: str, rnd: int, rooms: int) -> dict[str, Any]:
    """The fields every result line of one deployment starts with."""
    return {
        "bench": "deployed",
        "commit": harness.lc_git_commit(str(PROJECT)),
        "variant": d.key,
        "target": d.target,
        "processes": d.procs,
        "scenario": scenario,
        "round": rnd,
        "rooms": rooms,
        "rateLimits": rate_limits(d.extra if d.limits else {"RATE_LIMITS_ENABLED": "false"})
        if d.target == "L"
        else None,
        "env": sorted(d.extra),
        "route": d.route,
        "provision": d.provision,
        "loadAvg": [round(x, 2) for x in os.getloadavg()],
    }


def run_variant(key: str, args: argparse.Namespace, rnd: int, scenario: str) -> dict[str, Any]:
    """One fresh set of processes for ``key``, one load-generator run, one result line."""
    rooms = args.rooms if scenario == "chat" else args.idle // 2
    with deployment(key, args, rooms) as d:
        opts: dict[str, Any] = {"rooms": rooms, "scenario": f"{scenario}-{key}", **d.tokens}
        if scenario == "chat":
            opts.update(rate=args.rate, duration=args.duration, warmup=args.warmup, drain=5)
        else:
            opts.update(rate=0, hold=args.hold)
        prof = f"{args.profile}/{key}-r{rnd}" if args.profile else None
        res = run_loadgen(d.url, d.groups, d.route, opts, prof)
        head = result_head(d, scenario, rnd, rooms)
    raw = res["raw"]
    line = {
        **head,
        "ts": raw.get("ts"),
        **figures(res),
        "windowCpuS": res["windowCpuS"],
        "connectCpuS": res["connectCpuS"],
        "windowS": res["windowS"],
        "latencyMs": raw.get("latencyMs"),
        "msgs": raw.get("msgs"),
        "acks": raw.get("acks"),
        "seq": raw.get("seq"),
        "connect": raw.get("connect"),
        "server": raw.get("server"),
        "loadgen": raw.get("loadgen"),
        "machine": raw.get("machine"),
        "errors": raw.get("errors"),
        "disconnectsDuringRun": raw.get("disconnectsDuringRun"),
    }
    emit(line, args.out)
    log(one_line(line))
    return line


def one_line(r: dict[str, Any]) -> str:
    m, lat, c = r.get("msgs") or {}, r.get("latencyMs") or {}, r.get("connect") or {}
    ak = r.get("acks") or {}
    s = f"{r['variant']} r{r['round']} {r['scenario']}: sockets {c.get('ok')}/{c.get('attempted')}"
    if m:
        s += (
            f", delivered {m.get('deliveredPerSec')}/s lost {m.get('lost')}"
            f" ack fail {ak.get('failed')}+{ak.get('missing')} {ak.get('codes') or ''}"
            f", CPU {r.get('cpuMsPerMsg')} ms/msg {r.get('cpuMsPerMsgBy')}, p99 {lat.get('p99')} ms"
        )
    s += f", connect {r.get('connectCpuMsPerSocket')} ms/socket"
    return s + f", other {(r.get('machine') or {}).get('otherCpuPct')}% busy"


def clean(r: dict[str, Any]) -> bool:
    """Nothing lost, duplicated, refused, out of order or disconnected."""
    m, ak, sq, c = r.get("msgs") or {}, r.get("acks") or {}, r.get("seq") or {}, r.get("connect")
    ok = not (c or {}).get("failed") and not r.get("disconnectsDuringRun")
    if m:
        ok = ok and not m.get("lost") and not m.get("duplicates")
        ok = ok and not ak.get("failed") and not ak.get("missing") and not sq.get("violations")
    return ok


def med(vals: list[Any]) -> float | None:
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def summarize(lines: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """Medians per variant, the ratios against the floor and the targets; Markdown + JSON."""
    chat = [r for r in lines if r["scenario"] == "chat"]
    by: dict[str, list[dict[str, Any]]] = {}
    for r in chat:
        by.setdefault(r["variant"], []).append(r)
    rows: list[list[Any]] = []
    meds: dict[str, dict[str, Any]] = {}
    for key in VARIANTS:
        rs = by.get(key)
        if not rs:
            continue
        groups = sorted({g for r in rs for g in r.get("cpuMsPerMsgBy", {})})
        m: dict[str, Any] = {
            "cpuMsPerMsg": med([r.get("cpuMsPerMsg") for r in rs]),
            "cpuMsPerMsgWithNginx": med([r.get("cpuMsPerMsgWithNginx") for r in rs]),
            "by": {g: med([r.get("cpuMsPerMsgBy", {}).get(g) for r in rs]) for g in groups},
            "p99": med([(r.get("latencyMs") or {}).get("p99") for r in rs]),
            "connectCpuMsPerSocket": med([r.get("connectCpuMsPerSocket") for r in rs]),
            "connectAllMs": med([(r.get("connect") or {}).get("allMs") for r in rs]),
            "deliveredPerSec": med([(r.get("msgs") or {}).get("deliveredPerSec") for r in rs]),
            "rounds": len(rs),
            "clean": all(clean(r) for r in rs),
            "otherCpuPct": med([(r.get("machine") or {}).get("otherCpuPct") for r in rs]),
            "ackCodes": {
                k: v for r in rs for k, v in ((r.get("acks") or {}).get("codes") or {}).items()
            },
        }
        meds[key] = m
        rows.append(
            [
                key,
                m["rounds"],
                m["deliveredPerSec"],
                m["cpuMsPerMsg"],
                " ".join(f"{g} {fmt(v)}" for g, v in m["by"].items()),
                m["cpuMsPerMsgWithNginx"],
                m["p99"],
                m["connectCpuMsPerSocket"],
                "yes" if m["clean"] else "NO",
                m["otherCpuPct"],
            ]
        )
    out = [
        table(
            [
                "variant",
                "rounds",
                "delivered/s",
                "CPU ms/msg",
                "by process (ms/msg)",
                "+ nginx",
                "p99 ms",
                "connect CPU ms/socket",
                "clean",
                "other CPU %",
            ],
            rows,
        )
    ]
    idle = [r for r in lines if r["scenario"] == "idle"]
    kib: dict[str, float | None] = {}
    if idle:
        irows = []
        for r in idle:
            s, c = r.get("server") or {}, r.get("connect") or {}
            held = c.get("ok") or 0
            per = s.get("perConnKiB")
            kib[r["variant"]] = per
            irows.append(
                [
                    r["variant"],
                    c.get("attempted"),
                    held,
                    c.get("failed"),
                    s.get("rssBeforeKiB"),
                    s.get("rssAfterHoldKiB"),
                    per,
                ]
            )
        out.append(
            table(
                [
                    "variant",
                    "sockets",
                    "held",
                    "refused/failed",
                    "web RSS before KiB",
                    "after hold KiB",
                    "KiB/socket",
                ],
                irows,
            )
        )
    targets = []

    def ratio(a: str, b: str, field: str) -> float | None:
        x, y = (meds.get(a) or {}).get(field), (meds.get(b) or {}).get(field)
        return round(x / y, 2) if x and y else None

    def mark(v: float | None, limit: float) -> str:
        return "not measured" if v is None else ("met" if v <= limit else "not met")

    for label, v, limit in (
        (
            "CPU per delivered message, one process, limits off (L1off/B1)",
            ratio("L1off", "B1", "cpuMsPerMsg"),
            1.5,
        ),
        (
            "the same, rate limits on: within 5 % of limits off (L1on/L1off)",
            ratio("L1on", "L1off", "cpuMsPerMsg"),
            1.05,
        ),
        (
            "the same through Redis, two processes, behind nginx (L2/B2)",
            ratio("L2", "B2", "cpuMsPerMsg"),
            1.5,
        ),
        (
            "connect + join + history per socket, CPU, two processes (L2/B2)",
            ratio("L2", "B2", "connectCpuMsPerSocket"),
            2.0,
        ),
        (
            "connect + join + history per socket, CPU, one process (L1on/B1)",
            ratio("L1on", "B1", "connectCpuMsPerSocket"),
            2.0,
        ),
        (
            "connect + join + history, wall time of the whole burst, two processes (L2/B2)",
            ratio("L2", "B2", "connectAllMs"),
            2.0,
        ),
        (
            "connect + join + history, wall time of the whole burst, one process (L1on/B1)",
            ratio("L1on", "B1", "connectAllMs"),
            2.0,
        ),
    ):
        targets.append([label, v, "≤ " + fmt(limit), mark(v, limit)])
    if kib.get("L2") and kib.get("B2"):
        v = round(kib["L2"] / kib["B2"], 2)  # type: ignore[operator]
        each = max((r.get("connect") or {}).get("attempted") or 0 for r in idle) // 2
        label = f"KiB per idle socket, {each:,} per process (L2/B2)"
        targets.append([label, v, "≤ 1.20", mark(v, 1.2)])
    out.append(table(["target (ratio to the floor, same run)", "now", "target", ""], targets))
    beside_c = [
        [label, ratio(a, b, field)]
        for label, a, b, field in (
            (
                "C's cost of storing: CPU per message, one process (C1/B1)",
                "C1",
                "B1",
                "cpuMsPerMsg",
            ),
            ("the same, two processes (C2/B2)", "C2", "B2", "cpuMsPerMsg"),
            ("livechat, limits off, against C (L1off/C1)", "L1off", "C1", "cpuMsPerMsg"),
            ("livechat as shipped against C (L1on/C1)", "L1on", "C1", "cpuMsPerMsg"),
            ("livechat as deployed against C as deployed (L2/C2)", "L2", "C2", "cpuMsPerMsg"),
            ("connect + join + history per socket (C1/B1)", "C1", "B1", "connectCpuMsPerSocket"),
            ("the same, livechat against C (L1on/C1)", "L1on", "C1", "connectCpuMsPerSocket"),
            ("the same, two processes (L2/C2)", "L2", "C2", "connectCpuMsPerSocket"),
        )
        if a in meds and b in meds
    ]
    if beside_c:
        out.append(table(["beside the persistence floor C (no target)", "ratio"], beside_c))
    summary = {
        "bench": "deployed-summary",
        "medians": meds,
        "idleKiBPerSocket": kib,
        "targets": [{"target": t[0], "value": t[1], "verdict": t[3]} for t in targets],
        "besideC": {row[0]: row[1] for row in beside_c},
    }
    return "\n\n".join(out), summary


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--variants", default=",".join(VARIANTS))
    p.add_argument("--rooms", type=int, default=250)
    p.add_argument("--rate", type=float, default=2, help="messages per second per room")
    p.add_argument("--duration", type=float, default=20)
    p.add_argument("--warmup", type=float, default=5)
    p.add_argument(
        "--idle", type=int, default=0, help="N idle sockets over B2 and L2 after the rounds"
    )
    p.add_argument("--hold", type=float, default=5)
    p.add_argument(
        "--storm",
        action="store_true",
        help="after the rounds: a reconnect storm on B2, L2 and C2 (bench/deployed_scale.py)",
    )
    p.add_argument("--storm-rooms", type=int, default=500, help="rooms (2 clients each)")
    p.add_argument("--storm-missed", type=int, default=3, help="messages per room while away (L)")
    p.add_argument("--storm-pause", type=float, default=2, help="seconds between drop and posts")
    p.add_argument(
        "--maxrate",
        action="store_true",
        help="after the rounds: the highest delivered rate with p99 < 100 ms on B2, L2 and C2",
    )
    p.add_argument("--maxrate-rooms", type=int, default=400)
    p.add_argument(
        "--maxrate-steps",
        default="100,200,300,500,700,900,1200,1600,2400",
        help="offered msg/s, in order",
    )
    p.add_argument("--maxrate-duration", type=float, default=8)
    p.add_argument("--maxrate-warmup", type=float, default=3)
    p.add_argument(
        "--lc-env",
        action="append",
        default=[],
        metavar="K=V",
        help="a setting for livechat's processes beyond the shipped defaults (recorded)",
    )
    p.add_argument("--out", default=str(results_path("deployed")))
    p.add_argument("--report", nargs="*", help="only summarize these result files")
    p.add_argument(
        "--profile",
        metavar="DIR",
        help="py-spy each web worker over the measured window (raw stacks into DIR; the CPU "
        "figures of such a run include py-spy's pauses: not for the tables)",
    )
    p.add_argument("--profile-report", nargs="*", help="summarize py-spy raw files")
    args = p.parse_args(argv)
    if args.profile_report is not None:
        print(profile_report(args.profile_report))
        return 0
    if args.profile:
        spy_exe()
        os.makedirs(args.profile, exist_ok=True)
    if args.report is not None:
        lines = [
            json.loads(ln) for f in args.report for ln in open(f) if '"bench": "deployed"' in ln
        ]
        print(summarize(lines)[0])
        return 0
    setup()

    def run(a: argparse.Namespace) -> int:
        keys = [k for k in a.variants.split(",") if k]
        bad = [k for k in keys if k not in VARIANTS]
        if bad:
            raise RuntimeError(f"unknown variants {bad}; known: {', '.join(VARIANTS)}")
        lines: list[dict[str, Any]] = []
        scale: list[dict[str, Any]] = []
        sys.modules.setdefault("deployed", sys.modules[__name__])  # for deployed_scale
        import deployed_scale

        try:
            for rnd in range(1, a.rounds + 1):
                for key in keys if rnd % 2 else list(reversed(keys)):
                    lines.append(run_variant(key, a, rnd, "chat"))
            if a.idle:
                for key in [k for k in ("B2", "L2") if k in keys]:
                    lines.append(run_variant(key, a, 1, "idle"))
            two = [k for k in ("B2", "L2", "C2") if k in keys]
            if a.storm:
                scale.extend(deployed_scale.run_storm(k, a) for k in two)
            if a.maxrate:
                scale.extend(deployed_scale.run_maxrate(k, a) for k in two)
        finally:
            harness.pg_stop()
        if lines:
            text, summary = summarize(lines)
            print(text)
            emit(summary, a.out)
        if scale:
            text, summary = deployed_scale.summarize(scale)
            print(text)
            emit(summary, a.out)
        return 0

    return guarded(run, args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

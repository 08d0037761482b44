#!/usr/bin/env python3
"""Hot reads over a large history: `bench/run large-data [--requests N] LABEL=URL ...`.

Each URL names a database bench/seed filled with ``--waiting 5000`` (e.g.
``10k=postgresql://postgres@127.0.0.1/livechat_bench_10k`` and
``1m=postgresql://postgres@127.0.0.1/livechat_bench_1m``). Every database is measured in its own
subprocess (one app, its real engine, ``create_app("testing")``: the assistant is off, and
the per-user rate limits, which one agent sending back to back would trip), one
request at a time, after one warm-up pass:

- socket and assistant paths through the services the handlers call, inside an app context,
  with the handler's own schemas and limits (no Socket.IO framing): ``join:session`` (the
  latest 50 messages and the notes, as an agent joins), the ``afterSeq`` catch-up, what the
  queue broadcast computes (realtime/queue.py: the waiting chats in order, dumped, and the
  positions announced), the assistant's turn context (services/assistant.load_turn);
- REST through the Flask test client with a dev-signed token (the whole request: auth, query
  parsing, the service, the JSON): the sessions list with each filter, its deepest page by
  number (the last, or the one ending at SESSIONS_TOTAL_CAP) and a page by cursor from a chat
  anywhere in the list, a
  customer's tickets (staff by ``userId``, and the customer's own ``/mine``), the stats.

A slow operation stops after 20 s (at least 20 requests). Each request runs on a different
chat, customer or agent, drawn at random from the whole data.
Per operation: p50/p95 of the wall time, and the cost of a request: CPU time of this Python
process (``time.process_time``) and of the database's backends (``/proc/<pid>/schedstat`` of
every backend of the database, so the server must be local), averaged over the requests.
Prints a table (with the ratio to the first database when there are two) and appends one JSON
line to ``--out``.

Assistant chats (ACTIVE, no agent) do not exist in a seeded history: the first run opens 50,
for customers who have tickets, through services.sessions/messages (12 messages each), and
later runs find them.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

AI_CHATS = 50
AI_MESSAGES = 12
BUDGET_S = 20.0
MIN_REQUESTS = 20
TARGETS_MS = {"history": 20.0, "list": 50.0, "stats": 100.0}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


class BackendClock:
    """CPU time of the database's backends, from /proc (ns; the server is on this host)."""

    def __init__(self, url: str) -> None:
        import psycopg

        self._conn = psycopg.connect(_libpq(url), autocommit=True)
        self._own = self._conn.execute("SELECT pg_backend_pid()").fetchone()[0]  # type: ignore[index]

    def snapshot(self) -> dict[int, int]:
        pids = self._conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> %s",
            (self._own,),
        ).fetchall()
        times: dict[int, int] = {}
        for (pid,) in pids:
            try:
                times[pid] = int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
            except (OSError, ValueError, IndexError):
                continue
        return times

    @staticmethod
    def spent(before: dict[int, int], after: dict[int, int]) -> float:
        """Seconds of CPU the backends used between two snapshots (new backends from 0)."""
        return sum(t - before.get(pid, 0) for pid, t in after.items()) / 1e9

    def close(self) -> None:
        self._conn.close()


def _ensure_ai_chats(customers: list[str]) -> list[str]:
    """ACTIVE chats without an agent (the assistant's), opened through the services for
    customers with no open chat."""
    import sqlalchemy as sa

    from livechat.extensions import db
    from livechat.models import OPEN_STATUSES, ChatSession, Role, SessionStatus
    from livechat.services import messages, sessions
    from livechat.services.users import Identity

    def open_chats() -> list[Any]:
        rows = db.session.execute(
            sa.select(
                ChatSession.id, ChatSession.user_id, ChatSession.status, ChatSession.agent_id
            ).where(ChatSession.status.in_(OPEN_STATUSES), ChatSession.user_id.in_(customers))
        ).all()
        db.session.rollback()
        return rows

    rows = open_chats()
    mine = [r.id for r in rows if r.status == SessionStatus.ACTIVE and r.agent_id is None]
    busy = {r.user_id for r in rows}
    for uid in [c for c in customers if c not in busy][: max(0, AI_CHATS - len(mine))]:
        actor = Identity(uid=uid, role=Role.USER)
        session, _ = sessions.open_session(actor)
        for i in range(AI_MESSAGES):
            messages.post_message(actor, session.id, f"Still waiting for my refund ({i})")
        db.session.remove()
    rows = open_chats()
    return [r.id for r in rows if r.status == SessionStatus.ACTIVE and r.agent_id is None]


def _samples(rng: random.Random) -> dict[str, Any]:
    """Chats, customers and agents to spread the requests over the whole history."""
    import sqlalchemy as sa

    from livechat.extensions import db

    def column(query: str) -> list[Any]:
        return list(db.session.execute(sa.text(query)).scalars())

    chats = column(
        "SELECT id FROM chat_sessions TABLESAMPLE SYSTEM (10) WHERE status = 'ENDED' LIMIT 2000"
    )
    if len(chats) < 200:
        chats = column("SELECT id FROM chat_sessions WHERE status = 'ENDED'")
    # Rows anywhere in the list, for cursors that read on from deep in it.
    deep = db.session.execute(
        sa.text("SELECT created_at, id FROM chat_sessions TABLESAMPLE SYSTEM (10) LIMIT 500")
    ).all()
    with_tickets = column("SELECT DISTINCT user_id FROM tickets WHERE user_id LIKE 'bench-cust-%'")
    agents = column("SELECT id FROM users WHERE role = 'agent'")
    counts = db.session.execute(
        sa.text(
            "SELECT (SELECT count(*) FROM chat_messages) AS messages,"
            " (SELECT count(*) FROM chat_sessions) AS sessions,"
            " (SELECT count(*) FROM chat_sessions WHERE status = 'WAITING') AS waiting,"
            " (SELECT count(*) FROM tickets) AS tickets"
        )
    ).one()
    first_day = db.session.scalar(sa.text("SELECT min(created_at) FROM chat_sessions"))
    db.session.rollback()
    rng.shuffle(chats)
    rng.shuffle(with_tickets)
    return {
        "chats": chats[:500],
        "deep": [(at.isoformat(), sid) for at, sid in deep],
        "customers": with_tickets,
        "agents": agents,
        "counts": dict(counts._mapping),
        "first_day": first_day,
    }


def _operations(app: Any, s: dict[str, Any], rng: random.Random) -> dict[str, Callable[[], Any]]:
    from livechat import runtime
    from livechat.extensions import db
    from livechat.models import SESSIONS_TOTAL_CAP, Role
    from livechat.realtime.chat import CATCH_UP_LIMIT, HISTORY_LIMIT
    from livechat.schemas.chat import MessageSchema, NoteSchema, QueueItemSchema, SessionSchema
    from livechat.services import assistant, messages, notes, queue, sessions
    from livechat.services.access import access_session
    from livechat.services.paging import encode_cursor
    from livechat.services.users import Identity

    verifier = runtime.verifier(app)
    client = app.test_client()
    tokens: dict[tuple[str, str], dict[str, str]] = {}

    def headers(uid: str, role: str) -> dict[str, str]:
        if (uid, role) not in tokens:
            tokens[(uid, role)] = {"Authorization": f"Bearer {verifier.issue(uid, role=role)}"}
        return tokens[(uid, role)]

    session_schema, message_schema = SessionSchema(), MessageSchema(many=True)
    note_schema, queue_schema = NoteSchema(many=True), QueueItemSchema(many=True)
    agent = Identity(uid=s["agents"][0], role=Role.AGENT)
    chats, customers, agents = s["chats"], s["customers"], s["agents"]
    ai_chats = s["ai_chats"]
    # The deepest page a number reaches: the last one, or the one ending at the cap.
    pages = max(1, min(-(-s["counts"]["sessions"] // 20), SESSIONS_TOTAL_CAP // 20))
    span = datetime(2026, 12, 1, tzinfo=UTC) - s["first_day"]

    def join_history() -> None:
        # realtime/chat.py on_join_session, for an agent: the chat, its latest 50, its notes.
        session = access_session(agent, rng.choice(chats))
        items, _ = messages.page_messages(session, after=None, limit=HISTORY_LIMIT)
        internal, _ = notes.page_notes(session.id)
        session_schema.dump(session), message_schema.dump(items), note_schema.dump(internal)
        db.session.remove()

    def catch_up() -> None:
        session = access_session(agent, rng.choice(chats))
        items, _ = messages.page_messages(
            session, after=max(0, session.last_seq - 3), limit=CATCH_UP_LIMIT
        )
        internal, _ = notes.page_notes(session.id, after=0)
        session_schema.dump(session), message_schema.dump(items), note_schema.dump(internal)
        db.session.remove()

    def queue_broadcast() -> None:
        # realtime/queue.py: the queue:updated snapshot's waiting list (its head) and total,
        # then the positions every waiting customer is told.
        queue_schema.dump(sessions.queue_entries(sessions.QUEUE_LIST_LIMIT))
        sessions.waiting_total()
        db.session.rollback()
        queue.announce_positions()
        db.session.remove()

    def assistant_context() -> None:
        assert assistant.load_turn(rng.choice(ai_chats)) is not None
        db.session.remove()

    def rest(path: str, uid: Callable[[], str], role: str = "agent") -> Callable[[], None]:
        def call() -> None:
            target = path() if callable(path) else path
            response = client.get(target, headers=headers(uid(), role))
            assert response.status_code == 200, (target, response.status_code, response.json)

        return call

    def some_agent() -> str:
        return str(rng.choice(agents))

    def month() -> str:
        start = s["first_day"] + span * rng.random() * 11 / 12
        return f"from={start.date().isoformat()}&to={(start + span / 12).date().isoformat()}"

    base = "/api/support/chat/sessions"
    return {
        "join:session history": join_history,
        "afterSeq catch-up": catch_up,
        "queue broadcast": queue_broadcast,
        "queue REST": rest("/api/support/chat/queue", some_agent),
        "sessions list": rest(base, some_agent),
        "sessions status": rest(f"{base}?status=ENDED", some_agent),
        "sessions agent": rest(lambda: f"{base}?agentId={some_agent()}", some_agent),
        "sessions priority": rest(f"{base}?priority=HIGH", some_agent),
        "sessions month": rest(lambda: f"{base}?{month()}", some_agent),
        "sessions customer": rest(lambda: f"{base}?userId={rng.choice(customers)}", some_agent),
        "sessions last page": rest(f"{base}?page={pages}", some_agent),
        "sessions by cursor": rest(
            lambda: f"{base}?cursor={encode_cursor(*rng.choice(s['deep']))}", some_agent
        ),
        "tickets of customer": rest(
            lambda: f"/api/support/tickets?userId={rng.choice(customers)}", some_agent
        ),
        "tickets mine": rest("/api/support/tickets/mine", lambda: rng.choice(customers), "user"),
        "stats": rest("/api/support/chat/stats", some_agent),
        "assistant context": assistant_context,
    }


def target_of(op: str) -> float:
    if op in ("join:session history", "afterSeq catch-up", "assistant context"):
        return TARGETS_MS["history"]
    return TARGETS_MS["stats"] if op == "stats" else TARGETS_MS["list"]


def measure_one(url: str, requests: int, seed: int) -> dict[str, Any]:
    """Every operation against one database (in this process)."""
    os.environ["DATABASE_URL"] = url.replace("postgresql://", "postgresql+psycopg://", 1)
    # One agent sends every request here, back to back: the per-user REST limit would refuse
    # them (it bounds a person's rate, not the cost measured).
    os.environ["RATE_LIMITS_ENABLED"] = "false"
    from livechat import create_app, shutdown_app

    app = create_app("testing")
    # One line per request on stderr is not what is measured here (it costs the same at any
    # size): the access log is off.
    logging.getLogger("livechat.access").setLevel(logging.WARNING)
    rng = random.Random(seed)  # noqa: S311 (sampling, not secrets)
    clock = BackendClock(url)
    results: dict[str, Any] = {}
    try:
        with app.app_context():
            samples = _samples(rng)
            samples["ai_chats"] = _ensure_ai_chats(samples["customers"])
            ops = _operations(app, samples, rng)
            for name, op in ops.items():
                for _ in range(max(3, requests // 10)):  # warm-up: caches, prepared plans
                    op()
                times: list[float] = []
                before, cpu = clock.snapshot(), time.process_time()
                deadline = time.perf_counter() + BUDGET_S
                # A slow operation stops after BUDGET_S (at least MIN_REQUESTS requests).
                while len(times) < requests and (
                    len(times) < MIN_REQUESTS or time.perf_counter() < deadline
                ):
                    start = time.perf_counter()
                    op()
                    times.append((time.perf_counter() - start) * 1000)
                python_s = time.process_time() - cpu
                pg_s = clock.spent(before, clock.snapshot())
                done = len(times)
                results[name] = {
                    "requests": done,
                    "p50_ms": round(statistics.median(times), 2),
                    "p95_ms": round(percentile(times, 0.95), 2),
                    "python_cpu_ms": round(python_s * 1000 / done, 3),
                    "pg_cpu_ms": round(pg_s * 1000 / done, 3),
                    "target_p95_ms": target_of(name),
                }
                print(f"  {name}: {results[name]}", file=sys.stderr)
    finally:
        clock.close()
        shutdown_app(app)
    return {"counts": samples["counts"], "operations": results}


def _table(runs: dict[str, dict[str, Any]]) -> str:
    labels = list(runs)
    lines = []
    head = f"{'operation':<22}"
    for label in labels:
        head += f" {label + ' p50':>10} {'p95':>7} {'py ms':>7} {'pg ms':>7}"
    if len(labels) == 2:
        head += f" {'p95 x':>6} {'cost x':>6}"
    lines.append(head)
    first = runs[labels[0]]["operations"]
    for op in first:
        line = f"{op:<22}"
        for label in labels:
            f = runs[label]["operations"][op]
            line += (
                f" {f['p50_ms']:>10} {f['p95_ms']:>7} {f['python_cpu_ms']:>7} {f['pg_cpu_ms']:>7}"
            )
        if len(labels) == 2:
            a, b = first[op], runs[labels[1]]["operations"][op]
            line += f" {ratio(b['p95_ms'], a['p95_ms']):>6} {ratio(cost(b), cost(a)):>6}"
        lines.append(line)
    return "\n".join(lines)


def cost(figures: dict[str, Any]) -> float:
    return float(figures["python_cpu_ms"]) + float(figures["pg_cpu_ms"])


def ratio(a: float, b: float) -> float:
    return round(a / b, 2) if b else float("inf")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("databases", nargs="*", help="LABEL=URL, measured in this order")
    parser.add_argument("--requests", type=int, default=200, help="per operation")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default=None)
    parser.add_argument("--note", default="", help="recorded with the results")
    parser.add_argument("--one", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure_one(args.one, args.requests, args.seed), default=str))
        return 0
    if not args.databases:
        parser.error("name the seeded databases: LABEL=URL ...")
    runs: dict[str, dict[str, Any]] = {}
    for spec in args.databases:
        label, _, url = spec.partition("=")
        print(f"{label}: {url}", file=sys.stderr)
        command = [sys.executable, __file__, "--one", url, "--requests", str(args.requests)]
        done = subprocess.run(  # noqa: S603 (this script, the URL its caller gave)
            [*command, "--seed", str(args.seed)],
            capture_output=True,
            text=True,
            check=False,
        )
        sys.stderr.write(done.stderr[-4000:])
        if done.returncode:
            return done.returncode
        runs[label] = json.loads(done.stdout.strip().splitlines()[-1])
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
        cwd=PROJECT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    result = {
        "bench": "large-data",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "note": args.note,
        "requests": args.requests,
        "runs": runs,
    }
    print(_table(runs))
    missed = [
        f"{label} {op}"
        for label, run in runs.items()
        for op, f in run["operations"].items()
        if f["p95_ms"] > f["target_p95_ms"]
    ]
    if len(runs) == 2:
        a, b = (run["operations"] for run in runs.values())
        missed += [f"cost {op}" for op in a if ratio(cost(b[op]), cost(a[op])) > 1.5]
    result["missed"] = missed
    print("missed: " + (", ".join(missed) if missed else "none"))
    if args.out:
        with open(args.out, "a", encoding="utf-8") as out:
            out.write(json.dumps(result, default=str) + "\n")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

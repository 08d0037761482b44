#!/usr/bin/env python3
"""Search latency over a seeded history: `bench/run search [--rounds N] [URL]`.

Needs a database filled by bench/seed (default 1,000,000 messages; URL as an argument or
BENCH_DATABASE_URL). Runs the project's own search service (services/search.py: the query,
the highlights, the chats' rows; everything but HTTP) in this process, for a fixed set of
realistic queries in the six languages (frequent words, rare ids and amounts, phrases,
exclusions, names, words nobody wrote, with and without the Conversations filters, newest
first and by relevance), one at a time, after one warm-up round. Prints p50/p95 overall and
per query, the plan of one frequent and one rare query, and appends one JSON line to
``--out``; exits 1 when the overall p95 is over ``--budget-ms`` (200).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

# (label, q, options): what agents type, in the languages customers write in (bench/seed.py).
QUERIES: list[tuple[str, str, dict[str, Any]]] = [
    ("en frequent", "card declined", {}),
    ("en stem", "refunds pending", {}),
    ("en phrase", '"freeze my card"', {}),
    ("en exclusion", "transfer -fee", {}),
    ("es", "tarjeta rechazada", {}),
    ("es stem", "reembolsos", {}),
    ("fr", "virement frais", {}),
    ("de", "Überweisung Gebühr", {}),
    ("pt", "cartão recusado", {}),
    ("it", "bonifico commissione", {}),
    ("id rare", "TX-512344", {}),
    ("amount", "1234.56", {}),
    ("shop name", "MediaMarkt", {}),
    ("note words", "chargeback scheme", {"kind": "note"}),
    ("no hit", "cryptocurrency mortgage", {}),
    ("ended chats", "card", {"status": "ENDED"}),
    ("high priority", "fraude", {"priority": "HIGH"}),
    ("by rule", "payments", {"rule": "legal_threat"}),
    ("one agent", "card", {"agent_id": "bench-agent-7"}),
    ("last month", "refund", {"created_from": datetime(2026, 11, 1, tzinfo=UTC)}),
    ("relevance", "card declined", {"sort": "relevance"}),
    ("page 5", "transfer", {"page": 5}),
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _explain(q: str) -> str:
    import sqlalchemy as sa

    from livechat.extensions import db
    from livechat.models import ChatMessage
    from livechat.services import search

    stmt = search._branch(ChatMessage, q, [], "newest", 21)
    compiled = stmt.compile(db.engine, compile_kwargs={"literal_binds": True})
    rows = db.session.execute(sa.text(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}")).scalars()
    plan = "\n".join(rows)
    db.session.rollback()
    return plan


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--budget-ms", type=float, default=200.0)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    if not args.url:
        parser.error("name the seeded database: an argument or BENCH_DATABASE_URL")
    os.environ["DATABASE_URL"] = args.url.replace("postgresql://", "postgresql+psycopg://", 1)
    import sqlalchemy as sa

    from livechat import create_app, shutdown_app
    from livechat.extensions import db
    from livechat.models import Role
    from livechat.services import search
    from livechat.services.users import Identity

    app = create_app("testing")
    agent = Identity(uid="bench-agent-1", role=Role.AGENT, name="Agent 1")
    times: dict[str, list[float]] = {label: [] for label, _, _ in QUERIES}
    hits: dict[str, int] = {}
    try:
        with app.app_context():
            messages = db.session.scalar(sa.text("SELECT count(*) FROM chat_messages"))
            db.session.rollback()
            for round_no in range(args.rounds + 1):
                for label, q, options in QUERIES:
                    start = time.perf_counter()
                    found, _ = search.search(agent, q, **options)
                    elapsed = (time.perf_counter() - start) * 1000
                    if round_no:  # round 0 warms the caches up
                        times[label].append(elapsed)
                    hits[label] = len(found)
            plans = {"frequent": _explain("card declined"), "rare": _explain("TX-512344")}
    finally:
        shutdown_app(app)
    every = [t for ts in times.values() for t in ts]
    per_query = {
        label: {
            "p50_ms": round(statistics.median(ts), 1),
            "p95_ms": round(percentile(ts, 0.95), 1),
            "hits": hits[label],
        }
        for label, ts in times.items()
    }
    result = {
        "bench": "search",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
            cwd=PROJECT,
            capture_output=True,
            text=True,
        ).stdout.strip(),
        "messages": messages,
        "rounds": args.rounds,
        "queries": len(QUERIES),
        "p50_ms": round(statistics.median(every), 1),
        "p95_ms": round(percentile(every, 0.95), 1),
        "max_ms": round(max(every), 1),
        "budget_ms": args.budget_ms,
        "per_query": per_query,
        "plans": plans,
    }
    print(f"{'query':<16} {'p50 ms':>8} {'p95 ms':>8} {'hits':>5}")
    for label, figures in per_query.items():
        print(f"{label:<16} {figures['p50_ms']:>8} {figures['p95_ms']:>8} {figures['hits']:>5}")
    print(
        f"all {len(every)} searches over {messages:,} messages: p50 {result['p50_ms']} ms, "
        f"p95 {result['p95_ms']} ms (budget {args.budget_ms:g} ms)"
    )
    if args.out:
        with open(args.out, "a") as f:
            f.write(json.dumps(result) + "\n")
    return 0 if result["p95_ms"] <= args.budget_ms else 1


if __name__ == "__main__":
    sys.exit(main())

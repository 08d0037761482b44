#!/usr/bin/env python3
"""How long one knowledge-base search takes: `bench/run knowledge [--rounds N] [--budget-ms MS]`.

Pure CPU, in this process: no server, database or load harness. Loads the shipped articles
(livechat/ai/kb), then times every query of a fixed set (each article's title, its tags as a
question, a few questions the KB cannot answer) over several rounds, one search at a time. The
assistant searches once a turn, so a search must stay far below a turn's budget: the verdict is
the mean against ``--budget-ms`` (10 ms, the figure the test suite used to assert on a clock).
Prints a table and appends one JSON line to ``--out``; exits 1 when over the budget.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from livechat.ai.knowledge import KnowledgeBase  # noqa: E402

UNANSWERABLE = [
    "what is the capital of Peru",
    "recommend a good pizza place nearby",
    "qwerty asdf zxcv",
]


def queries(kb: KnowledgeBase) -> list[str]:
    """Every article's title and its tags, then questions no article answers."""
    titles = [a.title for a in kb.articles]
    tags = [f"help with {' '.join(a.tags)}" for a in kb.articles if a.tags]
    return titles + tags + UNANSWERABLE


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="passes over the query set")
    parser.add_argument("--budget-ms", type=float, default=10.0, help="mean search budget")
    parser.add_argument("--out", type=Path, help="append the figures as one JSON line here")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    kb = KnowledgeBase.load()
    load_ms = (time.perf_counter() - started) * 1000
    asked = queries(kb)
    for q in asked:  # warm up: first-call costs are not a search's
        kb.search(q)
    timings: list[float] = []
    for _ in range(args.rounds):
        for q in asked:
            t0 = time.perf_counter()
            kb.search(q)
            timings.append((time.perf_counter() - t0) * 1000)

    mean = statistics.fmean(timings)
    figures = {
        "scenario": "knowledge",
        "articles": len(kb.articles),
        "queries": len(asked),
        "searches": len(timings),
        "loadMs": round(load_ms, 1),
        "searchMs": {
            "mean": round(mean, 3),
            "p50": round(percentile(timings, 0.5), 3),
            "p95": round(percentile(timings, 0.95), 3),
            "max": round(max(timings), 3),
        },
        "searchesPerSec": round(1000 / mean),
        "budgetMs": args.budget_ms,
        "ok": mean < args.budget_ms,
    }
    s = figures["searchMs"]
    print(f"knowledge base: {figures['articles']} articles loaded in {figures['loadMs']} ms")
    print(f"{'searches':>9} {'mean ms':>8} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'/s':>7}")
    print(
        f"{len(timings):>9} {s['mean']:>8.3f} {s['p50']:>7.3f} {s['p95']:>7.3f} "
        f"{s['max']:>7.3f} {figures['searchesPerSec']:>7}"
    )
    verdict = "within" if figures["ok"] else "OVER"
    print(f"mean {s['mean']:.3f} ms: {verdict} the {args.budget_ms:g} ms budget")
    if args.out:
        with args.out.open("a") as f:
            f.write(json.dumps(figures) + "\n")
    return 0 if figures["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())

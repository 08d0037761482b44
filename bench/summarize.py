#!/usr/bin/env python3
"""Side-by-side table of chat runs: `bench/summarize.py NAME=FILE.jsonl ...` (first = reference)."""

from __future__ import annotations

import json
import sys


def _last(path: str) -> dict:
    with open(path) as f:
        lines = [json.loads(line) for line in f if line.strip()]
    return lines[-1]


def main(argv: list[str]) -> int:
    rows = [(name, _last(path)) for name, _, path in (a.partition("=") for a in argv)]
    ref = rows[0][1]["latencyMs"]["p99"]
    header = (
        f"{'variant':<28} {'sent/s':>8} {'deliv/s':>8} {'lost':>5} {'dup':>4} {'ackfail':>7} "
        f"{'p50 ms':>8} {'p99 ms':>8} {'p99/ref':>7} {'srvCPU%':>8} {'busy%':>6}"
    )
    print(header)
    print("-" * len(header))
    for name, r in rows:
        m, lat, acks = r["msgs"], r["latencyMs"], r.get("acks") or {}
        fails = (acks.get("failed") or 0) + (acks.get("missing") or 0)
        print(
            f"{name:<28} {m['sentPerSec']:>8.1f} {m['deliveredPerSec']:>8.1f} {m['lost']:>5} "
            f"{m['duplicates']:>4} {fails:>7} {lat['p50']:>8.2f} {lat['p99']:>8.2f} "
            f"{lat['p99'] / ref:>7.2f} {r['server']['cpuPct']:>8.1f} "
            f"{r['machine']['otherCpuPct']:>6.0f}"
        )
        print(json.dumps({"variant": name, "msgs": m, "latencyMs": lat, "server": r["server"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""CPU per delivered message on one process, for checkouts side by side, interleaved.

Each round runs ``bench/deployed.py --variants L1off`` (one web process and its PostgreSQL,
rate limits off, steady chat) from every checkout named, then B1 (the floor) once, in an order
reversed every other round, so a noisy host weighs on all of them alike. Prints per round and
the medians: web, PostgreSQL and total CPU-ms per delivered message, and each total's ratio to
B1 of the same round. Compare a change with its base:

  git worktree add --detach /tmp/base HEAD~3
  python3 bench/msgcpu.py --rounds 5 base=/tmp/base new=.     # ~1 min per run on 2 vCPUs

Each checkout runs its own bench/deployed.py (and its own code); the harness is BENCH_HARNESS.
Give the run a BENCH_DEPLOYED_ENV of its own (with B's venv linked in as venv/) when another
deployed.py may run on the host: they share the private PostgreSQL cluster otherwise, and one
run's end stops it under the other.
"""

# ruff: noqa: S603
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def run(checkout: Path, variant: str, args: argparse.Namespace) -> dict[str, Any]:
    """One variant, one round, from ``checkout``: its result line."""
    with tempfile.NamedTemporaryFile(suffix=".jsonl", delete=False) as f:
        out = f.name
    argv = [sys.executable, str(checkout / "bench" / "deployed.py"), "--variants", variant,
            "--rounds", "1", "--rooms", str(args.rooms), "--rate", str(args.rate),
            "--duration", str(args.duration), "--warmup", str(args.warmup),
            "--out", out]  # fmt: skip
    for kv in args.lc_env:
        argv += ["--lc-env", kv]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=900, cwd=str(checkout))
    try:
        lines = [json.loads(ln) for ln in Path(out).read_text().splitlines() if ln.strip()]
    finally:
        os.unlink(out)
    rows = [r for r in lines if r.get("variant") == variant and "cpuMsPerMsgBy" in r]
    if p.returncode or not rows:
        raise RuntimeError(f"{checkout} {variant} failed: {(p.stderr or p.stdout)[-800:]}")
    return rows[-1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("checkouts", nargs="*", help="LABEL=PATH (default: this checkout as 'this')")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--rooms", type=int, default=250)
    ap.add_argument("--rate", type=float, default=1.6, help="messages per second per room")
    ap.add_argument("--duration", type=float, default=15)
    ap.add_argument("--warmup", type=float, default=5)
    ap.add_argument("--no-floor", action="store_true", help="skip B1")
    ap.add_argument(
        "--lc-env",
        action="append",
        default=["AGENT_OFFLINE_GRACE_SECONDS=3600"],
        metavar="K=V",
        help="livechat settings (default AGENT_OFFLINE_GRACE_SECONDS=3600: the harness's agents"
        " hold no /support socket, and a chat requeued mid-run refuses their messages)",
    )
    ap.add_argument("--out", help="append every result line here (JSON lines)")
    args = ap.parse_args()
    named = [c.split("=", 1) for c in args.checkouts] or [["this", str(HERE.parent)]]
    order: list[tuple[str, Path, str]] = [(lbl, Path(p).resolve(), "L1off") for lbl, p in named]
    if not args.no_floor:
        order.append(("B1", HERE.parent, "B1"))
    results: dict[str, list[dict[str, float]]] = {lbl: [] for lbl, _, _ in order}
    for rnd in range(1, args.rounds + 1):
        floor = None
        this_round: dict[str, dict[str, float]] = {}
        for label, path, variant in order if rnd % 2 else list(reversed(order)):
            r = run(path, variant, args)
            by = r["cpuMsPerMsgBy"]
            fig = {"web": by.get("web", 0.0), "pg": by.get("pg", 0.0), "total": r["cpuMsPerMsg"]}
            fig["other"] = r.get("machine", {}).get("otherCpuPct") or 0.0
            this_round[label] = fig
            if variant == "B1":
                floor = fig["total"]
            if args.out:
                with open(args.out, "a") as f:
                    f.write(json.dumps({"msgcpu": label, "round": rnd, **r}) + "\n")
        for label, fig in this_round.items():
            fig["ratio"] = fig["total"] / floor if floor else float("nan")
            results[label].append(fig)
            print(f"round {rnd} {label:>8}: web {fig['web']:.3f} pg {fig['pg']:.3f} "
                  f"total {fig['total']:.3f} ms/msg, x{fig['ratio']:.2f} B1, "
                  f"other {fig['other']:.0f} %", flush=True)  # fmt: skip
    print(f"\nmedians over {args.rounds} rounds ({args.rooms} rooms x {args.rate}/s, "
          f"{args.duration:g} s measured)")  # fmt: skip
    for label, figs in results.items():
        med = {k: statistics.median(f[k] for f in figs) for k in ("web", "pg", "total", "ratio")}
        print(f"{label:>8}: web {med['web']:.3f} pg {med['pg']:.3f} total {med['total']:.3f} "
              f"ms/msg, x{med['ratio']:.2f} B1")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

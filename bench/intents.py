#!/usr/bin/env python3
"""How fast the trained intent model loads and classifies: `bench/run intents [--messages N]`.

Pure CPU, in fresh subprocesses of this script: no server, database or load harness. Needs the
built model (``flask --app wsgi livechat intents build``; ``LIVECHAT_MODEL_DIR`` as the app).

1. **Load**: a fresh interpreter times ``import livechat.ai.intents`` + ``intents.model()`` and
   reads VmRSS (/proc/self/status) before the import, after numpy and tokenizers are imported,
   after the import of intents and after the model is loaded: the model's own resident memory is
   the last step. Targets: loaded in ≤ ``--load-budget-s`` (2 s), model ≤ ``--rss-budget-mb``
   (100 MB).
2. **Per message on one core**: a second interpreter pinned to one CPU (``--cpu``, default the
   last allowed) with OMP/OPENBLAS/MKL threads at 1, warmed up on every message, then times
   ``--messages`` calls (cycling ~60 varied customer messages: short, long, six languages,
   typos) of each of: ``intents.model()`` alone (the per-call lookup), ``predict`` on a held
   model, ``intents.model().predict`` (what ``analyse`` pays) and the whole ``analyse``. Per
   call ``time.perf_counter``; CPU-seconds per 1,000 messages from ``time.process_time``. Target:
   p99 of ``model().predict`` ≤ ``--p99-budget-ms`` (5 ms). Each call's own CPU time
   (``time.thread_time``) is kept too: its p99 is what a busy host's other processes cannot add.
Prints a table and appends one JSON line per figure set to ``--out`` (with the date, the commit,
the host's CPU count and 1-minute load); exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

# Customer messages as they arrive: short and long, en/es/fr/de/pt/it, typos, no-letter ones.
MESSAGES = [
    "hi",
    "help",
    "card blocked",
    "where is my card?",
    "I want to talk to a human",
    "my top up failed",
    "why was I charged a fee??",
    "refund pls",
    "how do i change my pin",
    "my card got declined at the supermarket",
    "I lost my card yesterday, can you freeze it?",
    "someone used my card without permission, I didn't make these payments",
    "The exchange rate you gave me for my euro to dollar transfer was terrible, why is it so "
    "different from what Google shows?",
    "I verified my identity three days ago and my account is still not verified, what is taking "
    "so long? I need to pay rent tomorrow and I can't move any money until this is sorted.",
    "i tried to top up with apple pay but it keeps saying pending and now the money left my bank "
    "account but it's not in my balance, this is the third time this week",
    "cant log in, app says passcode wrong but i know its right",
    "my crd hasnt arived yet its been 2 weks",
    "wher can i see my statment",
    "transfr to my freind didnt go thru",
    "i was chargd twice for the same thing",
    "how long does a bank tranfser take",
    "can i get a virtual card",
    "what currencies do you support",
    "is there a limit on cash withdrawals?",
    "the ATM kept my card",
    "I got less cash from the ATM than I asked for",
    "close my account",
    "how do I change my address",
    "Can I have a second card for my son?",
    "why is my balance not updated after the transfer",
    "this is a scam, I want my money back NOW!!!",
    "I will contact my lawyer if this is not resolved today",
    "thanks, that fixed it :)",
    "12345",
    "👍",
    "???",
    "ok",
    "Hola, mi tarjeta no funciona",
    "No he recibido mi tarjeta todavía, ¿cuándo llegará?",
    "Me han cobrado una comisión que no entiendo, ¿por qué?",
    "quiero hablar con una persona por favor",
    "alguien ha usado mi tarjeta sin mi permiso, estoy muy enfadado",
    "Bonjour, ma carte a été refusée au restaurant",
    "Je n'ai pas reçu mon remboursement, c'est inacceptable",
    "comment changer mon code pin ?",
    "je veux parler à un conseiller",
    "Mein Konto ist gesperrt, ich komme nicht mehr rein",
    "Wann kommt meine neue Karte an? Ich warte schon seit zwei Wochen.",
    "Warum wurde mir eine Gebühr für die Überweisung berechnet?",
    "ich bin wütend, jemand hat mein Geld gestohlen",
    "Olá, o meu cartão foi bloqueado",
    "Não recebi o reembolso da minha compra, isso é inaceitável",
    "como faço para carregar a minha conta?",
    "quero falar com um atendente humano",
    "Ciao, la mia carta è stata rifiutata",
    "Non ho ancora ricevuto la carta, quando arriva?",
    "perché mi avete addebitato una commissione?",
    "vorrei parlare con un operatore",
    "grazie mille, tutto risolto",
    "what's the weather like today",
    "recommend a good pizza place nearby",
    "asdf qwerty",
]


def rss_kb() -> int:
    """This process's resident set (VmRSS), in kB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise SystemExit("error: no VmRSS in /proc/self/status")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def child_load() -> dict[str, Any]:
    """In a fresh interpreter: the import and the model load, wall time and resident memory."""
    rss0, t0 = rss_kb(), time.perf_counter()
    import numpy  # noqa: F401
    import tokenizers  # noqa: F401

    rss1, t1 = rss_kb(), time.perf_counter()
    from livechat.ai import intents

    rss2, t2 = rss_kb(), time.perf_counter()
    found = intents.model()
    rss3, t3 = rss_kb(), time.perf_counter()
    if found is None:
        raise SystemExit(f"error: no intent model at {intents.model_path()}; build it first")
    return {
        "model": intents.model_path().name,
        "modelFileMB": round(intents.model_path().stat().st_size / 1e6, 1),
        "seconds": round(t3 - t0, 3),
        "importSeconds": {"numpyTokenizers": round(t1 - t0, 3), "intents": round(t2 - t1, 3)},
        "modelSeconds": round(t3 - t2, 3),
        "rssMB": round((rss3 - rss0) / 1024, 1),
        "importRssMB": {
            "numpyTokenizers": round((rss1 - rss0) / 1024, 1),
            "intents": round((rss2 - rss1) / 1024, 1),
        },
        "modelRssMB": round((rss3 - rss2) / 1024, 1),
        "rssBeforeMB": round(rss0 / 1024, 1),
    }


def child_speed(messages: int, cpu: int) -> dict[str, Any]:
    """In a fresh interpreter pinned to ``cpu``: per-call times of the model and of analyse."""
    os.sched_setaffinity(0, {cpu})  # before numpy: OpenBLAS sizes its pool by the affinity
    from livechat.ai import analysis, intents

    held = intents.model()
    if held is None:
        raise SystemExit(f"error: no intent model at {intents.model_path()}; build it first")
    for text in MESSAGES:  # warm up: lazy loads (langdetect, VADER) and first-call costs
        held.predict(text)
        analysis.analyse(text)
    texts = [MESSAGES[i % len(MESSAGES)] for i in range(messages)]
    calls = {
        "lookup": lambda _text: intents.model(),
        "predict": held.predict,
        "model_predict": lambda text: intents.model().predict(text),  # type: ignore[union-attr]
        "analyse": analysis.analyse,
    }
    out: dict[str, Any] = {"cpu": cpu, "threads": os.environ.get("OPENBLAS_NUM_THREADS")}
    for name, call in calls.items():
        timings: list[float] = []
        on_cpu: list[float] = []  # the call's own CPU time: what the host's other load cannot add
        cpu0 = time.process_time()
        for text in texts:
            t0, c0 = time.perf_counter(), time.thread_time()
            call(text)
            timings.append((time.perf_counter() - t0) * 1000)
            on_cpu.append((time.thread_time() - c0) * 1000)
        cpu_s = time.process_time() - cpu0
        out[name] = {
            "p50": round(percentile(timings, 0.5), 3),
            "p95": round(percentile(timings, 0.95), 3),
            "p99": round(percentile(timings, 0.99), 3),
            "max": round(max(timings), 3),
            "mean": round(sum(timings) / len(timings), 3),
            "cpuP50": round(percentile(on_cpu, 0.5), 3),
            "cpuP99": round(percentile(on_cpu, 0.99), 3),
            "cpuSecondsPer1000": round(cpu_s * 1000 / len(texts), 3),
        }
    return out


def run_child(mode: str, extra: list[str], env: dict[str, str]) -> dict[str, Any]:
    """This script again in a fresh interpreter; its figures are its last stdout line."""
    done = subprocess.run(  # noqa: S603 - our own command line
        [sys.executable, __file__, "--child", mode, *extra],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"error: the {mode} subprocess exited {done.returncode}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git from PATH
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000, help="timed calls of each kind")
    parser.add_argument("--cpu", type=int, help="the core to pin to (default: the last allowed)")
    parser.add_argument("--load-budget-s", type=float, default=2.0, help="import + load budget")
    parser.add_argument("--rss-budget-mb", type=float, default=100.0, help="model's resident MB")
    parser.add_argument("--p99-budget-ms", type=float, default=5.0, help="classification p99")
    parser.add_argument("--out", type=Path, help="append the figures as JSON lines here")
    parser.add_argument("--child", choices=("load", "speed"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    cpu = args.cpu if args.cpu is not None else max(os.sched_getaffinity(0))
    if args.child == "load":
        print(json.dumps(child_load()))
        return 0
    if args.child == "speed":
        print(json.dumps(child_speed(args.messages, cpu)))
        return 0

    env = dict(os.environ, PYTHONPATH=str(PROJECT))
    load = run_child("load", [], env)
    one_core = dict(env, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    speed = run_child("speed", ["--messages", str(args.messages), "--cpu", str(cpu)], one_core)

    common = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d"),
        "commit": commit(),
        "hostCpus": os.cpu_count(),
        "load1": round(os.getloadavg()[0], 2),
    }
    load_ok = load["seconds"] <= args.load_budget_s and load["modelRssMB"] <= args.rss_budget_mb
    p99 = speed["model_predict"]["p99"]
    lines = [
        {
            "scenario": "intents-load",
            **common,
            **load,
            "budgetSeconds": args.load_budget_s,
            "budgetRssMB": args.rss_budget_mb,
            "ok": load_ok,
        },
        {
            "scenario": "intents-per-message",
            **common,
            "messages": args.messages,
            "distinctMessages": len(MESSAGES),
            "cpu": speed["cpu"],
            "blasThreads": speed["threads"],
            "ms": {k: speed[k] for k in ("lookup", "predict", "model_predict", "analyse")},
            "budgetP99Ms": args.p99_budget_ms,
            "ok": p99 <= args.p99_budget_ms,
        },
    ]

    print(
        f"intent model {load['model']} ({load['modelFileMB']} MB): loaded in {load['seconds']} s "
        f"(imports {load['importSeconds']['numpyTokenizers']} + "
        f"{load['importSeconds']['intents']} s, model {load['modelSeconds']} s)"
    )
    print(
        f"resident: +{load['rssMB']} MB in all (numpy + tokenizers "
        f"+{load['importRssMB']['numpyTokenizers']} MB, livechat.ai.intents "
        f"+{load['importRssMB']['intents']} MB, model +{load['modelRssMB']} MB)"
    )
    print(
        f"{args.messages} calls each on CPU {cpu}, 1 BLAS thread "
        f"(host: {common['hostCpus']} CPUs, load {common['load1']})"
    )
    print(
        f"{'call':<24} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7} {'CPU s/1k':>9}"
        f" {'CPU p99':>8}"
    )
    labels = {
        "lookup": "intents.model()",
        "predict": "predict (held model)",
        "model_predict": "model().predict",
        "analyse": "analyse()",
    }
    for key, label in labels.items():
        s = speed[key]
        print(
            f"{label:<24} {s['p50']:>7.3f} {s['p95']:>7.3f} {s['p99']:>7.3f} {s['max']:>7.3f} "
            f"{s['cpuSecondsPer1000']:>9.3f} {s['cpuP99']:>8.3f}"
        )
    print(
        f"load {load['seconds']} s / {args.load_budget_s:g} s, model {load['modelRssMB']} MB / "
        f"{args.rss_budget_mb:g} MB: {'within' if load_ok else 'OVER'}"
    )
    verdict = "within" if lines[1]["ok"] else "OVER"
    print(f"model().predict p99 {p99:.3f} ms: {verdict} the {args.p99_budget_ms:g} ms budget")
    if args.out:
        with args.out.open("a") as f:
            for line in lines:
                f.write(json.dumps(line) + "\n")
    return 0 if all(line["ok"] for line in lines) else 1


if __name__ == "__main__":
    sys.exit(main())

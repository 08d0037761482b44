"""Scoring of the hand-written hold-out sets (``tests/data/holdout_*.jsonl``): one home for the
row schema, the scores and the report, shared by every hold-out test."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from livechat.ai.analysis import INTENTS, LANGUAGES, Analysis, analyse
from livechat.ai.banking77 import COARSE, LABELS
from livechat.ai.policy import RULES, Decision, decide

DATA = Path(__file__).resolve().parent.parent / "data"
KINDS = (
    "plain",
    "negation",
    "typo",
    "long_angry",
    "mixed_language",
    "sarcasm",
    "fraud",
    "account_takeover",
    "legal_threat",
    "human_request",
    "out_of_scope",
)
PRIORITIES = ("URGENT", "HIGH", "MEDIUM")
SECURITY_KINDS = frozenset({"fraud", "account_takeover"})
KEYS = {"text", "language", "intent", "intentDetail", "escalate", "rule", "priority", "kind"}


@dataclass(frozen=True)
class Scored:
    row: dict[str, Any]
    analysis: Analysis
    decision: Decision


def load(name: str) -> list[dict[str, Any]]:
    with (DATA / name).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def check_row(row: dict[str, Any]) -> None:
    """Assert one row follows the schema and the labelling rules every set shares."""
    assert set(row) == KEYS, row
    assert row["text"].strip(), row
    assert row["language"] in LANGUAGES, row
    assert row["intent"] in INTENTS, row
    assert row["intentDetail"] is None or row["intentDetail"] in LABELS, row
    if row["intentDetail"] is not None and row["intent"] != "human_request":
        assert COARSE[row["intentDetail"]] == row["intent"], row
    assert row["kind"] in KINDS, row
    assert row["rule"] in (*RULES, None), row
    assert row["escalate"] == (row["rule"] is not None), row
    assert (row["priority"] in PRIORITIES) == row["escalate"], row
    if row["kind"] in SECURITY_KINDS:
        assert (row["rule"], row["priority"]) == ("priority_keyword", "URGENT"), row
    if row["kind"] == "human_request":
        assert (row["rule"], row["priority"]) == ("human_request", "MEDIUM"), row
    if row["kind"] == "negation":
        assert row["rule"] != "human_request", row


def score(rows: list[dict[str, Any]]) -> tuple[Scored, ...]:
    out = []
    for row in rows:
        a = analyse(row["text"])
        out.append(Scored(row, a, decide(a, unresolved_tickets=0)))
    return tuple(out)


def _share(hits: int, total: int) -> float:
    return hits / total if total else 1.0


def _urgent(s: Scored) -> bool:
    return s.decision.escalate and s.decision.priority == "URGENT"


def security_misses(scored: tuple[Scored, ...]) -> list[str]:
    """Fraud and takeover reports that did not go to a person as URGENT."""
    return [s.row["text"] for s in scored if s.row["kind"] in SECURITY_KINDS and not _urgent(s)]


def false_urgent(scored: tuple[Scored, ...]) -> list[str]:
    """Messages a support lead would not put first that went to the front of the queue."""
    return [s.row["text"] for s in scored if s.row["priority"] != "URGENT" and _urgent(s)]


def negation_misses(scored: tuple[Scored, ...]) -> list[str]:
    """Negated or counterfactual requests for a person that escalated as a request."""
    return [
        s.row["text"]
        for s in scored
        if s.row["kind"] == "negation" and s.decision.rule == "human_request"
    ]


def metrics(scored: tuple[Scored, ...]) -> dict[str, Any]:
    m: dict[str, Any] = {}
    esc = [s for s in scored if s.row["escalate"]]
    detailed = [s for s in scored if s.row["intentDetail"] is not None]
    security = [s for s in scored if s.row["kind"] in SECURITY_KINDS]
    negated = [s for s in scored if s.row["kind"] == "negation"]
    m["escalation"] = _share(
        sum(s.decision.escalate == s.row["escalate"] for s in scored), len(scored)
    )
    m["rule"] = _share(sum(s.decision.rule == s.row["rule"] for s in esc), len(esc))
    m["priority"] = _share(
        sum(s.decision.escalate and s.decision.priority == s.row["priority"] for s in esc),
        len(esc),
    )
    m["intent"] = _share(sum(s.analysis.intent == s.row["intent"] for s in scored), len(scored))
    m["intent_detail"] = _share(
        sum(s.analysis.intent_detail == s.row["intentDetail"] for s in detailed), len(detailed)
    )
    m["language_detected"] = _share(
        sum(s.analysis.language == s.row["language"] for s in scored), len(scored)
    )
    m["fraud_urgent"] = _share(len(security) - len(security_misses(scored)), len(security))
    m["false_urgent"] = len(false_urgent(scored))
    m["negation_not_escalated"] = _share(
        sum(s.decision.rule != "human_request" for s in negated), len(negated)
    )
    by_lang: dict[str, list[Scored]] = defaultdict(list)
    for s in scored:
        by_lang[s.row["language"]].append(s)
    m["per_language"] = {
        lang: {
            "rows": len(group),
            "intent": _share(sum(s.analysis.intent == s.row["intent"] for s in group), len(group)),
            "escalation": _share(
                sum(s.decision.escalate == s.row["escalate"] for s in group), len(group)
            ),
            "fraud_urgent": _share(
                sum(_urgent(s) for s in group if s.row["kind"] in SECURITY_KINDS),
                sum(s.row["kind"] in SECURITY_KINDS for s in group),
            ),
        }
        for lang, group in sorted(by_lang.items())
    }
    return m


def miss_lines(scored: tuple[Scored, ...]) -> list[str]:
    lines = []
    for s in scored:
        r, a, d = s.row, s.analysis, s.decision
        want = (r["escalate"], r["rule"], r["priority"], r["intent"], r["intentDetail"])
        got = (d.escalate, d.rule, d.priority if d.escalate else None, a.intent, a.intent_detail)
        if r["intentDetail"] is None:
            got = (*got[:4], None)  # no detail wanted: whatever the model guessed is not a miss
        if want != got:
            lines.append(
                f"  [{r['language']}/{r['kind']}] {r['text'][:90]!r}\n"
                f"    want esc={want[0]} rule={want[1]} prio={want[2]} "
                f"intent={want[3]} detail={want[4]}\n"
                f"    got  esc={d.escalate} rule={d.rule} prio={d.priority} "
                f"intent={a.intent} detail={a.intent_detail} ({a.confidence:.2f})"
            )
    return lines


def report(name: str, scored: tuple[Scored, ...], m: dict[str, Any]) -> None:
    print(f"\nhold-out {name}: {len(scored)} rows")
    for key, value in m.items():
        if key != "per_language":
            print(
                f"  {key:24s} {value:.3f}" if isinstance(value, float) else f"  {key:24s} {value}"
            )
    print("  per language: rows, intent / escalation / fraud URGENT")
    for lang, v in m["per_language"].items():
        print(
            f"    {lang}: {v['rows']:3d}, {v['intent']:.3f} / {v['escalation']:.3f} / "
            f"{v['fraud_urgent']:.3f}"
        )
    misses = miss_lines(scored)
    print(f"misses ({len(misses)}):")
    print("\n".join(misses))

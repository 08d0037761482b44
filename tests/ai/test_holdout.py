"""The analysers and the policy against a hold-out set written after the intent model (issue 19).

``tests/data/holdout_2026_12.jsonl`` was written by hand once the model was built, without looking
at the training data or the older eval set, and labelled with what a support lead would want, not
with what the system answers. The floors below sit a few points under the figures measured on the
first run; the two issue-19 requirements (fraud and account takeover escalate URGENT, a negated
request for a person never escalates as one) are hard, whatever was measured.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from livechat.ai.analysis import INTENTS, LANGUAGES, Analysis, analyse
from livechat.ai.banking77 import COARSE, LABELS
from livechat.ai.policy import RULES, Decision, decide

HOLDOUT = Path(__file__).resolve().parent.parent / "data" / "holdout_2026_12.jsonl"

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

# Measured on the first run (see the commit message); each floor a few points under, rounded down.
# That run used an earlier build of the model (d243d14). The shipped one, with a 0.6 confidence bar
# for model-only URGENT and "someone stole it" as the stolen keyword (a miss this set found), measures
# escalation 0.954, rule 0.877, priority 0.877, intent 0.831, intent_detail 0.718, fraud_urgent
# 0.909 (30/33). With data/security.csv, account_takeover and the summed fraud confidence
# (issue 19): escalation 0.969, rule 0.904, priority 0.904, intent 0.882, intent_detail 0.755,
# fraud_urgent 0.970 (32/33; the one left is in the xfail below). Floors unchanged.
FLOORS = {
    "escalation": 0.91,  # measured 0.954
    "rule": 0.83,  # 0.877, on the rows that should escalate
    "priority": 0.82,  # 0.863, on the rows that should escalate
    "intent": 0.79,  # 0.836
    "intent_detail": 0.71,  # 0.748, on the rows that have a BANKING77 label
    "language_detected": 0.95,  # 0.990
    # 0.879: the hard requirement below is 1.0 and xfails; this keeps it from sliding further.
    "fraud_urgent": 0.84,
    "negation_not_escalated": 0.95,  # 1.000
}
LANGUAGE_FLOORS: dict[str, tuple[float, float]] = {  # language -> (intent, escalation)
    "en": (0.82, 0.92),  # measured 0.864 / 0.964 (110 rows)
    "es": (0.90, 0.95),  # 0.941 / 1.000 (17 rows: one row is 5.9 points)
    "fr": (0.84, 0.84),  # 0.882 / 0.882
    "de": (0.72, 0.95),  # 0.765 / 1.000
    "pt": (0.66, 0.84),  # 0.706 / 0.882
    "it": (0.66, 0.90),  # 0.706 / 0.941
}


def _rows() -> list[dict[str, Any]]:
    with HOLDOUT.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@dataclass(frozen=True)
class Scored:
    row: dict[str, Any]
    analysis: Analysis
    decision: Decision


@cache
def _scored() -> tuple[Scored, ...]:
    out = []
    for row in _rows():
        a = analyse(row["text"])
        out.append(Scored(row, a, decide(a, unresolved_tickets=0)))
    return tuple(out)


def _share(hits: int, total: int) -> float:
    return hits / total if total else 1.0


def _metrics() -> dict[str, Any]:
    scored = _scored()
    m: dict[str, Any] = {}
    esc = [s for s in scored if s.row["escalate"]]
    detailed = [s for s in scored if s.row["intentDetail"] is not None]
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
    m["fraud_urgent"] = _share(len(scored_fraud()) - len(_fraud_misses()), len(scored_fraud()))
    negated = [s for s in scored if s.row["kind"] == "negation"]
    m["negation_not_escalated"] = _share(
        sum(not s.decision.escalate for s in negated), len(negated)
    )
    by_lang: dict[str, list[Scored]] = defaultdict(list)
    for s in scored:
        by_lang[s.row["language"]].append(s)
    m["per_language"] = {
        lang: (
            _share(sum(s.analysis.intent == s.row["intent"] for s in group), len(group)),
            _share(sum(s.decision.escalate == s.row["escalate"] for s in group), len(group)),
            len(group),
        )
        for lang, group in sorted(by_lang.items())
    }
    return m


def scored_fraud() -> list[Scored]:
    return [s for s in _scored() if s.row["kind"] in {"fraud", "account_takeover"}]


def _fraud_misses() -> list[str]:
    return [
        s.row["text"]
        for s in scored_fraud()
        if not (s.decision.escalate and s.decision.priority == "URGENT")
    ]


def _negation_misses() -> list[str]:
    return [
        s.row["text"]
        for s in _scored()
        if s.row["kind"] == "negation" and s.decision.rule == "human_request"
    ]


def _miss_lines() -> list[str]:
    lines = []
    for s in _scored():
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


def _report(m: dict[str, Any]) -> None:
    print(f"\nhold-out {HOLDOUT.name}: {len(_scored())} rows")
    for key in (
        "escalation",
        "rule",
        "priority",
        "intent",
        "intent_detail",
        "language_detected",
        "fraud_urgent",
        "negation_not_escalated",
    ):
        print(f"  {key:24s} {m[key]:.3f}")
    print("  per language: intent / escalation (rows)")
    for lang, (intent, esc, n) in m["per_language"].items():
        print(f"    {lang}: {intent:.3f} / {esc:.3f} ({n})")
    misses = _miss_lines()
    print(f"misses ({len(misses)}):")
    print("\n".join(misses))


def test_holdout_is_well_formed() -> None:
    rows = _rows()
    assert len(rows) >= 150
    for row in rows:
        assert set(row) == {
            "text",
            "language",
            "intent",
            "intentDetail",
            "escalate",
            "rule",
            "priority",
            "kind",
        }, row
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
        assert row["escalate"] or row["priority"] is None, row
        if row["kind"] in {"fraud", "account_takeover"}:
            assert (row["rule"], row["priority"]) == ("priority_keyword", "URGENT"), row
        if row["kind"] == "human_request":
            assert (row["rule"], row["priority"]) == ("human_request", "MEDIUM"), row
        if row["kind"] == "negation":
            assert row["rule"] != "human_request", row
    texts = [r["text"] for r in rows]
    assert len(set(texts)) == len(texts), "duplicate texts"
    per_language: dict[str, int] = defaultdict(int)
    for row in rows:
        per_language[row["language"]] += 1
    assert set(per_language) == set(LANGUAGES)
    assert all(n >= 15 for n in per_language.values()), per_language
    english = {r["intentDetail"] for r in rows if r["language"] == "en"} - {None}
    assert len(english) >= 40


def test_holdout_meets_floors() -> None:
    m = _metrics()
    _report(m)
    for key, floor in FLOORS.items():
        assert m[key] >= floor, f"{key} {m[key]:.3f} < floor {floor}"
    for lang, (intent_floor, esc_floor) in LANGUAGE_FLOORS.items():
        intent, esc, _ = m["per_language"][lang]
        assert intent >= intent_floor, f"{lang} intent {intent:.3f} < floor {intent_floor}"
        assert esc >= esc_floor, f"{lang} escalation {esc:.3f} < floor {esc_floor}"


@pytest.mark.xfail(
    strict=True,
    reason="issue 19: 1 of 33 fraud/takeover reports misses URGENT ('sombody used my card': the "
    "typo hides it from the keyword rules and the model); 3 before the security training data",
)
def test_every_fraud_or_takeover_report_escalates_urgent() -> None:
    assert _fraud_misses() == []


def test_negated_human_request_never_escalates_as_one() -> None:
    assert _negation_misses() == []

"""The analysers and the policy on a hold-out set written after the intent model was built.

`tests/data/holdout_2026_12_a.jsonl` was written by hand once the model existed, from nothing the
model or the rules were trained or tuned on: plain questions over many of the 77 intents,
negations, typos, sarcasm, long angry messages, mixed languages, fraud and account-takeover
reports without the word fraud, legal threats, and messages outside banking, in six languages.
First measured (61 rows, before any fix): escalation decision 0.934, rule 0.857 and priority
0.857 on the 28 escalating rows, coarse intent 0.885, intentDetail 0.825 on 40 rows. Four
fraud/takeover reports did not escalate (a new phone logging in; "que no reconozco", "que je
n'ai pas fait", "que eu não fiz"): the keyword rules now know those phrasings, so the set is no
longer blind to those four and today's figures (1.0 on escalation) flatter the product. The
floors sit a few points under the first measurement; the two hard requirements are exact.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from livechat.ai.analysis import INTENTS, LANGUAGES, analyse
from livechat.ai.banking77 import LABELS
from livechat.ai.policy import RULES, decide
from tests.ai.holdout import KINDS  # the one list of row kinds

HOLDOUT = Path(__file__).resolve().parent.parent / "data" / "holdout_2026_12_a.jsonl"


def _rows() -> list[dict[str, Any]]:
    with HOLDOUT.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _scored() -> list[tuple[dict[str, Any], Any, Any]]:
    rows = _rows()
    return [(r, a, decide(a, unresolved_tickets=0)) for r in rows for a in [analyse(r["text"])]]


def test_holdout_is_well_formed() -> None:
    rows = _rows()
    assert len(rows) >= 60
    for row in rows:
        assert row["intent"] in INTENTS and row["language"] in LANGUAGES, row
        assert row["intentDetail"] in (*LABELS, None), row
        assert row["rule"] in (*RULES, None) and row["kind"] in KINDS, row
        assert row["escalate"] == (row["rule"] is not None) == (row["priority"] is not None), row
    per_language = defaultdict(int)
    for row in rows:
        per_language[row["language"]] += 1
    assert all(per_language[lang] >= 4 for lang in LANGUAGES), per_language


def test_holdout_meets_floors() -> None:
    scored = _scored()
    n = len(scored)
    escalating = [(r, a, d) for r, a, d in scored if r["escalate"]]
    detailed = [(r, a, d) for r, a, d in scored if r["intentDetail"]]
    escalation = sum(d.escalate == r["escalate"] for r, _, d in scored) / n
    rule = sum(d.rule == r["rule"] for r, _, d in escalating) / len(escalating)
    priority = sum(d.priority == r["priority"] for r, _, d in escalating) / len(escalating)
    intent = sum(a.intent == r["intent"] for r, a, _ in scored) / n
    detail = sum(a.intent_detail == r["intentDetail"] for r, a, _ in detailed) / len(detailed)
    lines = [
        f"hold-out: {n} messages, {len(escalating)} should escalate",
        f"  escalation decision {escalation:.3f}, rule {rule:.3f}, priority {priority:.3f}",
        f"  coarse intent {intent:.3f}, intentDetail {detail:.3f} on {len(detailed)} rows",
    ]
    for lang in LANGUAGES:
        mine = [(r, a, d) for r, a, d in scored if r["language"] == lang]
        lines.append(
            f"  {lang}: {len(mine)} rows, intent "
            f"{sum(a.intent == r['intent'] for r, a, _ in mine) / len(mine):.2f}, escalation "
            f"{sum(d.escalate == r['escalate'] for r, _, d in mine) / len(mine):.2f}"
        )
    misses = [
        f"  {r['text'][:70]!r}: want {r['intent']}/{r['intentDetail']}/{r['rule']}/"
        f"{r['priority']}, got {a.intent}/{a.intent_detail} ({a.confidence:.2f})/{d.rule}/"
        f"{d.priority if d.escalate else None}"
        for r, a, d in scored
        if (a.intent, d.rule) != (r["intent"], r["rule"])
        or (r["intentDetail"] and a.intent_detail != r["intentDetail"])
    ]
    print("\n" + "\n".join(lines) + f"\nmisses ({len(misses)}):\n" + "\n".join(misses))
    assert escalation >= FLOORS["escalation"]
    assert rule >= FLOORS["rule"]
    assert priority >= FLOORS["priority"]
    assert intent >= FLOORS["intent"]
    assert detail >= FLOORS["detail"]


def test_fraud_and_takeover_reports_escalate_urgent() -> None:
    wrong = [
        (r["text"], a.intent_detail, a.confidence, d.priority)
        for r, a, d in _scored()
        if r["kind"] in {"fraud", "account_takeover"} and r["priority"] == "URGENT"
        if not (d.escalate and d.priority == "URGENT")
    ]
    assert wrong == []


def test_negated_requests_for_a_person_do_not_escalate_as_one() -> None:
    wrong = [
        r["text"]
        for r, a, d in _scored()
        if r["kind"] == "negation" and (a.human_request or d.rule == "human_request")
    ]
    assert wrong == []


FLOORS = {"escalation": 0.9, "rule": 0.8, "priority": 0.8, "intent": 0.85, "detail": 0.78}

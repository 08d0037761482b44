"""The analysers and the policy against a hold-out set written after the intent model (issue 19).

``tests/data/holdout_2026_12.jsonl`` was written by hand once the model was built, without looking
at the training data or the older eval set, and labelled with what a support lead would want, not
with what the system answers. The floors below sit a few points under the figures measured on the
first run; the two issue-19 requirements (fraud and account takeover escalate URGENT, a negated
request for a person never escalates as one) are hard, whatever was measured.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache

from tests.ai import holdout

NAME = "holdout_2026_12.jsonl"

# Measured on the first run (see the commit message); each floor a few points under, rounded down.
# That run used an earlier build of the model (d243d14). The shipped one, with a 0.6 confidence bar
# for model-only URGENT and "someone stole it" as the stolen keyword (a miss this set found), measured
# escalation 0.954, rule 0.877, priority 0.877, intent 0.831, intent_detail 0.718, fraud_urgent
# 0.909 (30/33). The fraud and takeover rules of lexicon_security (disowned payments, someone else
# using the card or changing the password, e-mail or phone number, unknown log-ins, SIM swaps) and
# typo tolerance for their words (livechat.ai.typos) measure escalation 0.969, rule 0.918, priority
# 0.918, intent 0.846, intent_detail 0.718, fraud_urgent 1.000 (33/33).
FLOORS = {
    "escalation": 0.93,  # measured 0.969
    "rule": 0.88,  # 0.918, on the rows that should escalate
    "priority": 0.88,  # 0.918, on the rows that should escalate
    "intent": 0.80,  # 0.846
    "intent_detail": 0.71,  # 0.718, on the rows that have a BANKING77 label
    "language_detected": 0.95,  # 0.990
    # 1.000: the hard requirement below is exact; this floor is the one in the printed report.
    "fraud_urgent": 0.96,
    "negation_not_escalated": 0.95,  # 1.000
}
LANGUAGE_FLOORS: dict[str, tuple[float, float]] = {  # language -> (intent, escalation)
    "en": (0.83, 0.94),  # measured 0.873 / 0.982 (110 rows)
    "es": (0.90, 0.95),  # 0.941 / 1.000 (17 rows: one row is 5.9 points)
    "fr": (0.84, 0.84),  # 0.882 / 0.882
    "de": (0.72, 0.95),  # 0.765 / 1.000
    "pt": (0.72, 0.90),  # 0.765 / 0.941
    "it": (0.66, 0.90),  # 0.706 / 0.941
}


@cache
def _scored() -> tuple[holdout.Scored, ...]:
    return holdout.score(holdout.load(NAME))


def test_holdout_is_well_formed() -> None:
    rows = holdout.load(NAME)
    assert len(rows) >= 150
    for row in rows:
        holdout.check_row(row)
    texts = [r["text"] for r in rows]
    assert len(set(texts)) == len(texts), "duplicate texts"
    per_language: dict[str, int] = defaultdict(int)
    for row in rows:
        per_language[row["language"]] += 1
    assert all(n >= 15 for n in per_language.values()) and len(per_language) == 6, per_language
    english = {r["intentDetail"] for r in rows if r["language"] == "en"} - {None}
    assert len(english) >= 40


def test_holdout_meets_floors() -> None:
    m = holdout.metrics(_scored())
    holdout.report(NAME, _scored(), m)
    for key, floor in FLOORS.items():
        assert m[key] >= floor, f"{key} {m[key]:.3f} < floor {floor}"
    for lang, (intent_floor, esc_floor) in LANGUAGE_FLOORS.items():
        got = m["per_language"][lang]
        assert got["intent"] >= intent_floor, f"{lang} intent {got['intent']:.3f} < {intent_floor}"
        assert got["escalation"] >= esc_floor, f"{lang} escalation {got['escalation']:.3f}"


def test_every_fraud_or_takeover_report_escalates_urgent() -> None:
    assert holdout.security_misses(_scored()) == []


def test_negated_human_request_never_escalates_as_one() -> None:
    assert holdout.negation_misses(_scored()) == []

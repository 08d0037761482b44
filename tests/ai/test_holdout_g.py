"""Hold-out G: calm banking questions in five languages, for the 77 labels (issue 19's languages).

``holdout_2026_12_g.jsonl`` (230 rows: 40 labelled questions and 2 out of banking in each of es,
fr, de, pt and it, and 20 English questions; no reports, threats or requests for a person, so
nothing in it should escalate). Written on 2026-12-07 (fifth sitting), after the glossary model
was built, by an author who saw only the label names and BANKING77's English training rows, and
who neither ran the classifier nor read any other hold-out or training file. Its texts have not
been read since: the rows that escalated were looked at as labels only.

Scored once with the model before the glossary (1913997) and once with the glossary (afe5243):
intent 0.939 -> 0.965, intentDetail 0.841 -> 0.932 (fr 0.725 -> 0.925, es 0.85 -> 0.95, it 0.85
-> 1.0, de 0.90 -> 0.925, pt 0.90 -> 0.90, en 0.80 -> 0.85); rows escalated by mistake 1 -> 4
(three Portuguese questions sent URGENT by the model's fraud reading, one German message outside
banking read as a lost phone). Floors sit a few points under the second scoring.
"""

from __future__ import annotations

from collections import Counter
from functools import cache

import pytest

from tests.ai import holdout

NAME = "holdout_2026_12_g.jsonl"
FLOORS = {"intent": 0.93, "intent_detail": 0.89}
LANGUAGE_DETAIL_FLOORS = {"de": 0.87, "en": 0.80, "es": 0.90, "fr": 0.87, "it": 0.93, "pt": 0.85}
MOST_ESCALATED = 5


@cache
def _scored() -> tuple[holdout.Scored, ...]:
    return holdout.score(holdout.load(NAME))


def test_set_is_well_formed() -> None:
    rows = holdout.load(NAME)
    for row in rows:
        holdout.check_row(row)
        assert row["escalate"] is False and row["kind"] in {"plain", "typo", "out_of_scope"}
    assert len({r["text"] for r in rows}) == len(rows) == 230
    assert Counter(r["language"] for r in rows) == {
        "es": 42,
        "fr": 42,
        "de": 42,
        "pt": 42,
        "it": 42,
        "en": 20,
    }


def test_set_meets_floors() -> None:
    scored = _scored()
    m = holdout.metrics(scored)
    holdout.report(NAME, scored, m)
    for key, floor in FLOORS.items():
        assert m[key] >= floor, f"{key} {m[key]:.3f} < floor {floor}"
    escalated = [s.row["language"] for s in scored if s.decision.escalate]
    assert len(escalated) <= MOST_ESCALATED, escalated


@pytest.mark.parametrize("language", sorted(LANGUAGE_DETAIL_FLOORS))
def test_each_language_gets_its_label(language: str) -> None:
    rows = [s for s in _scored() if s.row["language"] == language and s.row["intentDetail"]]
    right = sum(s.analysis.intent_detail == s.row["intentDetail"] for s in rows)
    assert right / len(rows) >= LANGUAGE_DETAIL_FLOORS[language], f"{right}/{len(rows)}"

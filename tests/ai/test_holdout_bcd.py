"""Eight more hold-outs for issue 19, each written by an independent author who saw the label
vocabularies only (not the model, its data, the rules or the older sets), each with many fraud
and account-takeover reports in the customers' own words, in six languages: B and C on
2026-12-06, D, E, F and H on 2026-12-07, I and J on 2026-12-08.

- ``holdout_2026_12_b.jsonl`` (200 rows). First scored at 196715a: escalation 0.775, intent
  0.735, fraud/takeover URGENT 25/57 (0.44). It then became the **development set** of the
  security training data (livechat/ai/data/security.csv): its figures flatter the product.
- ``holdout_2026_12_c.jsonl`` (150 rows) has never been used to change anything: **the honest
  figure**. First scored at 196715a: escalation 0.640, intent 0.613, URGENT 16/62 (0.26).
  Then (the rules of lexicon_security and typos, the account_takeover class and security.csv):
  escalation 0.800, intent 0.867, URGENT 41/62 (0.66), 4 of 83 other messages URGENT by mistake.
  With the model's security guard (intents.py; its bars chosen by cross-validation, its new
  look-alike rows written from set B's and the first set's mistakes, and theft words found in
  B): escalation 0.847, intent 0.860, URGENT 49/62 (0.79), 5 of 83. C's figures were read
  after that work, not during it; the guard's false URGENTs on C were looked at once, to write
  the docs. On 2026-12-07 (a summed guard reading, 270 more training rows, denied and supposed
  keywords, alibis; none of it read C): escalation 0.913, intent 0.907, URGENT 57/62 (0.92),
  1 of 88 other messages URGENT by mistake.
- ``holdout_2026_12_d.jsonl`` (220 rows, 90 reports) was written on 2026-12-07 before that
  day's changes and sealed until they were done: scored once, then kept as **the honest
  figure**. The model of 2026-12-06 (7de3947) on it: escalation 0.809, intent 0.805, URGENT
  76/90 (0.84), 13 of 130 other messages URGENT by mistake (10 denied or supposed reports).
  The model of 2026-12-07: escalation 0.850, intent 0.827, URGENT 81/90 (0.90), 9 of 130.

- ``holdout_2026_12_e.jsonl`` (180 rows, 90 reports, 15 in each language) was written on
  2026-12-07 (third sitting) by an author who saw only the label vocabularies and the row
  schema, while 240 security rows were added to the training data; sealed until then, scored
  with the model before and after that change only (counts, never its texts). Before:
  escalation 0.861, intent 0.822, URGENT 85/90 (0.94), 7 of 90 other messages URGENT by
  mistake. After: escalation 0.889, intent 0.839, URGENT 88/90 (0.98), 7 of 90.
- ``holdout_2026_12_f.jsonl`` (180 rows, 90 reports, 15 in each language) was written on
  2026-12-07 (fourth sitting) the same way, while 240 more security rows (reports buried in
  another topic, with no report word) were written for the training data; sealed, and scored
  before and after that change only (counts). Before: escalation 0.917, intent 0.750, URGENT
  81/90 (0.90), 10 of 90 other messages URGENT by mistake. After: escalation 0.922, intent
  0.778, URGENT 81/90, 9 of 90. On the older sets the change moved C to 58/62, D to 83/90
  (9 false), E to 88/90 (6 false).
- The glossary (fifth sitting, 2026-12-07; English glosses of es/fr/de/pt/it words read beside
  the message), scored before and after only, as counts: intent B 0.870 -> 0.915, C 0.907 ->
  0.947, D 0.841 -> 0.855, E 0.844 -> 0.894, F 0.778 -> 0.772; URGENT E 88 -> 87/90, F 81 ->
  82/90; false URGENT C 1 -> 2, E 6 -> 4, F 9 -> 11. The intent floors rose with it.

- ``holdout_2026_12_h.jsonl`` (180 rows, 90 reports, 15 in each language) was written on
  2026-12-07 (eighth sitting) the same way, by an author who saw only the label vocabularies and
  the row schema, while theft words (lexicon "stolen"), 660 more security rows (65 reports and
  45 look-alikes in each language) and two guard bars chosen by cross-validation
  (intents.GUARD_OVERRULES 0.8 -> 0.75, policy.AGREEING_GUARD) were added; sealed, and scored
  after each change only (counts). URGENT 83/90 with 10 false at a7ae94c; 87/90 (10) with the
  theft words; 87/90 (6) with the rows; 88/90 (6) with the bars. The same changes moved C 58 ->
  59/62 (false 2 -> 2), D 83 -> 86/90 (9 -> 9), E 87 -> 89/90 (4 -> 4), F 82 -> 85/90 (11 ->
  8): every report URGENT but 15 of 422 across the five sealed sets, against 22 of 332 before.
  Then fears taken back and the "none" words of the other languages (lexicon.KEYWORD_FEARED,
  KEYWORD_NEGATION), written from examples of my own: D's false URGENTs 9 -> 7. Then 240 angry
  rows (long complaints about the bank itself, and angry reports): false URGENTs D 7 -> 3, E 4 ->
  3, F 8 -> 1, H 6 -> 3, no report lost on the sealed sets (B 56 -> 55). Then the complaint head
  (policy negative_complex) and the guard's bar at 0.45, both by cross-validation: escalation C
  0.913 -> 0.920, D 0.868 -> 0.895, E 0.911 -> 0.933, F 0.900 -> 0.933, H 0.867 -> 0.906; false
  URGENTs F 1 -> 2, H 3 -> 4.

- ``holdout_2026_12_i.jsonl`` (180 rows, 90 reports, 15 in each language) was written on
  2026-12-08 (tenth sitting) the same way, by an author who saw only the label vocabularies and
  the row schema, before the guard got a word block of its own (every row's words, and negation
  marks) and its bar moved 0.45 -> 0.4 by cross-validation; sealed, scored before and after
  only (counts). Before (1ac8be8): escalation 0.872, intent 0.778, URGENT 85/90, 4 of 90 other
  messages URGENT by mistake. After: 0.878, 0.783, 86/90, 4 (the same with the block's rare
  n-grams pruned, scored a third time as the shipped model). The same change moved the older
  sets' false URGENTs D 3 -> 4, E 3 -> 1, H 4 -> 3, B 2 -> 3 (no report lost or won there).
  Then the label its misses were read as (``card_arrival``, no text) set the topic of 180 more
  security rows (reports of a card, code, loan, device or payee nobody asked for, and their
  look-alikes): I has been **used for development** since; 86 -> 88/90, false 4 -> 4.
- ``holdout_2026_12_j.jsonl`` (180 rows, 90 reports, 15 in each language) was written on
  2026-12-08 (tenth sitting) by a sixth author from the same brief as I, while those 180 rows
  were written; sealed, scored before and after them only (counts): escalation 0.872 -> 0.883,
  intent 0.833 -> 0.833, URGENT 86 -> 87/90, false URGENT 5 -> 4. The rows moved the older
  sets' false URGENTs E 1 -> 2, F 2 -> 1, and no report there. **J is the honest figure.**

Issue 19 asks for every report; the xfails below keep that open.

Floors sit a few points under what was measured, so neither set can slide back unnoticed.
"""

from __future__ import annotations

from functools import cache

import pytest

from tests.ai import holdout

# Per set: the floors of escalation, intent, fraud_urgent and negation_not_escalated, and the most
# other messages that may go URGENT by mistake. Measured (same order, then the false URGENTs):
# B 0.915 0.900 0.965 0.967 3; C 0.920 0.933 0.952 1.000 2; D 0.905 0.877 0.956 0.969 4;
# E 0.933 0.900 0.989 1.000 2; F 0.933 0.811 0.944 1.000 1; H 0.911 0.861 0.978 1.000 3;
# I 0.894 0.789 0.978 1.000 4; J 0.883 0.833 0.967 1.000 4.
FLOOR_KEYS = ("escalation", "intent", "fraud_urgent", "negation_not_escalated")
FLOORS_AND_MOST_FALSE_URGENT = {
    "holdout_2026_12_b.jsonl": ((0.88, 0.88, 0.93, 0.93), 4),
    "holdout_2026_12_c.jsonl": ((0.89, 0.91, 0.91, 0.95), 3),
    "holdout_2026_12_d.jsonl": ((0.86, 0.85, 0.91, 0.93), 5),
    "holdout_2026_12_e.jsonl": ((0.90, 0.87, 0.95, 0.95), 5),
    "holdout_2026_12_f.jsonl": ((0.90, 0.78, 0.91, 0.95), 4),
    "holdout_2026_12_h.jsonl": ((0.87, 0.82, 0.94, 0.95), 6),
    "holdout_2026_12_i.jsonl": ((0.85, 0.75, 0.93, 0.95), 6),
    "holdout_2026_12_j.jsonl": ((0.85, 0.80, 0.93, 0.95), 7),
}
SETS = sorted(FLOORS_AND_MOST_FALSE_URGENT)


@cache
def _scored(name: str) -> tuple[holdout.Scored, ...]:
    return holdout.score(holdout.load(name))


@pytest.mark.parametrize("name", SETS)
def test_set_is_well_formed(name: str) -> None:
    rows = holdout.load(name)
    assert len(rows) >= 150
    for row in rows:
        holdout.check_row(row)
    assert len({r["text"] for r in rows}) == len(rows), "duplicate texts"
    security = [r for r in rows if r["kind"] in holdout.SECURITY_KINDS]
    assert len(security) >= 50
    assert {r["language"] for r in security} == {"en", "es", "fr", "de", "pt", "it"}


@pytest.mark.parametrize("name", SETS)
def test_set_meets_floors(name: str) -> None:
    scored = _scored(name)
    m = holdout.metrics(scored)
    holdout.report(name, scored, m)
    floors, most_false_urgent = FLOORS_AND_MOST_FALSE_URGENT[name]
    for key, floor in zip(FLOOR_KEYS, floors, strict=True):
        assert m[key] >= floor, f"{name}: {key} {m[key]:.3f} < floor {floor}"
    assert m["false_urgent"] <= most_false_urgent, holdout.false_urgent(scored)


@pytest.mark.xfail(
    strict=True,
    reason="issue 19: fraud/takeover reports miss URGENT: 3 of 62 of C, 4 of 90 of D, 1 of 90"
    " of E, 5 of 90 of F, 2 of 90 of H, 2 of 90 of I, 3 of 90 of J",
)
@pytest.mark.parametrize(
    "name",
    [
        "holdout_2026_12_c.jsonl",
        "holdout_2026_12_d.jsonl",
        "holdout_2026_12_e.jsonl",
        "holdout_2026_12_f.jsonl",
        "holdout_2026_12_h.jsonl",
        "holdout_2026_12_i.jsonl",
        "holdout_2026_12_j.jsonl",
    ],
)
def test_every_report_of_the_untouched_sets_escalates_urgent(name: str) -> None:
    assert holdout.security_misses(_scored(name)) == []

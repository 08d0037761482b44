"""The hand-written training data next to BANKING77: multilingual rows for the 77 intents, security
reports with their benign look-alikes, and messages outside banking. They parse, stay within the
labels and languages, cover every label in every language, and repeat neither each other nor
BANKING77."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from livechat.ai.banking77 import BANKING77_DIR, DATA_DIR, LABELS, MODEL_ONLY, SECURITY_INTENTS

MULTILINGUAL = DATA_DIR / "multilingual.csv"
OUT_OF_SCOPE = DATA_DIR / "out_of_scope.csv"
SECURITY = DATA_DIR / "security.csv"
COMPLAINTS = DATA_DIR / "complaints.csv"
LANGUAGES = ("es", "fr", "de", "pt", "it")
OUT_OF_SCOPE_LANGUAGES = ("en", *LANGUAGES)
PER_LABEL_AND_LANGUAGE = 4


def _read(path: Path, columns: list[str]) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == columns, path
        rows = list(reader)
    for row in rows:
        # A stray comma or quote shows up as an extra (None) or a missing (None) field.
        assert None not in row and None not in row.values(), row
    return rows


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


@pytest.fixture(scope="module")
def multilingual() -> list[dict[str, str]]:
    return _read(MULTILINGUAL, ["text", "category", "language"])


@pytest.fixture(scope="module")
def out_of_scope() -> list[dict[str, str]]:
    return _read(OUT_OF_SCOPE, ["text", "language"])


@pytest.fixture(scope="module")
def security() -> list[dict[str, str]]:
    return _read(SECURITY, ["text", "category", "language"])


@pytest.fixture(scope="module")
def complaints() -> list[dict[str, str]]:
    return _read(COMPLAINTS, ["text", "category", "language"])


def test_complaint_rows_use_known_classes_in_all_six_languages(
    complaints: list[dict[str, str]],
) -> None:
    assert complaints and all(r["text"].strip() for r in complaints)
    assert {r["category"] for r in complaints} <= {*LABELS, *MODEL_ONLY, "outside"}
    languages = Counter(r["language"] for r in complaints)
    assert set(languages) == set(OUT_OF_SCOPE_LANGUAGES) and min(languages.values()) >= 30


def test_security_rows_use_known_classes_and_all_six_languages(
    security: list[dict[str, str]],
) -> None:
    assert security and all(r["text"].strip() for r in security)
    assert {r["category"] for r in security} <= {*LABELS, *MODEL_ONLY, "outside"}
    assert {r["language"] for r in security} == set(OUT_OF_SCOPE_LANGUAGES)


def test_security_rows_carry_reports_and_look_alikes_in_every_language(
    security: list[dict[str, str]],
) -> None:
    for lang in OUT_OF_SCOPE_LANGUAGES:
        mine = [r for r in security if r["language"] == lang]
        reports = [r for r in mine if r["category"] in SECURITY_INTENTS]
        takeovers = [r for r in mine if r["category"] in MODEL_ONLY]
        benign = [r for r in mine if r["category"] not in SECURITY_INTENTS]
        assert len(reports) >= 40 and len(takeovers) >= 15 and len(benign) >= 15, lang


def test_every_row_has_text(
    multilingual: list[dict[str, str]], out_of_scope: list[dict[str, str]]
) -> None:
    assert multilingual and out_of_scope
    assert [r for r in [*multilingual, *out_of_scope] if not r["text"].strip()] == []


def test_multilingual_rows_use_the_banking77_labels_and_five_languages(
    multilingual: list[dict[str, str]],
) -> None:
    assert {r["category"] for r in multilingual} <= set(LABELS)
    assert {r["language"] for r in multilingual} == set(LANGUAGES)


def test_every_label_has_enough_rows_in_every_language(
    multilingual: list[dict[str, str]],
) -> None:
    counts = Counter((r["category"], r["language"]) for r in multilingual)
    short = [
        (label, lang, counts[(label, lang)])
        for label in LABELS
        for lang in LANGUAGES
        if counts[(label, lang)] < PER_LABEL_AND_LANGUAGE
    ]
    assert short == []


def test_out_of_scope_rows_cover_english_and_the_five_languages(
    out_of_scope: list[dict[str, str]],
) -> None:
    assert {r["language"] for r in out_of_scope} == set(OUT_OF_SCOPE_LANGUAGES)


def test_no_text_appears_twice_within_or_across_the_files(
    multilingual: list[dict[str, str]],
    out_of_scope: list[dict[str, str]],
    security: list[dict[str, str]],
    complaints: list[dict[str, str]],
) -> None:
    rows = [*multilingual, *out_of_scope, *security, *complaints]
    counts = Counter(_norm(r["text"]) for r in rows)
    assert [text for text, n in counts.items() if n > 1] == []


def test_no_row_repeats_a_banking77_training_text(
    multilingual: list[dict[str, str]],
    out_of_scope: list[dict[str, str]],
    security: list[dict[str, str]],
    complaints: list[dict[str, str]],
) -> None:
    banking77 = {_norm(r["text"]) for r in _read(BANKING77_DIR / "train.csv", ["text", "category"])}
    assert len(banking77) > 9000
    assert [
        r["text"]
        for r in [*multilingual, *out_of_scope, *security, *complaints]
        if _norm(r["text"]) in banking77
    ] == []

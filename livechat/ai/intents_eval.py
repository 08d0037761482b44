"""Cross-validation of the intent model on the shipped training data (never BANKING77's test split).

``flask --app wsgi livechat intents evaluate`` (or ``python -m livechat.ai.intents evaluate``) runs
it. Fold k holds out a k-th of BANKING77, of the multilingual rows, of the security rows, of the
complaint rows and of the outside rows at once (stratified), trains the three heads on the rest
and scores the held-out rows; the two temperatures are then fitted on those out-of-fold scores, as
``intents.build`` fits them on one held-out fifth.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from livechat.ai import glossary, intents
from livechat.ai.banking77 import COARSE, FRAUD_INTENTS, MODEL_COARSE, SECURITY_INTENTS
from livechat.ai.intents import OUTSIDE, Corpus, IntentModel, Prediction


@dataclass(frozen=True)
class Scored:
    """One held-out row: where it comes from, its truth, and the three heads' readings."""

    source: str  # "banking77" | "multilingual" | "security" | "complaints" | "outside"
    text: str
    truth: str  # a label, a MODEL_ONLY class or OUTSIDE
    language: str
    scores: np.ndarray
    guard_scores: np.ndarray
    complaint: float = 0.0  # the complaint head's margin


@dataclass
class OutOfFold:
    """Every held-out row of every fold, and the temperatures fitted on them."""

    rows: list[Scored]
    classes: tuple[str, ...]
    guard_classes: tuple[str, ...]
    temperature: float
    guard_temperature: float
    model: IntentModel  # the last fold's, to turn probabilities into Predictions

    def prediction(self, row: Scored) -> Prediction:
        """What the model would have said of a held-out row, at the fitted temperatures."""
        return self.model.prediction(
            intents.softmax(row.scores, self.temperature),
            intents.softmax(row.guard_scores, self.guard_temperature),
            row.complaint,
        )


def out_of_fold(folds: int = 5, log_to: Any = None) -> OutOfFold:
    """Train on k-1 folds, score the k-th, for every k; then fit the temperatures."""
    from sklearn.model_selection import StratifiedKFold

    emb = intents.embedder(log_to)
    sources: dict[str, list[tuple[str, str, str]]] = {
        "banking77": [(t, c, "en") for t, c in intents.banking77_rows()],
        "multilingual": intents.multilingual_rows(),
        "security": intents.security_rows(),
        "complaints": intents.complaint_rows(),
        "outside": [(t, OUTSIDE, lang) for t, lang in intents.outside_rows()],
    }
    strata = {
        "banking77": lambda c, lang: c,
        "multilingual": lambda c, lang: f"{c}/{lang}",
        "security": lambda c, lang: lang,
        "complaints": lambda c, lang: lang,
        "outside": lambda c, lang: lang,
    }
    splitter = StratifiedKFold(folds, shuffle=True, random_state=0)
    splits = {
        name: list(splitter.split(np.zeros(len(rows)), [strata[name](c, g) for _, c, g in rows]))
        for name, rows in sources.items()
    }
    scored: list[Scored] = []
    trained: IntentModel | None = None
    for k in range(folds):
        texts: list[str] = []
        classes: list[str] = []
        main: list[bool] = []
        angry: list[bool] = []
        for name, rows in sources.items():
            for i in splits[name][k][0]:
                texts.append(rows[i][0])
                classes.append(rows[i][1])
                main.append(name not in ("security", "complaints"))
                angry.append(name == "complaints")
        trained = IntentModel(intents.fit(Corpus(texts, classes, main, angry), emb))
        for name, rows in sources.items():
            for i in splits[name][k][1]:
                text, truth, lang = rows[i]
                scores, guard, complaint = trained.head_scores(text)
                scored.append(Scored(name, text, truth, lang, scores, guard, complaint))
        if log_to:
            b77 = [r for r in scored if r.source == "banking77"]
            right = sum(trained.classes[int(np.argmax(r.scores))] == r.truth for r in b77)
            log_to(f"fold {k + 1}/{folds}: top-1 so far {right / len(b77):.4f}")
    assert trained is not None
    main_rows = [r for r in scored if r.source not in ("security", "complaints")]
    index = {c: i for i, c in enumerate(trained.classes)}
    guard_index = {c: i for i, c in enumerate(trained.guard_classes)}
    temperature = intents.fit_temperature(
        np.stack([r.scores for r in main_rows]), np.array([index[r.truth] for r in main_rows])
    )
    guard_temperature = intents.fit_temperature(
        np.stack([r.guard_scores for r in scored]),
        np.array([guard_index[intents.guard_class(r.truth)] for r in scored]),
    )
    return OutOfFold(
        scored, trained.classes, trained.guard_classes, temperature, guard_temperature, trained
    )


def cross_validate(folds: int = 5, log_to: Any = None) -> dict[str, Any]:
    """K-fold figures on data each fold's model never saw:

    - ``banking77``: accuracy on the 77 intents (an "outside" answer counts as wrong), and the
      accuracy and coverage once the confidence cut applies;
    - ``languages``: exact-label and coarse-intent accuracy of the multilingual rows per language,
      and retrieval hit@1 for them (their questions read with their English glosses);
    - ``outside``: share of out-of-scope rows that get no label;
    - ``security``: per language, of the hand-written security rows (``data/security.csv``) and
      BANKING77's fraud rows, the fraud and takeover reports the policy would send URGENT, and
      the other rows it would wrongly send URGENT;
    - ``kb``: retrieval hit@1 (the cited article covers the true intent) for the BANKING77 rows,
      with the predicted intent and BM25 together, and with BM25 alone.
    """
    from livechat.ai.knowledge import KnowledgeBase

    kb = KnowledgeBase.load()
    oof = out_of_fold(folds, log_to)
    tally: dict[str, float] = {}

    def add(key: str, value: float = 1.0) -> None:
        tally[key] = tally.get(key, 0.0) + value

    for row in oof.rows:
        best = oof.classes[int(np.argmax(row.scores))]
        if row.source == "banking77":
            prediction = oof.prediction(row)
            confident = prediction.label is not None
            add("b77.n")
            add("b77.top1", best == row.truth)
            add("b77.kept", confident)
            add("b77.kept_right", confident and prediction.label == row.truth)
            cited = kb.search(row.text, k=1, intent=prediction.label)
            add("kb.hits", _covers(kb, cited, row.truth))
            add("kb.bm25", _covers(kb, kb.search(row.text, k=1), row.truth))
        elif row.source == "multilingual":
            # Retrieval reads the question with its English glosses, as turns.find_passages does.
            question = glossary.with_gloss(row.text, oof.model.glossary)
            cited = kb.search(question, k=1, intent=oof.prediction(row).label)
            add(f"lang.{row.language}.kb", _covers(kb, cited, row.truth))
            add(f"lang.{row.language}.kb_bm25", _covers(kb, kb.search(question, k=1), row.truth))
            add(f"lang.{row.language}.n")
            add(f"lang.{row.language}.exact", best == row.truth)
            add(f"lang.{row.language}.coarse", MODEL_COARSE.get(best) == COARSE[row.truth])
        elif row.source == "outside":
            add("outside.n")
            add("outside.best", best == OUTSIDE)
        # The complaint head: complaints read as such, and every other row read as one.
        angry = row.complaint > 0
        add("complaint.n" if row.source == "complaints" else "complaint.others")
        add("complaint.read" if row.source == "complaints" else "complaint.false", angry)
    n = tally["b77.n"]
    return {
        "folds": folds,
        "banking77": {
            "rows": int(n),
            "accuracy": round(tally["b77.top1"] / n, 4),
            "coverage_at_cut": round(tally["b77.kept"] / n, 4),
            "accuracy_at_cut": round(tally["b77.kept_right"] / max(tally["b77.kept"], 1), 4),
            "min_confidence": intents.MIN_CONFIDENCE,
            "temperature": round(oof.temperature, 4),
            "guard_temperature": round(oof.guard_temperature, 4),
        },
        "kb_hit_at_1": {
            "intent_and_bm25": round(tally["kb.hits"] / n, 4),
            "bm25_only": round(tally["kb.bm25"] / n, 4),
        },
        "outside": {
            "rows": int(tally["outside.n"]),
            "recognised": round(tally["outside.best"] / tally["outside.n"], 4),
        },
        "languages": {
            lang: {
                "rows": int(tally[f"lang.{lang}.n"]),
                "exact": round(tally[f"lang.{lang}.exact"] / tally[f"lang.{lang}.n"], 4),
                "coarse": round(tally[f"lang.{lang}.coarse"] / tally[f"lang.{lang}.n"], 4),
                "kb_hit_at_1": round(tally[f"lang.{lang}.kb"] / tally[f"lang.{lang}.n"], 4),
                "kb_bm25_only": round(tally[f"lang.{lang}.kb_bm25"] / tally[f"lang.{lang}.n"], 4),
            }
            for lang in sorted({r.language for r in oof.rows if r.source == "multilingual"})
        },
        "security": security_figures(oof),
        "complaints": {
            "rows": int(tally["complaint.n"]),
            "read": int(tally.get("complaint.read", 0)),
            "others": int(tally["complaint.others"]),
            "false": int(tally.get("complaint.false", 0)),
        },
    }


def security_figures(oof: OutOfFold) -> dict[str, dict[str, int]]:
    """Per source and language: fraud/takeover rows the policy would send URGENT, and other rows
    (no security label) it would wrongly send URGENT, out of how many of each."""
    # The policy imports the model, hence the late import; it is the one home of the reading.
    from livechat.ai.policy import read_security

    out: dict[str, dict[str, int]] = {}
    for row in oof.rows:
        if row.source == "outside":
            continue
        key = "banking77" if row.source == "banking77" else f"{row.source} {row.language}"
        figures = out.setdefault(key, {"fraud": 0, "urgent": 0, "benign": 0, "false_urgent": 0})
        p = oof.prediction(row)
        reading = read_security(
            p.best, p.confidence, p.coarse_confidence, p.security, p.security_confidence
        )
        urgent = reading is not None and reading[1] == "URGENT"
        if row.truth in FRAUD_INTENTS:
            figures["fraud"] += 1
            figures["urgent"] += urgent
        elif row.truth not in SECURITY_INTENTS:
            figures["benign"] += 1
            figures["false_urgent"] += urgent
    return dict(sorted(out.items()))


def _covers(kb: Any, cited: list[Any], truth: str) -> bool:
    """Whether the first cited passage's article answers the true intent."""
    article = kb.get(cited[0].article_id) if cited else None
    return article is not None and truth in article.intents


def format_report(report: dict[str, Any]) -> str:
    """The cross-validation report as a few readable lines."""
    b77, kb, out = report["banking77"], report["kb_hit_at_1"], report["outside"]
    lines = [
        f"{report['folds']}-fold cross-validation on the shipped training data",
        f"BANKING77 ({b77['rows']} rows): accuracy {b77['accuracy']:.4f}; at confidence >= "
        f"{b77['min_confidence']}: {b77['coverage_at_cut']:.1%} kept, "
        f"accuracy {b77['accuracy_at_cut']:.4f}",
        f"KB hit@1: intent + BM25 {kb['intent_and_bm25']:.4f}, BM25 alone {kb['bm25_only']:.4f}",
        f"outside banking ({out['rows']} rows): recognised {out['recognised']:.4f}",
    ]
    for lang, figures in report["languages"].items():
        lines.append(
            f"{lang} ({figures['rows']} rows): exact {figures['exact']:.4f}, "
            f"coarse {figures['coarse']:.4f}; KB hit@1 {figures['kb_hit_at_1']:.4f} "
            f"(BM25 alone {figures['kb_bm25_only']:.4f})"
        )
    if "complaints" in report:
        c = report["complaints"]
        lines.append(
            f"complaint head: {c['read']}/{c['rows']} angry complaints read as such, "
            f"{c['false']}/{c['others']} other rows read as one"
        )
    for key, sec in report.get("security", {}).items():
        lines.append(
            f"security, {key}: URGENT {sec['urgent']}/{sec['fraud']} fraud/takeover reports, "
            f"false URGENT {sec['false_urgent']}/{sec['benign']} others"
        )
    return "\n".join(lines)

#!/usr/bin/env python3
"""How often BM25 alone finds the right article: `bench/kb_hit_rate.py [--kb DIR] [--worst N]`.

Pure CPU, in this process. Runs every BANKING77 training query (livechat/ai/data/banking77) through
``KnowledgeBase.search(query, k=1)`` with no intent, as the assistant does when the intent model is
unsure, and counts a hit when the top article lists the query's true label in its ``intents``.
Prints hit@1, the share of queries with no result (nothing above the cut-off) and the labels
with the lowest hit rate, each with the article that wins most often instead. The figure measures
the articles' wording, not a model: nothing here is trained on the queries.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter, defaultdict
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from livechat.ai.banking77 import BANKING77_DIR  # noqa: E402
from livechat.ai.knowledge import DEFAULT_KB_DIR, KnowledgeBase  # noqa: E402


def load_queries(path: Path) -> list[tuple[str, str]]:
    """(text, label) rows of a BANKING77 csv (text,category)."""
    with path.open(encoding="utf-8", newline="") as f:
        return [(row["text"], row["category"]) for row in csv.DictReader(f)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", type=Path, default=DEFAULT_KB_DIR, help="knowledge-base folder")
    parser.add_argument(
        "--data", type=Path, default=BANKING77_DIR / "train.csv", help="text,category csv"
    )
    parser.add_argument("--worst", type=int, default=10, help="how many labels to list")
    parser.add_argument(
        "--min-score", type=float, default=None, help="search cut-off (default: the KB's own)"
    )
    args = parser.parse_args(argv)

    kb = KnowledgeBase.load(args.kb)
    queries = load_queries(args.data)
    hits: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    instead: defaultdict[str, Counter[str]] = defaultdict(Counter)
    empty = 0
    for text, label in queries:
        totals[label] += 1
        top = kb.search(text, k=1, min_score=args.min_score)
        if not top:
            empty += 1
            instead[label]["(nothing)"] += 1
            continue
        article = kb.get(top[0].article_id)
        if article is not None and label in article.intents:
            hits[label] += 1
        else:
            instead[label][top[0].article_id] += 1

    n = len(queries)
    uncovered = sorted(label for label in totals if kb.article_for_intent(label) is None)
    print(f"knowledge base: {len(kb.articles)} articles, {n} queries, {len(totals)} labels")
    if uncovered:
        print(f"labels no article covers ({len(uncovered)}): {', '.join(uncovered)}")
    print(f"hit@1: {sum(hits.values()) / n:.1%}   no result: {empty / n:.1%}")
    covered = sum(totals[label] for label in totals if label not in uncovered)
    if uncovered and covered:
        print(f"hit@1 on the covered labels' {covered} queries: {sum(hits.values()) / covered:.1%}")
    print(f"\nworst {args.worst} labels (hit rate, covering article, what won instead most often):")
    rates = sorted(totals, key=lambda label: (hits[label] / totals[label], label))
    for label in rates[: args.worst]:
        covering = kb.article_for_intent(label)
        winner, count = instead[label].most_common(1)[0] if instead[label] else ("-", 0)
        print(
            f"  {hits[label] / totals[label]:6.1%}  {label:<48} "
            f"{covering.id if covering else '(none)':<26} {winner} ({count})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

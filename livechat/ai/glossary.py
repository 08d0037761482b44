"""English glosses of the banking words customers write in Spanish, French, German, Portuguese and
Italian, so that what the intent model learned from 10,003 English BANKING77 queries reaches a
message in another language.

The model reads a message and, on a line of its own, the English words of the ones the glossary
knows: "Alguien sacó dinero de mi cuenta" is read with "someone withdrew money my account" beside
it, so the word n-grams and the sentence vector see what an English report of the same thing
gives them. The character n-grams of the message itself still carry what the hand-written rows
of each language taught the model.

The glossary is hand-written (``data/glossary/<lang>.csv``: ``word,english``, one inflected form a
row), without looking at the multilingual, security or hold-out rows, so the cross-validated and
hold-out figures are not shaped by it. It is read at build time only and stored in the model
file: inference repeats exactly what training did. A word spelled like a common English word of
BANKING77 ("use", "change", "arrive") is never glossed, so English messages read as before.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

GLOSSARY_DIR = Path(__file__).resolve().parent / "data" / "glossary"
LANGUAGES = ("es", "fr", "de", "pt", "it")
_WORD = re.compile(r"(?u)\b\w+\b")
_MAX_GLOSS_WORDS = 3
# A word more English queries than this use is English and not glossed ("use", "change",
# "arrive"); rarer ones ("non", "mon") are glossed even in an English message, which is harmless.
ENGLISH_USES = 3


def files() -> list[Path]:
    """The glossary's files, one a language (part of the model's cache key)."""
    return [GLOSSARY_DIR / f"{lang}.csv" for lang in LANGUAGES]


def fold(word: str) -> str:
    """A word's key: lower case, accents dropped (customers often leave them out), ß as ss."""
    decomposed = unicodedata.normalize("NFKD", word.lower().replace("ß", "ss"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def english_words(texts: Iterable[str]) -> set[str]:
    """The folded words more than ENGLISH_USES of the English texts use: keys the glossary must
    leave alone."""
    uses: Counter[str] = Counter()
    for text in texts:
        uses.update({fold(w) for w in _WORD.findall(text)})
    return {word for word, n in uses.items() if n > ENGLISH_USES}


def read(paths: Iterable[Path] | None = None) -> list[tuple[str, str]]:
    """Every (word, english) row of the glossary files, checked: one word, 1-3 English words."""
    rows: list[tuple[str, str]] = []
    for path in paths if paths is not None else files():
        with path.open(encoding="utf-8", newline="") as f:
            for line, row in enumerate(csv.DictReader(f), start=2):
                word, english = (row.get("word") or "").strip(), (row.get("english") or "").strip()
                glossed = english.split()
                if not _WORD.fullmatch(word) or not 1 <= len(glossed) <= _MAX_GLOSS_WORDS:
                    raise ValueError(f"{path.name}:{line}: expected one word and 1-3 English words")
                rows.append((word, " ".join(glossed).lower()))
    return rows


def table(rows: Iterable[tuple[str, str]], english: set[str]) -> dict[str, str]:
    """Folded word -> its English gloss, leaving out words that are English already and single
    letters (Italian "è", "is", folds to "e", "and"). A word two languages, or two accented forms,
    gloss differently keeps both glosses."""
    glosses: dict[str, list[str]] = {}
    for word, gloss in rows:
        key = fold(word)
        if key in english or len(key) < 2:
            continue
        known = glosses.setdefault(key, [])
        if gloss not in known:
            known.append(gloss)
    return {key: " ".join(values) for key, values in glosses.items()}


def gloss(text: str, glossary: Mapping[str, str]) -> str:
    """The English glosses of the words of text the glossary knows, in order ("" for none)."""
    if not glossary:
        return ""
    found = (glossary.get(fold(w)) for w in _WORD.findall(text))
    return " ".join(g for g in found if g)


def with_gloss(text: str, glossary: Mapping[str, str]) -> str:
    """What the model reads: the message, and its glosses on a line of their own."""
    glossed = gloss(text, glossary)
    return f"{text}\n{glossed}" if glossed else text

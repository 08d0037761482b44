"""Typo tolerance for the fraud and takeover vocabulary: "sombody used my card" reads as "somebody".

The keyword rules match exact words, so one slip of the finger ("sombody", "unathorized",
"withdrawl") hid a fraud report from them. ``respell`` puts a misspelt word right when it is one
edit (a letter added, dropped or changed, or two neighbours swapped: Damerau's optimal string
alignment distance 1) from exactly one word of ``lexicon_security.TYPO_VOCABULARY``, the word has
5 or more letters, and it is not a real word we know of (``TYPO_KEEP``). Everything else is left
as it is, so the cost is a few set lookups per long word, cached per word.

Candidates come from a table of every vocabulary word with one letter deleted (the symmetric
delete idea behind SymSpell): a word and the typo share a key whenever they are one edit apart,
and the edit distance is then checked exactly, since sharing a key also lets some two-edit pairs
through.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache

from livechat.ai.lexicon_security import TYPO_KEEP, TYPO_VOCABULARY

MIN_LETTERS = 5
_WORD = re.compile(rf"[^\W\d_]{{{MIN_LETTERS},}}")
_VOCABULARY = frozenset(TYPO_VOCABULARY)
_LEAVE = _VOCABULARY | TYPO_KEEP
# A longer word is more than one edit from every vocabulary word: skipped before any work (a
# 20 KB run of letters would otherwise make 20,000 deletes of 20,000 letters each).
_LONGEST = max(map(len, _VOCABULARY)) + 1


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _index() -> dict[str, frozenset[str]]:
    keys: dict[str, set[str]] = defaultdict(set)
    for word in _VOCABULARY:
        for key in {word, *_deletes(word)}:
            keys[key].add(word)
    return {key: frozenset(words) for key, words in keys.items()}


_INDEX = _index()


def one_edit(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by exactly one insertion, deletion, substitution or swap."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long[i]:
        i += 1
    return short[i:] == long[i + 1 :]


@lru_cache(maxsize=8192)
def _respelt(word: str) -> str:
    if word in _LEAVE:
        return word
    candidates: set[str] = set()
    for key in {word, *_deletes(word)}:
        candidates.update(_INDEX.get(key, ()))
    matches = [c for c in candidates if one_edit(word, c)]
    # Two vocabulary words equally close ("clonato": clonado or clonata?): no guess.
    return matches[0] if len(matches) == 1 else word


def respell(norm: str) -> str:
    """``norm`` (already normalised) with misspelt fraud/takeover words put right."""
    return _WORD.sub(
        lambda m: m.group() if len(m.group()) > _LONGEST else _respelt(m.group()), norm
    )

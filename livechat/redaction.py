"""Personal-data redaction before text leaves for an AI provider; card masking for storage (PCI).

``redact`` replaces card numbers, IBANs, e-mail addresses, phone numbers and national ids with
placeholders; ``mask_cards`` masks only card numbers and is what stored messages get. Candidates
are validated (Luhn, ISO 13616 mod-97, check letters, SSN ranges) so that the ordinary numbers of a
support chat (amounts, dates, times, order and transaction ids) come through unchanged.

Every pattern is precompiled, anchored on token boundaries and bounded, and a run of numbers is
checked over a bounded number of windows, so the work stays linear in the length of the text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

_DOTS = "\u2022" * 4

# A digit run glued to letters is an identifier ("TX4111..."), not a card number a customer typed;
# after "+" it is a phone number.
_CARD_RUN = re.compile(r"(?<![^\W_]|\+)\d+(?:[ -]\d+)*(?![^\W_])")
_CARD_GROUP = re.compile(r"\d+")
_DIGIT = re.compile(r"\d")
# A card has at least 13 digits (_card): text with fewer in all has none.
_CARD_MIN_DIGITS = 13

# Printed IBANs come in groups of four, so a following four-letter word can be swallowed: the
# candidate is also tried with its trailing groups dropped (see _iban_spans).
_IBAN = re.compile(
    r"(?<![^\W_])[A-Za-z]{2}[0-9]{2}(?: ?[A-Za-z0-9]{4}){2,7}(?: ?[A-Za-z0-9]{1,4})?(?![^\W_])"
)
_EMAIL = re.compile(r"(?<![\w.%+-])[\w.%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,63}(?![\w-])")
_SSN = re.compile(r"(?<![\w-])(?!000|666|9)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w-])")
# HMRC never issues D, F, I, U, V (nor O second) or the listed prefixes. Q is not issued either,
# but "QQ 12 34 56 C" is the documented example format, so we err on the side of redacting it.
_NINO = re.compile(
    r"(?<!\w)(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-TW-Z][A-CEGHJ-NP-TW-Z]"
    r" ?\d{2} ?\d{2} ?\d{2} ?[A-D](?!\w)",
    re.IGNORECASE,
)
_DNI = re.compile(r"(?<![\w-])([XYZ][0-9]{7}|[0-9]{8})[ -]?([A-Z])(?!\w)", re.IGNORECASE)
_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
_NIE_PREFIX = str.maketrans("XYZxyz", "012012")

# Phone candidates: runs of space-separated words of digits, "+", parentheses, dots and dashes.
# Words are the units a window may start or end on, so "2026-11-24" is never split up.
_PHONE_WORD = r"\+?(?:\(\d{1,5}\)|\d)(?:[\d().-]*\d)?"
_PHONE_RUN = re.compile(rf"(?<![\w+.)-]){_PHONE_WORD}(?: {_PHONE_WORD})*")
_WORD = re.compile(r"\S+")
_PHONE_CHUNK = re.compile(r"(?:\+\d{1,3})?(?:\(\d{1,5}\))?\d*")
_PHONE_SEP = re.compile(r"[ .-]")
_NANP = re.compile(r"\d{3}([ .-])\d{3}\1\d{4}")
# Dates and SSN-shaped numbers (valid or not) are never phone numbers.
_NOT_PHONE = re.compile(r"\d{1,2}([./-])\d{1,2}\1\d{2,4}|\d{3}-\d{2}-\d{4}")

_Rule = Callable[[str], tuple[str, int]]


@dataclass(frozen=True)
class RedactionReport:
    """How many values of each kind were replaced: never the values themselves."""

    counts: dict[str, int]


def _luhn(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _card(window: str) -> str | None:
    if len(window) > 37:  # 19 digits and a separator between each
        return None
    digits = window.replace(" ", "").replace("-", "")
    # Grouped cards are printed 4-4-4-4, 4-6-5, 4-6-4 or 4-4-4-4-3: the first group is always four
    # digits, which keeps a card apart from the reference number typed just before it.
    grouped = len(digits) != len(window)
    if (
        not _CARD_MIN_DIGITS <= len(digits) <= 19
        or (grouped and window[4] not in " -")
        or not _luhn(digits)
    ):
        return None
    return f"[card {_DOTS}{digits[-4:]}]"


def _phone(window: str) -> str | None:
    chunks = _PHONE_SEP.split(window)
    digits = sum(char.isdigit() for char in window)
    if (
        not 8 <= digits <= 15
        or "+" in window[1:]
        or not all(chunk and _PHONE_CHUNK.fullmatch(chunk) for chunk in chunks)
        or any(_NOT_PHONE.fullmatch(word) for word in window.split(" "))
        # "0 6 1 2 3 4 5 6" is a list of digits; only "+33 6 12 34 56 78" has a lone digit.
        or sum(len(chunk) == 1 for chunk in chunks) > 1
    ):
        return None
    # Bare digit strings are order, reference and transaction ids unless they carry a phone's
    # marks: "+", a "(area code)", US 3-3-4 grouping, or the national trunk "0" -- and then,
    # written without separators, a national number's length (10+ digits; "01234567" stays).
    if window[0] in "+(" or _NANP.fullmatch(window):
        return "[phone]"
    if window[0] == "0" and (len(chunks) > 1 or digits >= 10):
        return "[phone]"
    return None


def _replace_windows(
    text: str,
    run: re.Pattern[str],
    word: re.Pattern[str],
    max_words: int,
    replace: Callable[[str], str | None],
) -> tuple[str, int]:
    """In each run, replace the longest accepted window of consecutive words, left to right."""
    out: list[str] = []
    last = count = 0
    for match in run.finditer(text):
        words = [(w.start(), w.end()) for w in word.finditer(text, match.start(), match.end())]
        i = 0
        while i < len(words):
            for j in range(min(len(words), i + max_words), i, -1):
                start, end = words[i][0], words[j - 1][1]
                replacement = replace(text[start:end])
                if replacement is not None:
                    out += (text[last:start], replacement)
                    last, count, i = end, count + 1, j
                    break
            else:
                i += 1
    out.append(text[last:])
    return "".join(out), count


def _outside(text: str, spans: Iterable[tuple[int, int]], rule: _Rule) -> tuple[str, int]:
    """Apply rule to the text between spans, leaving the spans themselves as they are."""
    out: list[str] = []
    last = count = 0
    for start, end in spans:
        piece, n = rule(text[last:start])
        out += (piece, text[start:end])
        last, count = end, count + n
    piece, n = rule(text[last:])
    out.append(piece)
    return "".join(out), count + n


def _iban_valid(compact: str) -> bool:
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def _iban_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, compact IBAN) of every IBAN in text that passes the mod-97 check."""
    spans = []
    for match in _IBAN.finditer(text):
        candidate = match.group()
        while True:
            compact = candidate.replace(" ", "")
            if _iban_valid(compact):
                spans.append((match.start(), match.start() + len(candidate), compact.upper()))
                break
            candidate, space, _ = candidate.rpartition(" ")
            if not space:
                break
    return spans


def _redact_ibans(text: str) -> tuple[str, int]:
    spans = _iban_spans(text)
    out: list[str] = []
    last = 0
    for start, end, compact in spans:
        out += (text[last:start], f"[iban {_DOTS}{compact[-4:]}]")
        last = end
    out.append(text[last:])
    return "".join(out), len(spans)


def _mask_cards(text: str) -> tuple[str, int]:
    return _replace_windows(text, _CARD_RUN, _CARD_GROUP, 19, _card)


def _dni_valid(match: re.Match[str]) -> bool:
    number = int(match[1].translate(_NIE_PREFIX))
    return _DNI_LETTERS[number % 23] == match[2].upper()


def _redact_ids(text: str) -> tuple[str, int]:
    text, ssn = _SSN.subn("[id]", text)
    text, nino = _NINO.subn("[id]", text)
    dni = sum(1 for match in _DNI.finditer(text) if _dni_valid(match))
    return _DNI.sub(lambda m: "[id]" if _dni_valid(m) else m[0], text), ssn + nino + dni


def _redact_phones(text: str) -> tuple[str, int]:
    # An IBAN-shaped token that failed its checksum is left whole: its "0044 0532 ..." groups
    # would otherwise read as a national phone number.
    return _outside(
        text,
        (m.span() for m in _IBAN.finditer(text)),
        lambda piece: _replace_windows(piece, _PHONE_RUN, _WORD, 8, _phone),
    )


# Order matters: IBANs and cards go first so the phone rule cannot eat their digits, e-mails before
# ids and phones because a local part may be a number, ids before phones ("078-05-1120").
_RULES: tuple[tuple[str, _Rule], ...] = (
    ("iban", _redact_ibans),
    ("card", _mask_cards),
    ("email", lambda text: _EMAIL.subn("[email]", text)),
    ("id", _redact_ids),
    ("phone", _redact_phones),
)


def mask_cards(text: str) -> str:
    """Replace Luhn-valid card numbers with "[card ••••1234]"; everything else is left alone."""
    if len(_DIGIT.findall(text)) < _CARD_MIN_DIGITS:
        return text  # most messages: too few digits for any card (every message comes here)
    # A valid IBAN is not card data and stays readable in storage, even if some of its digit
    # groups happen to pass Luhn.
    return _outside(text, (span[:2] for span in _iban_spans(text)), _mask_cards)[0]


def redact(text: str) -> str:
    """Replace cards, IBANs, e-mails, phone numbers and national ids with placeholders."""
    return redact_with_report(text)[0]


def redact_with_report(text: str) -> tuple[str, RedactionReport]:
    """redact(), and how many of each kind were replaced (for logs/metrics; never the values)."""
    counts: dict[str, int] = {}
    for kind, rule in _RULES:
        text, count = rule(text)
        if count:
            counts[kind] = count
    return text, RedactionReport(counts)

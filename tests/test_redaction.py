"""Redaction of personal data before AI calls, and card masking for storage: pure functions."""

from __future__ import annotations

import re

import pytest

from livechat.redaction import RedactionReport, mask_cards, redact, redact_with_report

DOTS = "\u2022" * 4


def digits_of(value: str) -> str:
    return re.sub(r"\D", "", value)


# --- cards -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("card", "last4"),
    [
        ("4111111111111111", "1111"),
        ("4111 1111 1111 1111", "1111"),
        ("5500-0000-0000-0004", "0004"),
        ("5555555555554444", "4444"),
        ("3782 822463 10005", "0005"),  # Amex, 15 digits, 4-6-5
        ("378282246310005", "0005"),
        ("4222222222222", "2222"),  # 13 digits
        ("6011000000000000001", "0001"),  # 19 digits
        ("4111 1111 1111 1111 110", "1110"),  # 19 digits, 4-4-4-4-3
    ],
)
def test_luhn_valid_cards_are_masked(card: str, last4: str) -> None:
    text = f"my card is {card} thanks"
    expected = f"my card is [card {DOTS}{last4}] thanks"
    assert mask_cards(text) == expected
    assert redact(text) == expected
    assert card not in redact(text)
    assert digits_of(card) not in digits_of(redact(text))


@pytest.mark.parametrize(
    "number",
    [
        "4111111111111112",  # 16 digits, fails Luhn: a transaction id
        "4111 1111 1111 1112",
        "5500-0000-0000-0005",
        "1234567890123456",
        "411111111111",  # 12 digits: too short even though it passes Luhn
        "41111111111111111111",  # 20 digits: too long
        "TX4111111111111111",  # glued to letters: an identifier
    ],
)
def test_numbers_that_are_not_cards_are_untouched(number: str) -> None:
    text = f"transaction {number} failed"
    assert mask_cards(text) == text
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("card:4111111111111111.", f"card:[card {DOTS}1111]."),
        ("(4111-1111-1111-1111)", f"([card {DOTS}1111])"),
        ('"5500000000000004",', f'"[card {DOTS}0004]",'),
        ("4111 1111 1111 1111 exp 12/27", f"[card {DOTS}1111] exp 12/27"),
        ("ref 123 4111 1111 1111 1111", f"ref 123 [card {DOTS}1111]"),
    ],
)
def test_cards_inside_punctuation_and_next_to_other_numbers(text: str, expected: str) -> None:
    assert mask_cards(text) == expected


def test_several_cards_in_one_text() -> None:
    text = (
        "first 4111111111111111, then 5500 0000 0000 0004 and "
        "4111 1111 1111 1111 5500 0000 0000 0004 back to back"
    )
    masked = mask_cards(text)
    assert masked == (
        f"first [card {DOTS}1111], then [card {DOTS}0004] and "
        f"[card {DOTS}1111] [card {DOTS}0004] back to back"
    )
    assert redact_with_report(text)[1].counts == {"card": 4}


def test_mask_cards_touches_nothing_but_cards() -> None:
    text = "mail a@b.com, call +44 20 7946 0958, SSN 123-45-6789, card 4111111111111111"
    assert mask_cards(text) == (
        f"mail a@b.com, call +44 20 7946 0958, SSN 123-45-6789, card [card {DOTS}1111]"
    )


def test_mask_cards_leaves_a_valid_iban_whose_digits_pass_luhn() -> None:
    iban = "DE74 2914 1777 6317 0669 07"  # "2914 1777 6317 0669 07" alone passes Luhn
    assert mask_cards(iban) == iban
    assert redact(iban) == f"[iban {DOTS}6907]"


# --- IBANs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("iban", "last4"),
    [
        ("DE89 3704 0044 0532 0130 00", "3000"),
        ("DE89370400440532013000", "3000"),
        ("GB82WEST12345698765432", "5432"),
        ("GB82 WEST 1234 5698 7654 32", "5432"),
        ("FR14 2004 1010 0505 0001 3M02 606", "2606"),
        ("de89 3704 0044 0532 0130 00", "3000"),
        ("gb82west12345698765432", "5432"),
        ("NO9386011117947", "7947"),  # shortest: 15 characters
    ],
)
def test_valid_ibans_are_redacted(iban: str, last4: str) -> None:
    text = f"IBAN: {iban}. Thanks"
    assert redact(text) == f"IBAN: [iban {DOTS}{last4}]. Thanks"
    assert redact_with_report(text)[1].counts == {"iban": 1}


def test_iban_followed_by_a_four_letter_word() -> None:
    assert redact("BE68 5390 0754 7034 from me") == f"[iban {DOTS}7034] from me"


@pytest.mark.parametrize(
    "iban",
    ["DE00 3704 0044 0532 0130 00", "DE88370400440532013000", "GB00WEST12345698765432"],
)
def test_invalid_checksum_iban_is_untouched(iban: str) -> None:
    text = f"IBAN {iban} please"
    assert redact(text) == text


# --- e-mails -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    ["jane@example.com", "john.doe+billing@mail.example.co.uk", "x_y-z%1@sub-domain.io"],
)
def test_emails_are_redacted(email: str) -> None:
    assert redact(f"write to <{email}>.") == "write to <[email]>."


def test_not_an_email() -> None:
    text = "ping me @jane or at example.com"
    assert redact(text) == text


# --- phones ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone",
    [
        "+44 20 7946 0958",
        "+1 (415) 555-2671",
        "+447911123456",
        "+33 6 12 34 56 78",
        "+44 (0)20 7946 0958",
        "+49-30-1234567",
        "0612345678",
        "06 12 34 56 78",
        "06.12.34.56.78",
        "020 7946 0958",
        "(415) 555-2671",
        "415-555-2671",
        "415.555.2671",
        "0033 6 12 34 56 78",
    ],
)
def test_phone_numbers_are_redacted(phone: str) -> None:
    assert redact(f"call me on {phone}, thanks") == "call me on [phone], thanks"


@pytest.mark.parametrize(
    "text",
    [
        "order 12345678",
        "order 01234567",  # leading zero but 8 bare digits: still an order number
        "ticket 123456789 and 987654321",
        "I paid €1,250.00 on 2026-11-24 at 10:30",
        "amount 1250 EUR, fee 2.50",
        "on 24/11/2026 or 01.02.2026 or 01-02-2026 at 10.30",
        "between 2026-11-24 10:30 and 2026-11-25 18:00",
        "1 250 000 EUR",
        "digits 0 1 2 3 4 5 6 7 8 9",
        "version 1.2.3.4.5.6.7.8",
    ],
)
def test_ordinary_numbers_are_not_phones(text: str) -> None:
    assert redact(text) == text


def test_phone_after_an_order_number() -> None:
    assert redact("order 12345678 0612345678") == "order 12345678 [phone]"


# --- national ids ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "national_id",
    [
        "123-45-6789",  # US SSN
        "078-05-1120",
        "QQ 12 34 56 C",  # UK National Insurance
        "QQ123456C",
        "ab 12 34 56 d",
        "12345678Z",  # Spanish DNI
        "12345678-Z",
        "00000000t",
        "X1234567L",  # Spanish NIE
        "Y1234567X",
    ],
)
def test_national_ids_are_redacted(national_id: str) -> None:
    assert redact(f"my id: {national_id}.") == "my id: [id]."


@pytest.mark.parametrize(
    "text",
    [
        "000-12-3456",  # SSN area 000
        "666-12-3456",
        "900-12-3456",
        "123-00-4567",  # group 00
        "123-45-0000",  # serial 0000
        "12345678A",  # DNI with the wrong check letter
        "X1234567A",
        "DA 12 34 56 C",  # NI: D is never a prefix letter
        "GB 12 34 56 C",  # NI: unallocated prefix
        "QQ 12 34 56 E",  # NI: suffix is A-D
    ],
)
def test_invalid_national_ids_are_untouched(text: str) -> None:
    assert redact(f"ref {text} ok") == f"ref {text} ok"


# --- the whole pipeline ------------------------------------------------------------------------

MIXED = (
    "Hi, I'm jane@example.com (DNI 12345678Z), phone +44 20 7946 0958 or 06 12 34 56 78. "
    "Card 4111 1111 1111 1111 was charged €1,250.00 on 2026-11-24, order 12345678; "
    "refund to DE89 3704 0044 0532 0130 00 please. SSN 123-45-6789, NI QQ 12 34 56 C."
)


def test_redact_mixed_text() -> None:
    assert redact(MIXED) == (
        "Hi, I'm [email] (DNI [id]), phone [phone] or [phone]. "
        f"Card [card {DOTS}1111] was charged €1,250.00 on 2026-11-24, order 12345678; "
        f"refund to [iban {DOTS}3000] please. SSN [id], NI [id]."
    )


def test_redact_with_report_counts() -> None:
    text, report = redact_with_report(MIXED)
    assert text == redact(MIXED)
    assert report == RedactionReport({"iban": 1, "card": 1, "email": 1, "id": 3, "phone": 2})


def test_report_is_empty_without_pii_and_holds_no_values() -> None:
    assert redact_with_report("hello")[1].counts == {}
    _, report = redact_with_report("card 4111111111111111, a@b.com, a@b.com")
    assert report.counts == {"card": 1, "email": 2}
    assert "4111" not in repr(report)
    assert "a@b.com" not in repr(report)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Hello, my payment did not go through, can you help?",
        "Order 12345678 of €1,250.00 on 2026-11-24 at 10:30 (ref TX-99812-A).",
        "Transaction 4111111111111112 failed; retry in 5 minutes.",
        "Ünïcödé text — with “quotes” and emoji 🙂 and 50 %",
    ],
)
def test_text_without_pii_is_returned_unchanged(text: str) -> None:
    assert redact(text) == text
    assert mask_cards(text) == text


@pytest.mark.parametrize(
    "text",
    [
        MIXED,
        "4111111111111111 5500000000000004",
        "order 12345678 0612345678 2026",
        "BE68 5390 0754 7034 from 0612345678",
        "[card ••••1111] [iban ••••3000] [phone] [email] [id]",
    ],
)
def test_redaction_is_idempotent(text: str) -> None:
    once = redact(text)
    assert redact(once) == once
    assert mask_cards(mask_cards(text)) == mask_cards(text)


@pytest.mark.parametrize(
    "chunk",
    [
        "1 ",
        "1-",
        "0",
        "a",
        "a@",
        "a.",
        "+1 ",
        "(1",
        "((",
        "1.",
        "0 ",
        "DE89 ",
        "DE89",
        "QQ 12 ",
        "4111 ",
        "x@b.",
        "+(0)",
        "9999999999999999999 ",
    ],
)
def test_adversarial_input_is_handled(chunk: str) -> None:
    text = chunk * (10_000 // len(chunk))
    assert isinstance(redact(text), str)
    assert isinstance(mask_cards(text), str)


def test_long_local_part_without_at_sign() -> None:
    text = "a" * 9_999 + "@"
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("card 4111 1111 1111 1111 ok", "card [card ••••1111] ok"),
        ("4222222222222", "[card ••••2222]"),  # 13 digits: the shortest card
        ("order 123456789012 on 4/5", "order 123456789012 on 4/5"),
        ("t=123.456;xxxx", "t=123.456;xxxx"),
    ],
)
def test_mask_cards_with_few_digits_and_with_enough(text: str, masked: str) -> None:
    assert mask_cards(text) == masked

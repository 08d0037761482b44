"""The BANKING77 intent labels, and how each maps onto the coarse intents policy and console use.

BANKING77 (Casanueva et al., 2020, CC BY 4.0; see ``data/banking77/README.md``) labels
online-banking questions with 77 fine-grained intents. The policy, the console and the metadata
stored with each message speak in a dozen coarse intents; ``COARSE`` is the one table that maps one
onto the other.
"""

from __future__ import annotations

import json
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"
BANKING77_DIR = DATA_DIR / "banking77"

LABELS: tuple[str, ...] = tuple(
    json.loads((BANKING77_DIR / "categories.json").read_text(encoding="utf-8"))
)

# Coarse intent -> the BANKING77 labels it gathers. Every label appears exactly once (a test
# checks).
_GROUPS: dict[str, tuple[str, ...]] = {
    "fraud_report": (
        "compromised_card",
        "card_payment_not_recognised",
        "cash_withdrawal_not_recognised",
        "direct_debit_payment_not_recognised",
    ),
    "card_issue": (
        "lost_or_stolen_card",
        "card_not_working",
        "contactless_not_working",
        "virtual_card_not_working",
        "card_swallowed",
        "pin_blocked",
        "change_pin",
        "activate_my_card",
        "card_about_to_expire",
        "declined_card_payment",
        "declined_cash_withdrawal",
        "card_acceptance",
        "card_linking",
        "getting_spare_card",
        "get_physical_card",
        "order_physical_card",
        "getting_virtual_card",
        "get_disposable_virtual_card",
        "disposable_card_limits",
        "visa_or_mastercard",
        "supported_cards_and_currencies",
        "apple_pay_or_google_pay",
        "atm_support",
    ),
    "card_delivery": ("card_arrival", "card_delivery_estimate"),
    "payment_issue": (
        "pending_card_payment",
        "reverted_card_payment?",
        "transaction_charged_twice",
        "pending_transfer",
        "failed_transfer",
        "declined_transfer",
        "cancel_transfer",
        "transfer_not_received_by_recipient",
        "transfer_timing",
        "beneficiary_not_allowed",
        "receiving_money",
        "transfer_into_account",
        "balance_not_updated_after_bank_transfer",
        "balance_not_updated_after_cheque_or_cash_deposit",
        "pending_cash_withdrawal",
        "wrong_amount_of_cash_received",
    ),
    "top_up": (
        "automatic_top_up",
        "pending_top_up",
        "top_up_limits",
        "top_up_reverted",
        "top_up_failed",
        "topping_up_by_card",
        "top_up_by_cash_or_cheque",
        "verify_top_up",
    ),
    "exchange_rate": (
        "exchange_rate",
        "exchange_via_app",
        "exchange_charge",
        "card_payment_wrong_exchange_rate",
        "wrong_exchange_rate_for_cash_withdrawal",
        "fiat_currency_support",
    ),
    "fees": (
        "extra_charge_on_statement",
        "card_payment_fee_charged",
        "transfer_fee_charged",
        "cash_withdrawal_charge",
        # "How much does a transfer cost?" is asked under these: a charge first, a top-up second.
        "top_up_by_bank_transfer_charge",
        "top_up_by_card_charge",
    ),
    "refund": ("request_refund", "Refund_not_showing_up"),
    "kyc": (
        "verify_my_identity",
        "why_verify_identity",
        "unable_to_verify_identity",
        "verify_source_of_funds",
    ),
    "account_access": ("passcode_forgotten", "lost_or_stolen_phone"),
    "account_management": (
        "terminate_account",
        "edit_personal_details",
        "age_limit",
        "country_support",
    ),
}
COARSE: dict[str, str] = {label: coarse for coarse, labels in _GROUPS.items() for label in labels}

# Someone else is in the customer's online banking: a password, e-mail or phone number changed by
# a stranger, a login or device the customer disowns, codes never asked for, a SIM swap, a caller
# who got a code and then moved the money. BANKING77 has no label for it (its nearest,
# passcode_forgotten and edit_personal_details, are the benign look-alikes), so the model's
# security guard learns it from data/security.csv (intents.py). It is the model's word, not a
# BANKING77 label: it never leaves as intentDetail, which stays one of the 77 labels or null.
ACCOUNT_TAKEOVER = "account_takeover"
# Classes the model knows beyond the 77, and the coarse intent each one maps onto.
MODEL_ONLY: dict[str, str] = {ACCOUNT_TAKEOVER: "fraud_report"}
MODEL_COARSE: dict[str, str] = {**COARSE, **MODEL_ONLY}

# Someone may be using the customer's card, money or phone right now: the priority rule fires on
# these whatever words the customer chose (the issue-19 list).
SECURITY_INTENTS = frozenset(
    {
        "compromised_card",
        "card_payment_not_recognised",
        "cash_withdrawal_not_recognised",
        "direct_debit_payment_not_recognised",
        "lost_or_stolen_card",
        "lost_or_stolen_phone",
        ACCOUNT_TAKEOVER,
    }
)
# Of those, the ones where money may be leaving the account now: URGENT, like the fraud keywords.
# A lost card or phone is HIGH unless the customer says it was stolen (the "stolen" keyword).
FRAUD_INTENTS = frozenset({*_GROUPS["fraud_report"], ACCOUNT_TAKEOVER})

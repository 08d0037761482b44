"""The escalation policy: when the assistant hands a chat to a human, and how urgently.

The seed's four rules, checked in a fixed order (the first enabled one that matches wins):
high-priority keywords, an explicit request for a person, negative sentiment on a non-trivial
issue (or a legal or regulatory threat, however calmly put), and a customer who already has
several unresolved tickets.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from livechat.ai.analysis import Analysis
from livechat.ai.banking77 import ACCOUNT_TAKEOVER, FRAUD_INTENTS, SECURITY_INTENTS
from livechat.ai.intents import GUARD_FRAUD

RULES = ("human_request", "negative_complex", "unresolved_tickets", "priority_keyword")

# Someone may be draining the account right now: these jump the queue.
_URGENT_KEYWORDS = frozenset(
    {"fraud", "stolen", "hacked", "unauthorized", "account takeover", "identity theft"}
)


# The 77-way head alone sends a chat to the front of the queue only when it is this sure of a
# fraud label: a wrong URGENT costs an agent, and the keyword rules still catch the plain words in
# six languages. (BANKING77 files questions on freezing a card under its fraud labels; analysis
# takes those readings out, lexicon_security.CARD_CONTROL_QUESTION.) The separation is not clean:
# an Italian "I can't get into the app" reads as a lost phone at 0.82 (HIGH, not URGENT).
SECURITY_MIN_CONFIDENCE = 0.6
# When no single fraud label reaches that bar, the four together must reach this one: split
# reports ("someone took cash with my card, which I still have") sum to 0.64-0.7 and more.
FRAUD_GROUP_MIN_CONFIDENCE = 0.65
# Two half-readings that agree are a report too: the guard leans towards one (below its own bar,
# intents.GUARD_MIN_CONFIDENCE) while the 77-way head's best class is a fraud label, the four
# together this likely. By 5-fold cross-validation (2026-12-07): 4 more of 1,064 hand-written
# reports and 1 more of 120 multilingual ones URGENT, for 1 more of 697 look-alikes; none of
# 9,204 BANKING77 rows. (0.2 or 0.25 with 0.4: 1 more report for 1-2 more look-alikes.)
AGREEING_GUARD = 0.3
AGREEING_FRAUD_GROUP = 0.4
# A lost card or phone (HIGH) needs more: "I bought a new phone, how do I log in on it?" reads as
# a lost phone at 0.74, while "I left my card in a taxi" scores 0.93.
LOST_MIN_CONFIDENCE = 0.85


@dataclass(frozen=True)
class EscalationPolicy:
    """Thresholds and switches for the four rules; built from app config in production."""

    unresolved_ticket_threshold: int = 2
    negative_threshold: float = -0.3  # sentiment score at or below counts as negative
    enabled_rules: frozenset[str] = frozenset(RULES)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> EscalationPolicy:
        """Build from ESCALATION_* settings; a bad value raises ValueError naming the key."""
        return cls(
            unresolved_ticket_threshold=_threshold(config.get("ESCALATION_UNRESOLVED_TICKETS")),
            negative_threshold=_negative(config.get("ESCALATION_NEGATIVE_THRESHOLD")),
            enabled_rules=_rules(config.get("ESCALATION_RULES")),
        )


@dataclass(frozen=True)
class Decision:
    """The policy's verdict for one message, with the reason shown to the agent."""

    escalate: bool
    rule: str | None  # one of RULES or None
    priority: str  # "LOW" | "MEDIUM" | "HIGH" | "URGENT"
    reason: str  # short human-readable reason for the agent, English


def _threshold(raw: Any) -> int:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return EscalationPolicy.unresolved_ticket_threshold
    # bool is an int subclass; True is not a ticket count.
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise ValueError(f"ESCALATION_UNRESOLVED_TICKETS must be an integer, got {raw!r}")
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"ESCALATION_UNRESOLVED_TICKETS must be an integer, got {raw!r}") from None
    if value < 1:
        # 0 would escalate every chat, which is "AI off", not a threshold.
        raise ValueError(f"ESCALATION_UNRESOLVED_TICKETS must be at least 1, got {value}")
    return value


def _negative(raw: Any) -> float:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return EscalationPolicy.negative_threshold
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise ValueError(f"ESCALATION_NEGATIVE_THRESHOLD must be a number, got {raw!r}")
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"ESCALATION_NEGATIVE_THRESHOLD must be a number, got {raw!r}") from None
    if not math.isfinite(value) or not -1.0 <= value <= 1.0:
        raise ValueError(
            f"ESCALATION_NEGATIVE_THRESHOLD must be between -1 and 1 (a VADER score), got {raw!r}"
        )
    return value


def _rules(raw: Any) -> frozenset[str]:
    # Unset or empty means every rule, matching config.py's ESCALATION_RULES default of "".
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return frozenset(RULES)
    if isinstance(raw, str):
        if raw.strip().lower() == "none":
            return frozenset()
        names = [part.strip() for part in raw.split(",") if part.strip()]
    elif isinstance(raw, list | tuple | set | frozenset):
        names = [str(part).strip() for part in raw]
    else:
        raise ValueError(f"ESCALATION_RULES must be a comma-separated string, got {raw!r}")
    unknown = sorted(set(names) - set(RULES))
    if unknown:
        raise ValueError(
            f"ESCALATION_RULES has unknown rule(s) {', '.join(unknown)}; "
            f"choose from {', '.join(RULES)} (or 'none')"
        )
    return frozenset(names)


_DEFAULT_POLICY = EscalationPolicy()  # frozen, so one shared default is safe


def security_report(analysis: Analysis) -> tuple[str, str, float] | None:
    """(class, priority, confidence) when the model read a security report, else None."""
    return read_security(
        analysis.model_best or analysis.intent_detail,
        analysis.confidence,
        analysis.coarse_confidence,
        analysis.security,
        analysis.security_confidence,
    )


def read_security(
    best: str | None,
    confidence: float,
    coarse_confidence: float,
    security: str | None,
    security_confidence: float,
) -> tuple[str, str, float] | None:
    """The one reading of the model's two heads as a security report (the cross-validation and
    the hold-out scoring call it too).

    The priority-keyword rule reads meaning too: the model recognised a fraud or security report
    in words no keyword knows ("a payment I don't recognise", "my card details were used online",
    "my e-mail was changed and it wasn't me"). A report is URGENT when the security guard reads
    fraud or an account takeover (a reading that has already given way to a sure 77-way label
    that is no report: intents.GUARD_YIELDS_TO), or when the 77-way head is sure of a fraud
    label, or sure enough that it is *one of* them (their summed confidence, a higher bar) while
    it hesitates between, say, compromised_card and cash_withdrawal_not_recognised: the agent's
    job is the same. Or when both heads half-read a report: the guard leans to one and the 77-way
    head's best class is a fraud label (AGREEING_GUARD, AGREEING_FRAUD_GROUP). A lost card or
    phone is HIGH and needs its own label's higher bar.
    best is the 77-way head's best class, confident or not (an Analysis made without it, in tests
    or replays, passes its intent_detail). A question on freezing the card has had its fraud
    readings taken out by analysis.analyse (Analysis.card_control_question).
    """
    if security == ACCOUNT_TAKEOVER:
        return ACCOUNT_TAKEOVER, "URGENT", security_confidence
    if security == GUARD_FRAUD:
        return best if best in FRAUD_INTENTS else "fraud_report", "URGENT", security_confidence
    if best is None or best not in SECURITY_INTENTS:
        return None
    if best in FRAUD_INTENTS:
        if confidence >= SECURITY_MIN_CONFIDENCE:
            return best, "URGENT", confidence
        if coarse_confidence >= FRAUD_GROUP_MIN_CONFIDENCE:
            return best, "URGENT", coarse_confidence
        if security_confidence >= AGREEING_GUARD and coarse_confidence >= AGREEING_FRAUD_GROUP:
            return best, "URGENT", coarse_confidence
        return None
    if confidence >= LOST_MIN_CONFIDENCE:
        return best, "HIGH", confidence
    return None


def decide(
    analysis: Analysis, *, unresolved_tickets: int, policy: EscalationPolicy = _DEFAULT_POLICY
) -> Decision:
    """Whether to hand this chat to a human, by the first enabled rule that matches."""
    rules = policy.enabled_rules
    keywords = analysis.priority_keywords
    security = security_report(analysis) if "priority_keyword" in rules else None
    if "priority_keyword" in rules and keywords:
        # A milder keyword ("scam", "lost card") does not hide what the model read: a caller
        # who talked the customer into moving money is URGENT, whatever word came first.
        urgent = any(k in _URGENT_KEYWORDS for k in keywords) or (
            security is not None and security[1] == "URGENT"
        )
        return Decision(
            escalate=True,
            rule="priority_keyword",
            priority="URGENT" if urgent else "HIGH",
            reason=f"High-priority keywords: {', '.join(keywords)}",
        )
    if security is not None:
        label, priority, confidence = security
        return Decision(
            escalate=True,
            rule="priority_keyword",
            priority=priority,
            reason=f"Security report: {label.replace('_', ' ')} (confidence {confidence:.2f})",
        )
    if "human_request" in rules and analysis.human_request:
        return Decision(True, "human_request", "MEDIUM", "Customer asked to speak to a person")
    sentiment = analysis.sentiment.score
    issue = f"{analysis.complexity}-complexity {analysis.intent.replace('_', ' ')} issue"
    # A threat to sue or go to a regulator is a complaint for a person even when it is written
    # calmly ("I will be contacting the Financial Ombudsman") and VADER reads it as neutral.
    if "negative_complex" in rules and analysis.legal_threat:
        return Decision(
            escalate=True,
            rule="negative_complex",
            priority="HIGH",
            reason=f"Legal or regulatory threat (sentiment {sentiment:+.2f}) on a {issue}",
        )
    if "negative_complex" in rules and analysis.complexity in {"medium", "high"}:
        if sentiment <= policy.negative_threshold:
            reason = f"Negative sentiment ({sentiment:+.2f}) on a {issue}"
        elif analysis.complaint > 0:
            # VADER reads English words one by one: sarcasm, capitals and the other five
            # languages' anger pass as calm. The model's complaint head reads the whole message.
            reason = f"Angry complaint (sentiment {sentiment:+.2f}) on a {issue}"
        else:
            reason = ""
        if reason:
            return Decision(escalate=True, rule="negative_complex", priority="HIGH", reason=reason)
    if "unresolved_tickets" in rules and unresolved_tickets >= policy.unresolved_ticket_threshold:
        return Decision(
            escalate=True,
            rule="unresolved_tickets",
            priority="MEDIUM",
            reason=f"Customer has {unresolved_tickets} unresolved tickets",
        )
    return Decision(escalate=False, rule=None, priority="LOW", reason="No escalation rule matched")

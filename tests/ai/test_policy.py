"""The escalation policy: the four rules, their order, switches and configuration."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from livechat.ai.analysis import Analysis, Sentiment, analyse
from livechat.ai.policy import RULES, Decision, EscalationPolicy, decide


def make(**changes: Any) -> Analysis:
    """A calm, simple, general message; tests change only what they are about."""
    base = Analysis(
        intent="general",
        sentiment=Sentiment(score=0.0, label="neutral"),
        complexity="low",
        language="en",
        human_request=False,
        priority_keywords=(),
        legal_threat=False,
    )
    return dataclasses.replace(base, **changes)


def negative(score: float = -0.6) -> Sentiment:
    return Sentiment(score=score, label="negative")


# --- one test per rule ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("keywords", "priority"),
    [
        (("fraud",), "URGENT"),
        (("stolen",), "URGENT"),
        (("hacked",), "URGENT"),
        (("unauthorized",), "URGENT"),
        (("account takeover",), "URGENT"),
        (("identity theft",), "URGENT"),
        (("chargeback",), "HIGH"),
        (("lost card",), "HIGH"),
        (("scam",), "HIGH"),
        (("phishing",), "HIGH"),
        (("phishing", "hacked"), "URGENT"),
    ],
)
def test_priority_keyword_rule(keywords: tuple[str, ...], priority: str) -> None:
    d = decide(make(priority_keywords=keywords), unresolved_tickets=0)
    assert (d.escalate, d.rule, d.priority) == (True, "priority_keyword", priority)
    assert all(k in d.reason for k in keywords)


# The model's reading of a security report (policy.security_report): the security guard's sure
# reading of fraud or a takeover is URGENT; so is the 77-way head's fraud label when it, or the
# fraud classes together, are sure enough, or when the guard leans to a report as well; a lost
# card or phone is HIGH on its own bar.
@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {
                "model_best": "cash_withdrawal_not_recognised",
                "confidence": 0.45,
                "coarse_confidence": 0.7,
            },
            "URGENT",
        ),
        # the guard's reading stands whatever the 77-way head thought
        (
            {
                "model_best": "passcode_forgotten",
                "confidence": 0.9,
                "security": "account_takeover",
                "security_confidence": 0.85,
            },
            "URGENT",
        ),
        (
            {
                "model_best": "edit_personal_details",
                "security": "fraud",
                "security_confidence": 0.6,
            },
            "URGENT",
        ),
        ({"security": "fraud", "security_confidence": 0.6}, "URGENT"),  # no model_best
        # the guard unsure (no reading) leaves it to the 77-way head
        (
            {
                "model_best": "passcode_forgotten",
                "confidence": 0.99,
                "security": None,
                "security_confidence": 0.45,
            },
            None,
        ),
        ({"model_best": "card_payment_not_recognised", "confidence": 0.62}, "URGENT"),
        ({"intent_detail": "compromised_card", "confidence": 0.9}, "URGENT"),  # no model_best
        # summed, the fraud classes need more than one class alone ("how do I freeze my card?")
        ({"model_best": "compromised_card", "confidence": 0.45, "coarse_confidence": 0.62}, None),
        # ... unless the guard leans to a report too: two half-readings that agree
        (
            {
                "model_best": "cash_withdrawal_not_recognised",
                "confidence": 0.3,
                "coarse_confidence": 0.44,
                "security_confidence": 0.48,
            },
            "URGENT",
        ),
        (  # the guard leaning alone, on a label that is no fraud, is nothing
            {
                "model_best": "card_payment_fee_charged",
                "confidence": 0.4,
                "coarse_confidence": 0.5,
                "security_confidence": 0.48,
            },
            None,
        ),
        (  # both must lean: the guard at 0.29, or the fraud classes at 0.39, is no agreement
            {
                "model_best": "compromised_card",
                "confidence": 0.3,
                "coarse_confidence": 0.44,
                "security_confidence": 0.29,
            },
            None,
        ),
        (
            {
                "model_best": "compromised_card",
                "confidence": 0.3,
                "coarse_confidence": 0.39,
                "security_confidence": 0.48,
            },
            None,
        ),
        ({"model_best": "lost_or_stolen_phone", "confidence": 0.9}, "HIGH"),
        (
            {"model_best": "lost_or_stolen_phone", "confidence": 0.8, "coarse_confidence": 0.95},
            None,
        ),
        ({"model_best": "passcode_forgotten", "confidence": 0.99}, None),
        ({"model_best": "not_a_label", "confidence": 1.0, "coarse_confidence": 1.0}, None),
        ({"model_best": "", "confidence": 1.0}, None),
    ],
)
def test_security_reports_read_by_the_model(changes: dict[str, Any], expected: str | None) -> None:
    d = decide(make(**changes), unresolved_tickets=0)
    if expected is None:
        assert d.escalate is False
    else:
        assert (d.escalate, d.rule, d.priority) == (True, "priority_keyword", expected)
        assert "Security report" in d.reason


def test_a_milder_keyword_does_not_hide_a_fraud_report_the_model_read() -> None:
    takeover = {"security": "account_takeover", "security_confidence": 0.9}
    d = decide(make(priority_keywords=("scam",), **takeover), unresolved_tickets=0)
    assert (d.rule, d.priority) == ("priority_keyword", "URGENT") and "scam" in d.reason
    lost = {"model_best": "lost_or_stolen_card", "confidence": 0.95}
    d = decide(make(priority_keywords=("lost card",), **lost), unresolved_tickets=0)
    assert d.priority == "HIGH"
    off = EscalationPolicy(enabled_rules=frozenset({"human_request"}))
    assert decide(make(**takeover), unresolved_tickets=0, policy=off).escalate is False


def test_human_request_rule() -> None:
    d = decide(make(human_request=True, intent="human_request"), unresolved_tickets=0)
    assert d == Decision(True, "human_request", "MEDIUM", d.reason)
    assert "person" in d.reason


@pytest.mark.parametrize("complexity", ["medium", "high"])
def test_negative_complex_rule(complexity: str) -> None:
    d = decide(make(sentiment=negative(), complexity=complexity), unresolved_tickets=0)
    assert (d.escalate, d.rule, d.priority) == (True, "negative_complex", "HIGH")
    assert "-0.60" in d.reason


@pytest.mark.parametrize("score", [0.5, 0.0, -0.9])
def test_a_legal_threat_is_negative_complex_however_calm(score: float) -> None:
    threat = make(sentiment=Sentiment(score, "neutral"), legal_threat=True, intent="fees")
    d = decide(threat, unresolved_tickets=0)
    assert (d.escalate, d.rule, d.priority) == (True, "negative_complex", "HIGH")
    assert "Legal or regulatory threat" in d.reason
    assert "low-complexity fees issue" in d.reason
    off = EscalationPolicy(enabled_rules=frozenset(RULES) - {"negative_complex"})
    assert decide(threat, unresolved_tickets=0, policy=off).escalate is False


@pytest.mark.parametrize(
    ("complaint", "complexity", "escalates"),
    [
        (0.4, "high", True),
        (0.4, "medium", True),
        (0.4, "low", False),  # "you're useless" alone is no complex issue
        (0.0, "high", False),  # the head's margin must be above 0
        (-0.8, "high", False),
    ],
)
def test_an_angry_complaint_the_model_reads_is_negative_complex(
    complaint: float, complexity: str, escalates: bool
) -> None:
    # VADER read it as calm (sarcasm, capitals, another language): the complaint head did not.
    d = decide(
        make(sentiment=Sentiment(0.37, "positive"), complexity=complexity, complaint=complaint),
        unresolved_tickets=0,
    )
    if escalates:
        assert (d.escalate, d.rule, d.priority) == (True, "negative_complex", "HIGH")
        assert d.reason.startswith("Angry complaint (sentiment +0.37)")
    else:
        assert d.escalate is False


def test_negative_sentiment_keeps_its_reason_when_the_head_agrees() -> None:
    d = decide(make(sentiment=negative(), complexity="high", complaint=0.9), unresolved_tickets=0)
    assert d.reason.startswith("Negative sentiment (-0.60)")


def test_negative_but_simple_stays_with_the_assistant() -> None:
    d = decide(make(sentiment=negative(-0.9), complexity="low"), unresolved_tickets=0)
    assert d.escalate is False


def test_negative_threshold_is_inclusive() -> None:
    at = make(sentiment=negative(-0.3), complexity="medium")
    above = make(sentiment=negative(-0.29), complexity="medium")
    assert decide(at, unresolved_tickets=0).rule == "negative_complex"
    assert decide(above, unresolved_tickets=0).escalate is False


def test_unresolved_tickets_rule() -> None:
    d = decide(make(), unresolved_tickets=2)
    assert (d.escalate, d.rule, d.priority) == (True, "unresolved_tickets", "MEDIUM")
    assert "2 unresolved" in d.reason
    assert decide(make(), unresolved_tickets=1).escalate is False
    assert decide(make(), unresolved_tickets=7).rule == "unresolved_tickets"


def test_no_escalation() -> None:
    d = decide(make(sentiment=Sentiment(0.8, "positive")), unresolved_tickets=0)
    assert d == Decision(False, None, "LOW", d.reason)
    assert d.reason


# --- order and switches --------------------------------------------------------------------------


def test_rule_order() -> None:
    everything = make(
        priority_keywords=("scam",),
        human_request=True,
        sentiment=negative(),
        complexity="high",
    )
    assert decide(everything, unresolved_tickets=5).rule == "priority_keyword"
    no_keyword = dataclasses.replace(everything, priority_keywords=())
    assert decide(no_keyword, unresolved_tickets=5).rule == "human_request"
    calm_words = dataclasses.replace(no_keyword, human_request=False)
    assert decide(calm_words, unresolved_tickets=5).rule == "negative_complex"
    simple = dataclasses.replace(calm_words, complexity="low")
    assert decide(simple, unresolved_tickets=5).rule == "unresolved_tickets"


def test_disabled_rules_are_skipped() -> None:
    everything = make(
        priority_keywords=("fraud",),
        human_request=True,
        sentiment=negative(),
        complexity="high",
    )
    only_tickets = EscalationPolicy(enabled_rules=frozenset({"unresolved_tickets"}))
    assert decide(everything, unresolved_tickets=3, policy=only_tickets).rule == (
        "unresolved_tickets"
    )
    assert decide(everything, unresolved_tickets=0, policy=only_tickets).escalate is False
    no_keywords = EscalationPolicy(enabled_rules=frozenset(RULES) - {"priority_keyword"})
    assert decide(everything, unresolved_tickets=0, policy=no_keywords).rule == "human_request"
    nothing = EscalationPolicy(enabled_rules=frozenset())
    assert decide(everything, unresolved_tickets=9, policy=nothing) == Decision(
        False, None, "LOW", "No escalation rule matched"
    )


def test_custom_thresholds() -> None:
    strict = EscalationPolicy(unresolved_ticket_threshold=4, negative_threshold=-0.7)
    assert decide(make(), unresolved_tickets=3, policy=strict).escalate is False
    assert decide(make(), unresolved_tickets=4, policy=strict).rule == "unresolved_tickets"
    upset = make(sentiment=negative(-0.6), complexity="medium")
    assert decide(upset, unresolved_tickets=0, policy=strict).escalate is False


# --- configuration -------------------------------------------------------------------------------


def test_from_config_defaults() -> None:
    assert EscalationPolicy.from_config({}) == EscalationPolicy()
    # config.py's defaults: ESCALATION_RULES is "" when unset, meaning every rule.
    cfg = {
        "ESCALATION_UNRESOLVED_TICKETS": 2,
        "ESCALATION_NEGATIVE_THRESHOLD": -0.3,
        "ESCALATION_RULES": "",
    }
    assert EscalationPolicy.from_config(cfg) == EscalationPolicy()


def test_from_config_values() -> None:
    p = EscalationPolicy.from_config(
        {
            "ESCALATION_UNRESOLVED_TICKETS": "3",
            "ESCALATION_NEGATIVE_THRESHOLD": "-0.5",
            "ESCALATION_RULES": " human_request , priority_keyword ",
        }
    )
    assert p.unresolved_ticket_threshold == 3
    assert p.negative_threshold == -0.5
    assert p.enabled_rules == frozenset({"human_request", "priority_keyword"})
    assert EscalationPolicy.from_config({"ESCALATION_RULES": "none"}).enabled_rules == frozenset()
    assert (
        EscalationPolicy.from_config({"ESCALATION_NEGATIVE_THRESHOLD": 0}).negative_threshold == 0
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("ESCALATION_UNRESOLVED_TICKETS", "two"),
        ("ESCALATION_UNRESOLVED_TICKETS", "2.5"),
        ("ESCALATION_UNRESOLVED_TICKETS", "0"),
        ("ESCALATION_UNRESOLVED_TICKETS", -1),
        ("ESCALATION_UNRESOLVED_TICKETS", True),
        ("ESCALATION_UNRESOLVED_TICKETS", 2.0),
        ("ESCALATION_NEGATIVE_THRESHOLD", "very negative"),
        ("ESCALATION_NEGATIVE_THRESHOLD", "-1.5"),
        ("ESCALATION_NEGATIVE_THRESHOLD", 2),
        ("ESCALATION_NEGATIVE_THRESHOLD", "nan"),
        ("ESCALATION_NEGATIVE_THRESHOLD", False),
        ("ESCALATION_RULES", "human_request,bogus"),
        ("ESCALATION_RULES", "everything"),
        ("ESCALATION_RULES", 3),
    ],
)
def test_from_config_rejects_bad_values(key: str, value: Any) -> None:
    with pytest.raises(ValueError, match=key):
        EscalationPolicy.from_config({key: value})


def test_unknown_rule_message_lists_the_choices() -> None:
    with pytest.raises(ValueError) as exc:
        EscalationPolicy.from_config({"ESCALATION_RULES": "human_request,sentiment"})
    assert "sentiment" in str(exc.value)
    assert all(rule in str(exc.value) for rule in RULES)


# --- with the real analysers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tickets", "rule", "priority"),
    [
        ("Someone hacked my account!", 0, "priority_keyword", "URGENT"),
        ("I lost my card at the airport", 0, "priority_keyword", "HIGH"),
        ("someone got into my account and moved money", 0, "priority_keyword", "URGENT"),
        ("alguien entró en mi cuenta y sacó dinero", 0, "priority_keyword", "URGENT"),
        ("quelqu'un s'est connecté à mon compte", 0, "priority_keyword", "URGENT"),
        ("jemand hat sich in mein Konto eingeloggt", 0, "priority_keyword", "URGENT"),
        ("alguém entrou na minha conta", 0, "priority_keyword", "URGENT"),
        ("qualcuno è entrato nel mio conto", 0, "priority_keyword", "URGENT"),
        ("nobody got into my account, I just forgot my password", 0, None, "LOW"),
        ("Quiero hablar con una persona", 0, "human_request", "MEDIUM"),
        ("I don't want the bot, I need a human", 0, "human_request", "MEDIUM"),
        ("I don't need a human, just tell me the fee", 0, None, "LOW"),
        ("no quiero hablar con una persona", 0, None, "LOW"),
        ("pas besoin d'un conseiller", 0, None, "LOW"),
        ("ich brauche keinen Mitarbeiter", 0, None, "LOW"),
        ("não preciso falar com um atendente", 0, None, "LOW"),
        ("non serve un operatore", 0, None, "LOW"),
        (
            "This is ridiculous. My transfer of €300 has been pending since Monday and nobody "
            "answers my emails. I'm furious.",
            0,
            "negative_complex",
            "HIGH",
        ),
        ("Any news on my case?", 2, "unresolved_tickets", "MEDIUM"),
        ("I'm taking this to the Financial Ombudsman", 0, "negative_complex", "HIGH"),
        ("Voy a reclamar ante el Banco de España", 0, "negative_complex", "HIGH"),
        ("Je vais saisir le médiateur", 0, "negative_complex", "HIGH"),
        ("Ich werde Sie verklagen", 0, "negative_complex", "HIGH"),
        ("Vou reclamar no Procon", 0, "negative_complex", "HIGH"),
        ("Farò ricorso all'Arbitro Bancario Finanziario", 0, "negative_complex", "HIGH"),
        ("is Acme Pay regulated by the FCA?", 0, None, "LOW"),
        ("my lawyer asked for a statement, how do I download one?", 0, None, "LOW"),
        (
            "Your exchange rate is a total rip-off, I lost 40 euros on one payment, this is "
            "daylight robbery",
            0,
            "negative_complex",
            "HIGH",
        ),
        (
            "The rate you gave me was awful, way worse than the real rate, I want my money back",
            0,
            "negative_complex",
            "HIGH",
        ),
        ("Your exchange rate is a rip-off", 0, None, "LOW"),
        ("this app is terrible", 0, None, "LOW"),
        ("Are you a bot?", 0, None, "LOW"),
        ("Can I use my card in Japan?", 0, None, "LOW"),
    ],
)
def test_end_to_end(text: str, tickets: int, rule: str | None, priority: str) -> None:
    d = decide(analyse(text), unresolved_tickets=tickets)
    assert (d.rule, d.priority, d.escalate) == (rule, priority, rule is not None)

"""Pure helpers of an AI turn: the prompt (redacted, within budget), the analysis, the packet."""

from __future__ import annotations

from typing import Any

from livechat.ai import intents
from livechat.ai.analysis import Analysis, to_dict
from livechat.ai.prompts import system_prompt
from livechat.ai.providers import Prompt
from livechat.redaction import redact

_ROLES = {"USER": "user", "AI": "assistant", "AGENT": "assistant"}
PACKET_MESSAGES = 12
PACKET_CHARS = 3000


def _tokens(text: str) -> int:
    return len(text) // 4 + 1  # a rough, provider-neutral estimate


def _redact_values(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_values(v) for v in value]
    return value


# Words that describe each intent in the knowledge base's vocabulary: a short question that
# names only a broad topic ("how do fees work?") still finds its article.
INTENT_QUERIES = {
    "fraud_report": "fraud suspicious transaction phishing",
    "card_issue": "card declined freeze activate",
    "payment_issue": "transfer payment sepa international",
    "account_access": "log in password reset two-factor",
    "kyc": "identity verification documents kyc",
    "fees": "fees plans atm withdrawals",
    "refund": "refund dispute chargeback merchant",
}


def find_passages(
    knowledge: Any, question: str, intent: str, detail: str | None = None
) -> list[Any]:
    """Retrieval with the model's intent and BM25 together, else BM25 and the intent's words.

    ``detail`` is the model's confident BANKING77 label: the article that answers it comes first,
    BM25 fills the other places. Without one, BM25 alone, retried with the coarse intent's words.
    The question is searched with the English glosses of its words (intents.with_glosses): the
    articles are English, and a Spanish or German question finds its article by them.
    """
    question = intents.with_glosses(question)
    if detail:
        return list(knowledge.search(question, k=3, intent=detail))
    passages = knowledge.search(question, k=3)
    if not passages and intent in INTENT_QUERIES:
        passages = knowledge.search(f"{question} {INTENT_QUERIES[intent]}", k=3)
    return passages


def build_prompt(
    orchestrator: Any, ctx: Any, language: str, intent: str, detail: str | None = None
) -> Prompt:
    """Only this customer's data, redacted before it leaves; history trimmed to the budget."""
    question = redact("\n".join(t for _, t, _ in ctx.pending))
    passages = find_passages(orchestrator.knowledge, question, intent, detail)
    profile = orchestrator.context_provider.customer_context(ctx.user_id, ctx.profile)
    history: list[dict[str, str]] = []
    budget = orchestrator.history_tokens
    for sender_type, content, _seq in reversed(ctx.history):
        role = _ROLES.get(sender_type)
        if role is None:
            continue  # system notices are for the customer, not the model
        text = redact(content)
        budget -= _tokens(text)
        if budget < 0 and history:
            break
        history.insert(0, {"role": role, "content": text})
    return Prompt(
        language=language,
        system=system_prompt(
            language, _redact_values(profile), _redact_values(ctx.open_tickets), passages
        ),
        history=history,
        question=question,
        passages=passages,
    )


# Who produced a turn's analysis, stored with it so the agent's sidebar can say so.
ANALYSED_BY = "local"


def turn_analysis(local: Analysis) -> dict[str, Any]:
    """The turn's one analysis as stored and shown: what the escalation rules decided on."""
    return {**to_dict(local), "analysedBy": ANALYSED_BY}


def handoff_packet(ctx: Any, found: dict[str, Any], reason: str, detail: str) -> str:
    """What the agent reads first: why, what the customer wants, and the recent conversation."""
    sentiment = found.get("sentiment") or {}
    lines = [
        f"Handed over: {reason} ({detail})",
        f"Intent: {found.get('intent')}; sentiment: {sentiment.get('label')} "
        f"({sentiment.get('score')}); complexity: {found.get('complexity')}; "
        f"language: {found.get('language')}",
        f"Customer: {ctx.user_id}; unresolved tickets: {ctx.unresolved_tickets}",
        "",
        "Recent conversation:",
    ]
    for sender_type, content, seq in ctx.history[-PACKET_MESSAGES:]:
        lines.append(f"#{seq} [{sender_type}] {content}")
    packet = "\n".join(lines)
    return packet if len(packet) <= PACKET_CHARS else packet[: PACKET_CHARS - 1] + "…"

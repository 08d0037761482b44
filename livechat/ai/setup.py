"""Build the assistant for an app: knowledge base, provider, context, policy, orchestrator."""

from __future__ import annotations

from flask import Flask

from config import ConfigError
from livechat import runtime


def init_ai(app: Flask) -> None:
    from livechat.ai.analysis import analyse
    from livechat.ai.context import build_context_provider
    from livechat.ai.knowledge import KnowledgeBase, KnowledgeBaseError
    from livechat.ai.orchestrator import Orchestrator
    from livechat.ai.policy import EscalationPolicy
    from livechat.ai.providers import build_provider

    cfg = app.config
    # Load the language profiles and sentiment lexicon now, not during a customer's first chat.
    analyse("warm up the analysers")
    try:
        knowledge = KnowledgeBase.load(cfg.get("KNOWLEDGE_BASE_DIR"))
        policy = EscalationPolicy.from_config(cfg)
    except (KnowledgeBaseError, ValueError) as exc:
        raise ConfigError(str(exc)) from exc
    orchestrator = Orchestrator(
        app,
        build_provider(cfg, knowledge),
        knowledge,
        build_context_provider(cfg.get("CUSTOMER_CONTEXT_URL")),
        policy,
    )
    runtime.orchestrator.set(app, orchestrator)
    if cfg["AI_WORKER"] == "external" and orchestrator.enabled:
        from livechat.ai.worker import RemoteAssistant

        # This process hands turns to `flask livechat assistant` (which swaps this back).
        runtime.assistant_dispatch.set(app, RemoteAssistant(app))
    else:
        runtime.assistant_dispatch.set(app, orchestrator)

"""Build the assistant for an app: knowledge base, provider, context, policy, orchestrator."""

from __future__ import annotations

from flask import Flask

from config import ConfigError


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
    app.extensions["livechat.ai"] = orchestrator
    if cfg["AI_WORKER"] == "external" and orchestrator.enabled:
        from livechat.ai.worker import RemoteAssistant

        # This process hands turns to `flask livechat assistant` (which swaps this back).
        app.extensions["livechat.ai.dispatch"] = RemoteAssistant(app)
    else:
        app.extensions["livechat.ai.dispatch"] = orchestrator

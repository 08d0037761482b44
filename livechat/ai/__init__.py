"""The AI assistant: orchestrator, providers, analysis and policy, prompts, redaction."""

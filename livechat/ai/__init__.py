"""The AI assistant: orchestrator (greenlets), providers, analysis and policy, prompts, redaction."""

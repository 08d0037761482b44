"""AI providers behind one small interface: stream a reply (the analysis is local, see turns)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol


class ProviderError(Exception):
    """The provider could not answer; ``code`` is what the room's ai:error carries."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Prompt:
    """Everything a provider may use for one turn (already redacted)."""

    language: str
    system: str
    history: list[dict[str, str]]  # {"role": "user"|"assistant", "content"}, oldest first
    question: str  # the customer's latest message(s)
    passages: list[Any] = field(default_factory=list)  # knowledge.Passage


@dataclass
class Reply:
    """Filled in while a reply streams: the text so far, then usage and what it cited."""

    text: str = ""
    usage: dict[str, int] = field(default_factory=dict)
    model: str = ""
    sources: list[str] = field(default_factory=list)


class Provider(Protocol):
    name: str
    model: str

    def stream(self, prompt: Prompt, reply: Reply, deadline: float) -> Iterator[str]:
        """Yield text deltas until done (monotonic ``deadline``); raise ProviderError on failure."""


def build_provider(config: Any, knowledge: Any) -> Provider:
    """The provider named by AI_PROVIDER."""
    if config["AI_PROVIDER"] == "openai":
        from livechat.ai.providers.openai_provider import OpenAIProvider

        return OpenAIProvider(
            api_key=config.get("OPENAI_API_KEY"),
            base_url=config.get("OPENAI_BASE_URL"),
            model=config["OPENAI_MODEL"],
            read_timeout=config["AI_READ_TIMEOUT"],
            max_retries=config["AI_MAX_RETRIES"],
        )
    from livechat.ai.providers.offline import OfflineProvider

    return OfflineProvider(chunk_delay=config["AI_OFFLINE_CHUNK_DELAY"])

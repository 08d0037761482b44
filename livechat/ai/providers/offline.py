"""The offline provider: deterministic answers from the knowledge base, streamed like a model's."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import gevent

from livechat.ai.prompts import notice
from livechat.ai.providers import Prompt, ProviderError, Reply

_GREETING = re.compile(
    r"^\W*(hi|hello|hey|hola|bonjour|salut|hallo|guten tag|olá|ola|oi|ciao|buongiorno)\W*$",
    re.IGNORECASE,
)
_THANKS = re.compile(
    r"^\W*(thanks?( you)?|thx|gracias|merci|danke|obrigad[oa]|grazie)\b[\w\s!.]*$", re.IGNORECASE
)


class OfflineProvider:
    """No network, no key: retrieval over the knowledge base, plain about what it does not know."""

    name = "offline"
    model = "offline-kb"

    def __init__(self, chunk_delay: float = 0.02) -> None:
        self._delay = chunk_delay

    def compose(self, prompt: Prompt) -> tuple[str, list[str]]:
        """The whole answer and the article titles it cites (deterministic)."""
        lang, question = prompt.language, prompt.question.strip()
        if _GREETING.match(question):
            return notice(lang, "greeting"), []
        if _THANKS.match(question):
            return notice(lang, "thanks"), []
        if not prompt.passages:
            return notice(lang, "unknown"), []
        best = prompt.passages[0]
        parts = [notice(lang, "found"), "", _unwrap(best.text)]
        titles = [best.title]
        second = next((p for p in prompt.passages[1:] if p.title != best.title), None)
        if second is not None and second.score >= best.score * 0.8:
            parts += ["", _unwrap(second.text)]
            titles.append(second.title)
        parts += ["", notice(lang, "more"), "", f"{notice(lang, 'source')}: {'; '.join(titles)}"]
        return "\n".join(parts), titles

    def stream(self, prompt: Prompt, reply: Reply, deadline: float) -> Iterator[str]:
        text, titles = self.compose(prompt)
        reply.model, reply.sources = self.model, titles
        for chunk in re.findall(r"\S+\s*|\s+", text):
            if time.monotonic() > deadline:
                raise ProviderError("ai_timeout", "The assistant took too long.")
            reply.text += chunk
            yield chunk
            gevent.sleep(self._delay)  # stream at a readable pace and let others run
        reply.usage = {"completion_tokens": len(text.split()), "prompt_tokens": 0}


def _unwrap(text: str) -> str:
    """Join the article's hard-wrapped lines; keep paragraphs, list items and headings."""
    out: list[str] = []
    for line in text.strip().split("\n"):
        continues = (
            out
            and out[-1].strip()
            and line.strip()
            and not _BLOCK_START.match(line)
            and not out[-1].lstrip().startswith("#")
        )
        if continues:
            out[-1] += " " + line.strip()
        else:
            out.append(line)
    return "\n".join(out)


_BLOCK_START = re.compile(r"\s*(?:[-*] |\d+\. |#)")

"""Customer context for the assistant: the signed-in customer's own account data, nothing else.

A host app plugs in its own account lookup with CUSTOMER_CONTEXT_URL; by default the context is
the ``profile`` stored on the user.
"""

from __future__ import annotations

import json
import logging
import urllib.parse
import urllib.request
from typing import Any, Protocol

log = logging.getLogger(__name__)

MAX_CONTEXT_BYTES = 4096


class ContextProvider(Protocol):
    def customer_context(self, user_id: str, stored_profile: dict[str, Any]) -> dict[str, Any]:
        """Account context for ``user_id`` (only that customer's)."""


class ProfileContextProvider:
    """The profile stored on the user (set by the host app or an admin)."""

    def customer_context(self, user_id: str, stored_profile: dict[str, Any]) -> dict[str, Any]:
        return dict(stored_profile or {})


class HttpContextProvider:
    """GET <url>?userId=<uid> on the host app, which answers a JSON object; profile on failure."""

    def __init__(self, url: str, timeout: float = 2.0) -> None:
        self._url = url
        self._timeout = timeout

    def customer_context(self, user_id: str, stored_profile: dict[str, Any]) -> dict[str, Any]:
        sep = "&" if "?" in self._url else "?"
        url = f"{self._url}{sep}{urllib.parse.urlencode({'userId': user_id})}"
        try:
            with urllib.request.urlopen(url, timeout=self._timeout) as resp:  # noqa: S310
                raw = resp.read(MAX_CONTEXT_BYTES + 1)
            if len(raw) > MAX_CONTEXT_BYTES:
                raise ValueError("context too large")
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise ValueError("context is not a JSON object")
            return data
        except (OSError, ValueError) as exc:
            log.warning("customer context lookup failed (%s); using the stored profile", exc)
            return dict(stored_profile or {})


def build_context_provider(url: str | None) -> ContextProvider:
    return HttpContextProvider(url) if url else ProfileContextProvider()

"""Signed webhook notifications to the support team's systems, retried, never blocking a chat.

Each delivery is a POST of JSON ``{id, type, createdAt, data}`` with headers
``X-Livechat-Delivery`` (unique id: receivers drop repeats), ``X-Livechat-Timestamp`` (Unix
seconds: receivers refuse old ones) and ``X-Livechat-Signature: v1=<hex>``, the HMAC-SHA256 of
``"<timestamp>.<body>"`` under SUPPORT_WEBHOOK_SECRET.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from typing import Any

import gevent
from flask import Flask
from gevent.pool import Group

from livechat import runtime

log = logging.getLogger(__name__)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"v1={digest.hexdigest()}"


def verify(secret: str, timestamp: str, body: bytes, signature: str, tolerance: int = 300) -> bool:
    """What a receiver does: a fresh timestamp and a matching signature (constant-time)."""
    try:
        fresh = abs(time.time() - int(timestamp)) <= tolerance
    except ValueError:
        return False
    return fresh and hmac.compare_digest(sign(secret, timestamp, body), signature)


class WebhookSender:
    """Deliveries run in their own greenlets, with exponential backoff between attempts."""

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        attempts: int = 5,
        base_delay: float = 0.5,
        timeout: float = 5.0,
    ) -> None:
        self.url = url
        self._secret = secret
        self.attempts = attempts
        self.base_delay = base_delay
        self.timeout = timeout
        self._group = Group()

    def send(self, event_type: str, data: dict[str, Any]) -> str:
        """Queue one notification; returns its delivery id."""
        delivery_id = uuid.uuid4().hex
        body = json.dumps(
            {
                "id": delivery_id,
                "type": event_type,
                "createdAt": datetime.now(UTC).isoformat(),
                "data": data,
            },
            separators=(",", ":"),
        ).encode()
        self._group.spawn(self._deliver, delivery_id, body)
        return delivery_id

    def _deliver(self, delivery_id: str, body: bytes) -> bool:
        for attempt in range(self.attempts):
            timestamp = str(int(time.time()))
            request = urllib.request.Request(  # noqa: S310 - an http(s) URL from configuration
                self.url,
                data=body,
                method="POST",
                headers={
                    "Content-Type": "application/json",
                    "User-Agent": "livechat-webhook/1",
                    "X-Livechat-Delivery": delivery_id,
                    "X-Livechat-Timestamp": timestamp,
                    "X-Livechat-Signature": sign(self._secret, timestamp, body),
                },
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as resp:  # noqa: S310
                    if 200 <= resp.status < 300:
                        return True
            except (urllib.error.URLError, OSError) as exc:
                log.warning("webhook %s attempt %d failed: %s", delivery_id, attempt + 1, exc)
            gevent.sleep(self.base_delay * 2**attempt)
        log.error("webhook %s dropped after %d attempts", delivery_id, self.attempts)
        return False

    def join(self, timeout: float | None = None) -> None:
        self._group.join(timeout=timeout)

    def shutdown(self) -> None:
        self._group.kill(timeout=2)


def init_webhooks(app: Flask) -> None:
    """Send escalations to SUPPORT_WEBHOOK_URL when it is configured."""
    if not app.config.get("SUPPORT_WEBHOOK_URL"):
        return
    from livechat.listeners import webhooks

    runtime.webhook_sender.set(
        app, WebhookSender(app.config["SUPPORT_WEBHOOK_URL"], app.config["SUPPORT_WEBHOOK_SECRET"])
    )
    webhooks.register(runtime.bus(app))

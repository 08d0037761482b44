"""Domain events -> the support webhook (SUPPORT_WEBHOOK_URL)."""

from __future__ import annotations

from flask import current_app

from livechat.events import EventBus, SessionEscalated


def on_session_escalated(event: SessionEscalated) -> None:
    sender = current_app.extensions.get("livechat.webhook")
    if sender is not None:
        sender.send(
            "session.escalated",
            {"session": event.session, "reason": event.reason, "ticket": event.ticket},
        )


def register(bus: EventBus) -> None:
    bus.subscribe(SessionEscalated, on_session_escalated)

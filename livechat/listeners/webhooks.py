"""Domain events -> the support webhook (SUPPORT_WEBHOOK_URL)."""

from __future__ import annotations

from livechat import runtime
from livechat.events import EventBus, SessionEscalated, SessionSlaBreached


def on_session_escalated(event: SessionEscalated) -> None:
    sender = runtime.webhook_sender.find()
    if sender is not None:
        sender.send(
            "session.escalated",
            {"session": event.session, "reason": event.reason, "ticket": event.ticket},
        )


def on_sla_breached(event: SessionSlaBreached) -> None:
    sender = runtime.webhook_sender.find()
    if sender is not None:
        sender.send(
            "session.sla_breached",
            {
                "sessionId": event.session_id,
                "waitSeconds": event.wait_seconds,
                "priority": event.priority,
            },
        )


def register(bus: EventBus) -> None:
    bus.subscribe(SessionEscalated, on_session_escalated)
    bus.subscribe(SessionSlaBreached, on_sla_breached)

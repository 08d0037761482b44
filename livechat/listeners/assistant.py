"""Domain events -> the AI orchestrator: customer messages start turns; humans stop them."""

from __future__ import annotations

from flask import current_app

from livechat.events import (
    EventBus,
    MessagePosted,
    SessionAssigned,
    SessionEnded,
    SessionEscalated,
)


def on_message_posted(event: MessagePosted) -> None:
    if (
        event.message["senderType"] == "USER"
        and event.session_status == "ACTIVE"
        and event.agent_id is None
    ):
        current_app.extensions["livechat.ai"].customer_message(event.session_id)


def on_human_takes_over(event: SessionAssigned | SessionEscalated | SessionEnded) -> None:
    reason = {
        SessionAssigned: "agent_assigned",
        SessionEscalated: "escalated",
        SessionEnded: "session_ended",
    }[type(event)]
    current_app.extensions["livechat.ai"].stop(event.session_id, reason)


def register(bus: EventBus) -> None:
    bus.subscribe(MessagePosted, on_message_posted)
    for event_type in (SessionAssigned, SessionEscalated, SessionEnded):
        bus.subscribe(event_type, on_human_takes_over)

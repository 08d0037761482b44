"""Domain events -> the assistant: customer messages start turns; humans stop them.

The dispatch is the in-process orchestrator, or (AI_WORKER=external) the hand-over to the
assistant processes (livechat/ai/worker.py).
"""

from __future__ import annotations

from livechat import runtime
from livechat.events import (
    EventBus,
    MessagePosted,
    SessionAssigned,
    SessionEnded,
    SessionEscalated,
)
from livechat.services.rules import assistant_may_answer


def on_message_posted(event: MessagePosted) -> None:
    # The session's state as the message's own statement left it (no query after commit).
    if event.message["senderType"] == "USER" and assistant_may_answer(
        event.session_status, event.agent_id
    ):
        runtime.assistant_dispatch().customer_message(event.session_id)


def on_human_takes_over(event: SessionAssigned | SessionEscalated | SessionEnded) -> None:
    reason = {
        SessionAssigned: "agent_assigned",
        SessionEscalated: "escalated",
        SessionEnded: "session_ended",
    }[type(event)]
    runtime.assistant_dispatch().stop(event.session_id, reason)


def register(bus: EventBus) -> None:
    bus.subscribe(MessagePosted, on_message_posted)
    for event_type in (SessionAssigned, SessionEscalated, SessionEnded):
        bus.subscribe(event_type, on_human_takes_over)

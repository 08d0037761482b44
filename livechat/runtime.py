"""Typed access to the per-app objects that create_app() keeps in ``app.extensions``.

Each object has one slot here: the init function that builds it calls ``slot.set(app, obj)``,
everything else calls ``slot()`` (the current app's) or ``slot(app)``, and gets its real type
instead of an ``Any`` looked up by string.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar

from flask import Flask, current_app

if TYPE_CHECKING:
    # Types only: importing these modules here would import most of the app (and cycles).
    from livechat.ai.orchestrator import Orchestrator
    from livechat.ai.worker import RemoteAssistant
    from livechat.auth import TokenVerifier
    from livechat.directory import Directory
    from livechat.events.bus import EventBus
    from livechat.idle import IdleSweeper
    from livechat.metrics import Metrics
    from livechat.ratelimit import RateLimiter
    from livechat.realtime.presence import Presence
    from livechat.realtime.queue import QueueBroadcaster, SlaWatch
    from livechat.realtime.sweeper import TokenSweeper
    from livechat.realtime.typing import TypingTracker
    from livechat.routing import AgentRouter
    from livechat.webhooks import WebhookSender
    from livechat.writer import Autocommit, GroupCommitWriter

T = TypeVar("T")


class Slot(Generic[T]):
    """One ``app.extensions`` entry of type ``T``."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __call__(self, app: Flask | None = None) -> T:
        """The object of ``app`` (default: the current app); KeyError if it has none."""
        value: T = (app or current_app).extensions[self.key]
        return value

    def find(self, app: Flask | None = None) -> T | None:
        """The object, or None where the app has none (optional features)."""
        value: T | None = (app or current_app).extensions.get(self.key)
        return value

    def set(self, app: Flask, value: T) -> T:
        """Install ``value`` on ``app`` (init functions) and return it."""
        app.extensions[self.key] = value
        return value


bus: Slot[EventBus] = Slot("livechat.bus")
verifier: Slot[TokenVerifier] = Slot("livechat.verifier")
# Where team members' accounts and roles are managed (livechat/directory.py).
directory: Slot[Directory] = Slot("livechat.directory")
metrics: Slot[Metrics] = Slot("livechat.metrics")
rate_limiter: Slot[RateLimiter] = Slot("livechat.ratelimit")
# The in-process orchestrator, and where the assistant listeners hand turns: the orchestrator
# itself, or (AI_WORKER=external) the Redis channel of the assistant processes.
orchestrator: Slot[Orchestrator] = Slot("livechat.ai")
assistant_dispatch: Slot[Orchestrator | RemoteAssistant] = Slot("livechat.ai.dispatch")
presence: Slot[Presence] = Slot("livechat.presence")
typing_tracker: Slot[TypingTracker] = Slot("livechat.typing")
queue_broadcaster: Slot[QueueBroadcaster] = Slot("livechat.queue")
# Agents' statuses, the offline grace period and automatic routing (livechat/routing.py).
agent_router: Slot[AgentRouter] = Slot("livechat.router")
token_sweeper: Slot[TokenSweeper] = Slot("livechat.token_sweeper")
idle_sweeper: Slot[IdleSweeper] = Slot("livechat.idle_sweeper")
sla_watch: Slot[SlaWatch] = Slot("livechat.sla_watch")  # started by the first socket
webhook_sender: Slot[WebhookSender] = Slot("livechat.webhook")  # only with SUPPORT_WEBHOOK_URL
openapi_spec: Slot[dict[str, Any]] = Slot("livechat.openapi")  # built on first request
# The group-commit writer of messages and the autocommit helper (livechat/writer.py).
writer: Slot[GroupCommitWriter] = Slot("livechat.writer")
autocommit: Slot[Autocommit] = Slot("livechat.autocommit")

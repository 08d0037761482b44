"""The event bus: publish() queues on the DB session; after commit, subscribers get the events.

Events published in a transaction that rolls back are dropped, so no client is ever told about
state that was not stored (zulip's send_event_on_commit).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from livechat import runtime
from livechat.events.types import DomainEvent
from livechat.extensions import db

log = logging.getLogger(__name__)

Handler = Callable[[Any], None]
_PENDING_KEY = "livechat.pending_events"


class EventBus:
    """Per-app registry of handlers keyed by event type."""

    def __init__(self) -> None:
        self._handlers: dict[type[DomainEvent], list[Handler]] = defaultdict(list)

    def subscribe(self, event_type: type[DomainEvent], handler: Handler) -> None:
        self._handlers[event_type].append(handler)

    def deliver(self, event: DomainEvent) -> None:
        """Call every handler; one failing handler never stops the others (commit is done)."""
        for event_type, handlers in self._handlers.items():
            if isinstance(event, event_type):
                for handler in handlers:
                    try:
                        handler(event)
                    except Exception:
                        log.exception("listener %s failed on %s", handler, type(event).__name__)


def publish(event: DomainEvent) -> None:
    """Queue ``event`` for delivery when the current transaction commits."""
    db.session().info.setdefault(_PENDING_KEY, []).append(event)


def publish_committed(event: DomainEvent) -> None:
    """Deliver now: for changes the caller has already committed (an autocommit statement)."""
    bus = runtime.bus.find()
    if bus is not None:
        bus.deliver(event)


def _after_commit(session: Any) -> None:
    events = session.info.pop(_PENDING_KEY, None)
    if not events:
        return
    bus = runtime.bus.find()
    if bus is None:
        return
    for event in events:
        bus.deliver(event)


def _after_rollback(session: Any) -> None:
    session.info.pop(_PENDING_KEY, None)


def install() -> None:
    """Hook the bus into the Flask-SQLAlchemy session (once per process)."""
    if not sa.event.contains(db.session, "after_commit", _after_commit):
        sa.event.listen(db.session, "after_commit", _after_commit)
        sa.event.listen(db.session, "after_rollback", _after_rollback)

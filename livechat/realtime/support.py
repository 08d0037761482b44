"""Support namespace "/support": the agents' live queue and presence."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_socketio import ConnectionRefusedError, join_room

from livechat import runtime
from livechat.errors import DomainError, Forbidden
from livechat.metrics import metrics
from livechat.realtime.base import Client, EventNamespace, connect_identity, event_handler
from livechat.realtime.queue import MAX_INTERVAL_SECONDS, snapshot
from livechat.realtime.rooms import AGENTS_ROOM, user_room
from livechat.schemas.realtime import AgentStatusSchema
from livechat.services.users import Identity

# How long a connecting agent waits for the queue:updated its coming online asked for before
# it builds its own snapshot (the broadcast waits QueueBroadcaster's delay, 50 ms, first, or
# in a burst its interval, at most MAX_INTERVAL_SECONDS), with a second to build and send it.
_BROADCAST_WAIT = MAX_INTERVAL_SECONDS + 1.0


class SupportNamespace(EventNamespace):
    """Agents and admins only; customers are refused at connect."""

    def on_connect(self, auth: Any = None) -> None:
        identity = connect_identity(auth)
        refused = self.refusal(identity)
        if refused is not None:
            raise ConnectionRefusedError(refused.code, refused.to_dict())
        sid = request.sid  # type: ignore[attr-defined]
        runtime.sla_watch().start()
        # Expired tokens and staff the team no longer backs: also on a process with no "/" socket.
        runtime.token_sweeper().start()
        self.clients[sid] = Client(identity)
        metrics().sockets.labels(self.namespace).inc()
        join_room(AGENTS_ROOM)
        # This staff member's own sockets on /support (every tab, any process): what is theirs
        # alone goes here (session:assigned, notification:settings), and removal from the team
        # finds their sockets by it (push.py).
        join_room(user_room(identity.uid))
        presence = runtime.presence()
        came_online = presence.add(AGENTS_ROOM, identity.uid, sid)
        runtime.agent_router().agent_connected(identity.uid)
        # The queue as it is now, right after CONNECT. An agent coming online changes it for
        # every agent: this socket, in the agents' room already, waits for that one broadcast,
        # which realtime/handshake.py holds for it until CONNECT, instead of building a
        # snapshot of its own (over every agent online: O(N) per connect, O(N²) per burst).
        if came_online and runtime.queue_broadcaster().request_refresh().wait(_BROADCAST_WAIT):
            return
        self.send_once_connected(sid, "queue:updated", snapshot(presence))

    def on_disconnect(self, reason: Any = None) -> None:
        sid = request.sid  # type: ignore[attr-defined]
        client = self.clients.pop(sid, None)
        if client is None:
            return
        metrics().sockets.labels(self.namespace).dec()
        router = runtime.agent_router()
        # Seen before presence drops them: the offline sweep (any process) reads presence, then
        # last-seen, so it never finds them both gone and long unseen within the grace.
        router.statuses.seen(client.identity.uid)
        if runtime.presence().remove(AGENTS_ROOM, client.identity.uid, sid):
            router.agent_left(client.identity.uid)
            runtime.queue_broadcaster().request_refresh()

    def refusal(self, identity: Identity) -> DomainError | None:
        """Agents and admins only (at connect, and at every auth:refresh)."""
        return None if identity.role.is_staff else Forbidden("Agents and admins only.")

    @event_handler()
    def on_queue_get(self, client: Client, data: Any) -> dict[str, Any]:
        """Ask for the queue again (e.g. after a reconnect)."""
        return snapshot(runtime.presence())

    @event_handler(AgentStatusSchema())
    def on_agent_status(self, client: Client, data: dict[str, Any]) -> dict[str, Any]:
        """Set your status: available (routed to), away (not), offline (your chats go back)."""
        state = runtime.agent_router().set_status(client.identity.uid, data["status"])
        return {"status": state.status}

"""Whether an agent can take a chat now: the one place transfers (and routing) ask."""

from __future__ import annotations

from livechat import runtime

# livechat.realtime.rooms.AGENTS_ROOM (services may not import the transport; a test pins it).
AGENTS_ROOM = "agents"


def agent_available(agent_id: str) -> bool:
    """True while the agent may be handed chats. Until agents have a status of their own
    (available / away / offline, issue 18 branch i18-routing), "offline" means no connected
    ``/support`` socket: switch this one function to the status when that merges."""
    return bool(runtime.presence().sockets(AGENTS_ROOM, agent_id))

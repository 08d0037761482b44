"""Namespace and room names (one place, so emitters and joiners agree)."""

CHAT_NAMESPACE = "/"
SUPPORT_NAMESPACE = "/support"
AGENTS_ROOM = "agents"


def session_room(session_id: str) -> str:
    return f"session:{session_id}"


def user_room(user_id: str) -> str:
    """One user's sockets, on the namespace it is used with: on ``/`` a customer's (or agent's)
    chat sockets, on ``/support`` a staff member's own."""
    return f"user:{user_id}"


def session_staff_room(session_id: str) -> str:
    """The staff sockets that joined a session: its internal notes go here, never to
    ``session_room`` (which holds the customer's sockets too)."""
    return f"session-staff:{session_id}"

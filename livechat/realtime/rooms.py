"""Namespace and room names (one place, so emitters and joiners agree)."""

CHAT_NAMESPACE = "/"
SUPPORT_NAMESPACE = "/support"
AGENTS_ROOM = "agents"


def session_room(session_id: str) -> str:
    return f"session:{session_id}"


def user_room(user_id: str) -> str:
    return f"user:{user_id}"


def session_staff_room(session_id: str) -> str:
    """The staff sockets that joined a session: its internal notes go here, never to
    ``session_room`` (which holds the customer's sockets too)."""
    return f"session-staff:{session_id}"


def staff_room(user_id: str) -> str:
    """One staff member's sockets on ``/support`` (every tab, any process): what is theirs
    alone, such as a chat assigned to them or their own settings, goes here."""
    return f"staff:{user_id}"

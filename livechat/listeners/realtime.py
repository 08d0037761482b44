"""Domain events -> Socket.IO: what each committed change tells the rooms and the agents."""

from __future__ import annotations

from livechat import runtime
from livechat.events import (
    EventBus,
    MessagePosted,
    MessagesRead,
    NotePosted,
    NotificationSettingsChanged,
    SessionAssigned,
    SessionEnded,
    SessionEscalated,
    SessionRequeued,
    SessionSlaBreached,
    SessionTransferred,
    TeamMemberRemoved,
    TeamMemberRoleChanged,
)
from livechat.metrics import metrics, timer
from livechat.realtime import push


def on_message_posted(event: MessagePosted) -> None:
    message = event.message
    # The sender's message arrived: their typing indicator ends with it.
    runtime.typing_tracker().stop(event.session_id, message["senderId"])
    m = metrics()
    m.messages_stored.labels(message["senderType"]).inc()
    with timer(m.emit_seconds):
        push.to_session(event.session_id, "message:new", message)


def on_note_posted(event: NotePosted) -> None:
    # Staff only: the staff room of the session, never the session's room (the customer is in it).
    push.to_session_staff(event.session_id, "note:new", event.note)


def on_session_changed(
    event: SessionAssigned | SessionEnded | SessionEscalated | SessionRequeued | SessionTransferred,
) -> None:
    session = event.session
    push.to_session(
        event.session_id, "session:updated", {"session": session}, owner_id=session["userId"]
    )
    runtime.queue_broadcaster().request_refresh()


def on_session_escalated(event: SessionEscalated) -> None:
    metrics().escalations.labels(event.rule or event.reason).inc()
    push.to_agents(
        "session:escalated",
        {"session": event.session, "reason": event.reason, "ticket": event.ticket},
    )


def on_sla_breached(event: SessionSlaBreached) -> None:
    metrics().sla_breaches.labels(event.priority).inc()
    push.to_agents(
        "queue:sla_breached",
        {
            "sessionId": event.session_id,
            "waitSeconds": event.wait_seconds,
            "priority": event.priority,
        },
    )
    runtime.queue_broadcaster().request_refresh()  # the queue's items carry slaBreachedAt


def on_session_transferred(event: SessionTransferred) -> None:
    # The note is for agents only: the room (the customer) got the session without it.
    push.to_agents(
        "session:transferred",
        {"session": event.staff_session, "transfer": event.staff_session.get("transfer")},
    )


def on_session_assigned(event: SessionAssigned) -> None:
    # The assignee's own consoles only: the agents' room learns of it from queue:updated. Sent
    # for their own assignments too (their other tabs); ``by`` tells the console not to notify.
    push.to_staff_member(
        event.agent_id,
        "session:assigned",
        {
            "session": event.staff_session or event.session,
            "agentId": event.agent_id,
            "previousAgentId": event.previous_agent_id,
            "previousStatus": event.previous_status,
            "by": event.by,
        },
    )


def on_notification_settings_changed(event: NotificationSettingsChanged) -> None:
    # The owner's other consoles apply them at once; nobody else ever sees them.
    push.to_staff_member(event.user_id, "notification:settings", event.settings)


def on_messages_read(event: MessagesRead) -> None:
    push.to_session(
        event.session_id,
        "message:read",
        {
            "sessionId": event.session_id,
            "readerId": event.reader_id,
            "messageIds": event.message_ids,
            "readAt": event.read_at,
        },
    )


def on_team_access_changed(event: TeamMemberRemoved | TeamMemberRoleChanged) -> None:
    # Their sockets were signed in with the old role: end them now, not when the token expires.
    push.end_user_sockets(event.user_id, event.error)


def register(bus: EventBus) -> None:
    bus.subscribe(MessagePosted, on_message_posted)
    bus.subscribe(SessionAssigned, on_session_changed)
    bus.subscribe(SessionEnded, on_session_changed)
    bus.subscribe(SessionEscalated, on_session_changed)
    bus.subscribe(SessionRequeued, on_session_changed)
    bus.subscribe(SessionTransferred, on_session_changed)
    bus.subscribe(SessionTransferred, on_session_transferred)
    bus.subscribe(SessionEscalated, on_session_escalated)
    bus.subscribe(SessionSlaBreached, on_sla_breached)
    bus.subscribe(MessagesRead, on_messages_read)
    bus.subscribe(NotePosted, on_note_posted)
    bus.subscribe(SessionAssigned, on_session_assigned)
    bus.subscribe(NotificationSettingsChanged, on_notification_settings_changed)
    bus.subscribe(TeamMemberRemoved, on_team_access_changed)
    bus.subscribe(TeamMemberRoleChanged, on_team_access_changed)

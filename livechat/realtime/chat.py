"""Chat namespace "/": the seed's client events (join, send, typing, read) over Socket.IO."""

from __future__ import annotations

import logging
from typing import Any

from flask import request
from flask_socketio import join_room, leave_room

from livechat import ratelimit, runtime
from livechat.ai import handover
from livechat.metrics import metrics, timer
from livechat.realtime import push
from livechat.realtime.base import (
    Client,
    EventNamespace,
    connect_identity,
    event_handler,
    refused_while_down,
)
from livechat.realtime.rooms import session_room, session_staff_room, user_room
from livechat.schemas.chat import (
    MessageSchema,
    NoteSchema,
    RequestHumanSchema,
    SessionSchema,
    StaffSessionSchema,
    session_schema_for,
)
from livechat.schemas.realtime import (
    JoinSessionSchema,
    ReadSchema,
    SendMessageSchema,
    SessionEndSchema,
    SessionRefSchema,
    TransferSessionSchema,
)
from livechat.services import messages, notes, sessions, transfer
from livechat.services.access import access_session

log = logging.getLogger(__name__)

_message = MessageSchema()
_note = NoteSchema()
_session = SessionSchema()
_request_human = RequestHumanSchema()
_staff_session = StaffSessionSchema()

HISTORY_LIMIT = 50
CATCH_UP_LIMIT = 500


class ChatNamespace(EventNamespace):
    """Customers and agents in chat sessions."""

    def on_connect(self, auth: Any = None) -> None:
        identity = connect_identity(auth, record=False)
        with refused_while_down():
            current = sessions.sign_in(identity)  # records the contact too
            payload = {
                "session": _session.dump(current) if current is not None else None,
                # Whether the assistant answers here: the widget's welcome text says who will.
                "assistant": runtime.orchestrator().enabled,
            }
        runtime.token_sweeper().start()
        runtime.sla_watch().start()
        client = Client(identity)
        if current is not None:  # theirs: their join of it needs no access read first
            client.seen.add(current.id)
        self.clients[request.sid] = client  # type: ignore[attr-defined]
        metrics().sockets.labels(self.namespace).inc()
        # Every socket of a user gets their session updates, joined to a session room or not.
        join_room(user_room(identity.uid))
        # The user's open chat, or null: a client learns whether there is one without asking
        # REST (whose "none" is a 404, logged as an error by browsers).
        self.send_once_connected(request.sid, "session:current", payload)  # type: ignore[attr-defined]

    def on_disconnect(self, reason: Any = None) -> None:
        client = self.clients.pop(request.sid, None)  # type: ignore[attr-defined]
        if client is None:
            return
        metrics().sockets.labels(self.namespace).dec()
        for session_id in list(client.sessions):
            self._left(client, session_id)

    @event_handler(JoinSessionSchema())
    def on_join_session(self, client: Client, data: dict[str, Any]) -> dict[str, Any]:
        actor = client.identity

        def admitted(session_id: str, staff: bool) -> None:
            join_room(session_room(session_id))
            if staff:  # internal notes reach staff sockets through this room only
                join_room(session_staff_room(session_id))

        def withdrawn(session_id: str) -> None:
            if session_id not in client.sessions:  # a socket already in the chat stays
                leave_room(session_room(session_id))
                leave_room(session_staff_room(session_id))

        after = data["after_seq"]
        read = messages.read_for_join(
            actor,
            data["session_id"],
            after=after,
            limit=CATCH_UP_LIMIT if after is not None else HISTORY_LIMIT,
            after_note=data["after_note_seq"],
            seen=client.seen,
            admitted=admitted,
            withdrawn=withdrawn,
        )
        session = read.session
        client.seen.add(session.id)
        history = {
            "sessionId": session.id,
            "session": _session.dump(session),
            "messages": read.messages,
            "hasMore": read.has_more,
        }
        if read.notes is not None:
            history.update(notes=read.notes, hasMoreNotes=read.has_more_notes)
        first = session.id not in client.sessions
        client.sessions.add(session.id)
        push.to_socket(request.sid, "session:history", history)  # type: ignore[attr-defined]
        presence = runtime.presence()
        if first and presence.add(session_room(session.id), actor.uid, request.sid):  # type: ignore[attr-defined]
            push.to_session(
                session.id,
                "user:joined",
                {"sessionId": session.id, "userId": actor.uid, "role": actor.role.value},
                skip_sid=request.sid,  # type: ignore[attr-defined]
            )
        return {"sessionId": session.id, "lastSeq": history["session"]["lastSeq"]}

    @event_handler(SessionRefSchema())
    def on_leave_session(self, client: Client, data: dict[str, Any]) -> dict[str, Any]:
        session_id = data["session_id"]
        if session_id in client.sessions:
            self._left(client, session_id)
            leave_room(session_room(session_id))
            leave_room(session_staff_room(session_id))
        return {"sessionId": session_id}

    @event_handler(SendMessageSchema())
    def on_message_send(self, client: Client, data: dict[str, Any]) -> dict[str, Any]:
        ratelimit.check("messages", client.identity.uid)
        if data["internal"]:
            # An internal note: stored apart, sent as note:new to the chat's staff sockets only.
            note, created = notes.post_note(
                client.identity,
                data["session_id"],
                data["content"],
                client_message_id=data.get("client_message_id"),
            )
            return {"note": _note.dump(note), "duplicate": not created}
        # Stored (and committed) before message:new goes out; the listener emits after commit.
        with timer(metrics().send_seconds):
            message, created = messages.post_message(
                client.identity,
                data["session_id"],
                data["content"],
                client_message_id=data.get("client_message_id"),
                metadata=data["metadata"],
            )
        return {"message": _message.dump(message), "duplicate": not created}

    @event_handler(SessionRefSchema())
    def on_typing_start(self, client: Client, data: dict[str, Any]) -> dict[str, Any]:
        ratelimit.check("typing", client.identity.uid)
        session_id = self._authorised_session(client, data["session_id"])
        runtime.typing_tracker().start(
            session_id,
            client.identity.uid,
            client.identity.role.value,
            request.sid,  # type: ignore[attr-defined]
        )
        return {"sessionId": session_id}

    @event_handler(SessionRefSchema())
    def on_typing_stop(self, client: Client, data: dict[str, Any]) -> dict[str, Any]:
        session_id = self._authorised_session(client, data["session_id"])
        runtime.typing_tracker().stop(
            session_id,
            client.identity.uid,
            request.sid,  # type: ignore[attr-defined]
        )
        return {"sessionId": session_id}

    @event_handler(ReadSchema())
    def on_message_read(self, client: Client, data: dict[str, Any]) -> dict[str, Any]:
        ids, read_at = messages.mark_read(
            client.identity,
            data["session_id"],
            up_to_seq=data.get("up_to_seq"),
            message_ids=data.get("message_ids"),
        )
        return {
            "sessionId": data["session_id"],
            "messageIds": ids,
            "readAt": read_at.isoformat() if read_at else None,
        }

    @event_handler(SessionEndSchema())
    def on_session_end(self, client: Client, data: dict[str, Any]) -> dict[str, Any]:
        """The customer closes their chat (agents may too, with an outcome); the room gets
        session:updated."""
        actor = client.identity
        session = sessions.end_session(
            actor, data["session_id"], outcome=data["outcome"], note=data["note"]
        )
        return {"session": session_schema_for(actor.role).dump(session)}

    @event_handler(SessionRefSchema())
    def on_session_request_human(self, client: Client, data: dict[str, Any]) -> dict[str, Any]:
        """The customer asks for a person ("Talk to a person"): their chat joins the queue."""
        session, ticket = handover.request_human(client.identity, data["session_id"])
        return _request_human.dump(
            {"session": session, "ticket": ticket, "already_waiting": ticket is None}
        )

    @event_handler(TransferSessionSchema())
    def on_session_transfer(self, client: Client, data: dict[str, Any]) -> dict[str, Any]:
        """An agent hands their chat to another agent, or back to the queue (no agentId)."""
        session = transfer.transfer_session(
            client.identity, data["session_id"], data["agent_id"], data["note"]
        )
        return {"session": _staff_session.dump(session)}

    def _authorised_session(self, client: Client, session_id: str) -> str:
        """Typing is relayed only for sessions this socket joined (so: was allowed to join)."""
        if session_id in client.sessions:
            return session_id
        return access_session(client.identity, session_id).id

    def _left(self, client: Client, session_id: str) -> None:
        client.sessions.discard(session_id)
        sid = request.sid  # type: ignore[attr-defined]
        presence = runtime.presence()
        if presence.remove(session_room(session_id), client.identity.uid, sid):
            runtime.typing_tracker().stop(session_id, client.identity.uid, sid)
            push.to_session(
                session_id,
                "user:left",
                {
                    "sessionId": session_id,
                    "userId": client.identity.uid,
                    "role": client.identity.role.value,
                },
                skip_sid=sid,
            )

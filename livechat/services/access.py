"""Fetch-and-authorise helpers shared by the services (zulip's access_* pattern)."""

from __future__ import annotations

import functools

import sqlalchemy as sa

from livechat.errors import Forbidden, NotFound
from livechat.extensions import db
from livechat.models import ChatSession, User
from livechat.services.users import Identity

# Who is acting: a loaded User, or the Identity a socket authenticated as (no query per event).
Actor = User | Identity


def require_staff(actor: Actor) -> None:
    if not actor.role.is_staff:
        raise Forbidden("Only support agents and admins may do this.")


def find_session(session_id: str, *, lock: bool = False) -> ChatSession:
    """The session (404 if unknown); ``lock`` takes its row lock until the transaction ends."""
    stmt = _session_by_id(lock)
    session = db.session.scalars(stmt, {"session_id": session_id}).unique().first()
    if session is None:
        raise NotFound(f"Chat session {session_id} not found.", code="session_not_found")
    return session


@functools.cache
def _session_by_id(lock: bool) -> sa.Select[ChatSession]:
    """find_session's statement, built once (a bound parameter; compiled once per engine):
    every join and most REST calls read a session, and building it cost more than running it."""
    stmt = sa.select(ChatSession).where(ChatSession.id == sa.bindparam("session_id"))
    if lock:
        stmt = stmt.with_for_update(of=ChatSession).execution_options(populate_existing=True)
    return stmt


def access_session(actor: Actor, session_id: str, *, lock: bool = False) -> ChatSession:
    """The session if ``actor`` owns it or is staff; ``lock`` takes its row lock until commit."""
    session = find_session(session_id, lock=lock)
    if session.user_id != actor.id and not actor.role.is_staff:
        raise Forbidden("This chat session belongs to someone else.")
    return session

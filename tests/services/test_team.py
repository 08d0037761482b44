"""The team's rules (services/team.py), in dev mode (the offline directory): who may manage it,
what a change does at once to tokens, chats and the audit trail, and each refusal's code."""

from __future__ import annotations

from typing import Any

import pytest

from livechat.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from livechat.models import AuditEvent, ChatSession, Role, SessionStatus, TeamMember, User
from livechat.services import team
from livechat.services.users import Identity

ADMIN = Identity("admin-1", Role.ADMIN, name="Root")


@pytest.fixture()
def admin(ctx: Any) -> Identity:
    team.check_staff_token(ADMIN)  # on the team, as on their first sign-in
    return ADMIN


def _actions(ctx: Any) -> list[tuple[str, str | None]]:
    from livechat.extensions import db

    rows = db.session.query(AuditEvent).order_by(AuditEvent.id).all()
    return [(e.action, e.subject_user_id) for e in rows]


def test_add_invites_with_a_working_token_and_is_audited(admin: Identity, ctx: Any) -> None:
    from livechat.auth import authenticate

    added = team.add_member(admin, "  Ann@Example.TEST ", "agent", "Ann")
    assert added.added and added.created
    member = added.member
    assert (member.email, member.role, member.display_name) == (
        "ann@example.test",
        Role.AGENT,
        "Ann",
    )
    assert member.uid.startswith("dev-") and member.added_by == "admin-1"
    identity = authenticate(added.invitation)  # dev mode: the invitation is a token
    assert (identity.uid, identity.role) == (member.uid, Role.AGENT)
    assert ("team.member_added", member.uid) in _actions(ctx)


def test_a_second_add_finds_the_same_person(admin: Identity, make_user: Any) -> None:
    first = team.add_member(admin, "ann@example.test", "agent")
    again = team.add_member(admin, "ANN@example.test", "agent")
    assert again.member.uid == first.member.uid and not again.added and not again.created
    with pytest.raises(Conflict) as exc:
        team.add_member(admin, "ann@example.test", "admin")
    assert exc.value.code == "already_on_team"
    # A customer who signed in already keeps their uid (and users row) when made an agent.
    customer = make_user("cust-9")
    customer.email = "carl@example.test"
    from livechat.extensions import db

    db.session.commit()
    made = team.add_member(admin, "carl@example.test", "agent")
    assert made.member.uid == "cust-9" and not made.created
    assert db.session.get(User, "cust-9", populate_existing=True).role == Role.AGENT


@pytest.mark.parametrize(
    ("email", "role", "name", "code"),
    [
        ("not-an-address", "agent", None, "bad_email"),
        ("a@b", "agent", None, "bad_email"),
        ("a b@example.test", "agent", None, "bad_email"),
        ("x" * 320 + "@example.test", "agent", None, "bad_email"),
        ("ok\x00@example.test", "agent", None, "bad_email"),
        ("ok@example.test", "user", None, "bad_role"),
        ("ok@example.test", "root", None, "bad_role"),
        ("ok@example.test", "agent", "   ", "bad_name"),
        ("ok@example.test", "agent", "n" * 201, "bad_name"),
    ],
)
def test_add_refuses_bad_input(
    admin: Identity, email: str, role: str, name: Any, code: str
) -> None:
    with pytest.raises(InvalidInput) as exc:
        team.add_member(admin, email, role, name)
    assert exc.value.code == code


@pytest.mark.parametrize("role", [Role.USER, Role.AGENT])
def test_only_admins_manage_the_team(ctx: Any, role: Role) -> None:
    who = Identity("x-1", role)
    for call in (
        lambda: team.list_team(who),
        lambda: team.add_member(who, "a@example.test", "agent"),
        lambda: team.update_member(who, "x-2", role="admin"),
        lambda: team.remove_member(who, "x-2"),
    ):
        with pytest.raises(Forbidden):
            call()


def test_role_change_takes_effect_at_once(admin: Identity, ctx: Any) -> None:
    added = team.add_member(admin, "ann@example.test", "agent")
    uid = added.member.uid
    old = Identity(uid, Role.AGENT)
    team.check_staff_token(old)  # fine before
    updated = team.update_member(admin, uid, role="admin", name="Ann Admin")
    assert updated.role == Role.ADMIN and updated.display_name == "Ann Admin"
    with pytest.raises(Unauthorized) as exc:
        team.check_staff_token(old)
    assert exc.value.code == "role_changed"
    team.check_staff_token(Identity(uid, Role.ADMIN))  # a new token with the new role
    assert ("team.member_updated", uid) in _actions(ctx)
    # A name only: no role change, still audited.
    team.update_member(admin, uid, name="Ann")
    assert _actions(ctx).count(("team.member_updated", uid)) == 2


def test_role_change_refusals(admin: Identity) -> None:
    with pytest.raises(NotFound) as exc:
        team.update_member(admin, "nobody", role="agent")
    assert exc.value.code == "agent_not_found"
    with pytest.raises(Conflict) as exc:
        team.update_member(admin, "admin-1", role="agent")
    assert exc.value.code == "cannot_change_own_role"
    other = team.add_member(admin, "b@example.test", "admin").member
    # Another admin may not demote the last admin but one... admin-1 and b are two: fine.
    team.update_member(Identity(other.uid, Role.ADMIN), "admin-1", role="agent")
    with pytest.raises(Conflict) as exc:  # now b is the last admin (cli acting)
        team.update_member(Identity("cli", Role.ADMIN), other.uid, role="agent")
    assert exc.value.code == "last_admin"
    with pytest.raises(InvalidInput) as exc:
        team.update_member(admin, other.uid, role="user")
    assert exc.value.code == "bad_role"


def test_removal_mid_chat_requeues_and_revokes(admin: Identity, ctx: Any, make_user: Any) -> None:
    from livechat.extensions import db
    from livechat.services import sessions

    agent = make_user("agent-1", "agent")
    team.check_staff_token(Identity("agent-1", Role.AGENT))
    customer = make_user("cust-1")
    session, _ = sessions.open_session(customer)
    sessions.assign_agent(agent, session.id)

    released = team.remove_member(admin, "agent-1")
    assert released == [session.id]
    chat = db.session.get(ChatSession, session.id, populate_existing=True)
    assert chat.status == SessionStatus.WAITING and chat.agent_id is None
    assert chat.meta["requeued"]["reason"] == "agent_removed"
    member = db.session.get(TeamMember, "agent-1", populate_existing=True)
    assert member.removed_at is not None and member.removed_by == "admin-1"
    assert db.session.get(User, "agent-1", populate_existing=True).role == Role.USER
    with pytest.raises(Unauthorized) as exc:
        team.check_staff_token(Identity("agent-1", Role.AGENT))
    assert exc.value.code == "staff_access_revoked"
    team.check_staff_token(Identity("agent-1", Role.USER))  # as a customer: fine
    assert ("team.member_removed", "agent-1") in _actions(ctx)
    assert [e.member.uid for e in team.list_team(admin)] == ["admin-1"]
    listed = team.list_team(admin, include_removed=True)
    assert [e.member.uid for e in listed] == ["admin-1", "agent-1"]
    with pytest.raises(NotFound):
        team.remove_member(admin, "agent-1")  # removed already
    # Added again: back on the team, and their new token works.
    db.session.get(User, "agent-1").email = "agent1@example.test"
    db.session.commit()
    again = team.add_member(admin, "agent1@example.test", "agent")
    assert again.added and again.member.uid == "agent-1" and again.member.removed_at is None
    team.check_staff_token(Identity("agent-1", Role.AGENT))


def test_removal_refusals(admin: Identity) -> None:
    with pytest.raises(Conflict) as exc:
        team.remove_member(admin, "admin-1")
    assert exc.value.code == "cannot_remove_self"
    with pytest.raises(Conflict) as exc:
        team.remove_member(Identity("cli", Role.ADMIN), "admin-1")
    assert exc.value.code == "last_admin"
    with pytest.raises(NotFound) as exc:
        team.remove_member(admin, "nobody")
    assert exc.value.code == "agent_not_found"


def test_staff_claims_set_by_hand_join_the_team_on_sign_in(ctx: Any) -> None:
    from livechat.extensions import db

    team.check_staff_token(Identity("hand-1", Role.AGENT, email="h@example.test"))
    team.check_staff_token(Identity("cust-1", Role.USER))  # customers are not looked up
    rows = db.session.query(TeamMember).all()
    assert [(m.uid, m.role, m.added_by, m.email) for m in rows] == [
        ("hand-1", Role.AGENT, "token", "h@example.test")
    ]


def test_list_shows_status_and_open_chats(admin: Identity, make_user: Any) -> None:
    from livechat.services import sessions

    agent = make_user("agent-1", "agent")
    team.check_staff_token(Identity("agent-1", Role.AGENT, email="a@example.test"))
    session, _ = sessions.open_session(make_user("cust-1"))
    sessions.assign_agent(agent, session.id)
    entries = {e.member.uid: e for e in team.list_team(admin)}
    assert (entries["agent-1"].status, entries["agent-1"].open_chats) == ("offline", 1)
    assert entries["admin-1"].open_chats == 0

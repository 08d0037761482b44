"""Canned replies: who may see and change which, shortcuts, variables and rendering."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa


@pytest.fixture()
def people(ctx: Any, make_user: Any) -> dict[str, Any]:
    return {
        "ann": make_user("agent-ann", "agent", "Ann"),
        "bob": make_user("agent-bob", "agent", "Bob"),
        "eve": make_user("admin-eve", "admin", "Eve"),
        "cora": make_user("cust-cora", "user", "Cora"),
    }


def _codes(exc: Any) -> tuple[int, str]:
    return exc.value.status, exc.value.code


def test_variables_are_found_with_or_without_spaces_and_filled_in() -> None:
    from livechat.services.canned import render_text, variables_in

    body = "Hi {{customer.name}}, {{ agent.name }} here ({{customer.name}}) {{  session.id}}"
    assert variables_in(body) == ["customer.name", "agent.name", "session.id"]
    values = {"customer.name": "Cora", "agent.name": None, "session.id": "s-1"}
    assert render_text(body, values) == "Hi Cora,  here (Cora) s-1"
    assert render_text("{ {customer.name} } {{customer.name", values) == (
        "{ {customer.name} } {{customer.name"
    )


def test_unknown_variables_are_refused_naming_the_valid_ones(people: dict[str, Any]) -> None:
    from livechat.errors import InvalidInput
    from livechat.models import CannedResponse
    from livechat.services import canned

    with pytest.raises(InvalidInput) as refused:
        canned.create_canned(
            people["ann"], shortcut="hi", title="Hi", body="Hi {{customer.phone}} {{ oops }}"
        )
    assert _codes(refused) == (422, "unknown_variable")
    details = refused.value.details
    assert details["unknownVariables"] == ["customer.phone", "oops"]
    assert details["validVariables"] == [
        "customer.name",
        "customer.email",
        "agent.name",
        "session.id",
    ]
    assert "{{customer.name}}" in details["body"][0]
    from livechat.extensions import db

    assert db.session.scalar(sa.select(sa.func.count()).select_from(CannedResponse)) == 0

    reply = canned.create_canned(people["ann"], shortcut="hi", title="Hi", body="Hello")
    with pytest.raises(InvalidInput):
        canned.update_canned(people["ann"], reply.id, body="{{customer.phone}}")
    assert canned.access_canned(people["ann"], reply.id).body == "Hello"


def test_team_shortcuts_are_unique_among_team_replies(people: dict[str, Any]) -> None:
    from livechat.errors import Conflict
    from livechat.services import canned

    canned.create_canned(people["eve"], scope="team", shortcut="refund", title="R", body="x")
    with pytest.raises(Conflict) as taken:
        canned.create_canned(people["eve"], scope="team", shortcut="refund", title="R", body="y")
    assert _codes(taken) == (409, "duplicate_shortcut")
    assert taken.value.details == {"shortcut": "refund"}
    other = canned.create_canned(people["eve"], scope="team", shortcut="other", title="O", body="z")
    with pytest.raises(Conflict):
        canned.update_canned(people["eve"], other.id, shortcut="refund")
    assert canned.access_canned(people["eve"], other.id).shortcut == "other"


def test_personal_shortcuts_are_unique_per_agent_and_shadow_the_team(
    people: dict[str, Any],
) -> None:
    from livechat.errors import Conflict
    from livechat.models import CannedScope
    from livechat.services import canned

    team = canned.create_canned(
        people["eve"], scope=CannedScope.TEAM, shortcut="refund", title="Team", body="team"
    )
    mine = canned.create_canned(people["ann"], shortcut="refund", title="Mine", body="mine")
    canned.create_canned(people["bob"], shortcut="refund", title="Bob's", body="bob")  # his own
    with pytest.raises(Conflict):
        canned.create_canned(people["ann"], shortcut="refund", title="Again", body="again")

    # Ann's own wins in her list; Bob sees his; Eve (no personal one) sees the team's.
    assert [r.id for r in canned.list_canned(people["ann"])[0]] == [mine.id]
    assert [r.title for r in canned.list_canned(people["bob"])[0]] == ["Bob's"]
    assert [r.id for r in canned.list_canned(people["eve"])[0]] == [team.id]
    # Asking for the team's replies shows the shadowed one; it can still be read by id.
    assert [r.id for r in canned.list_canned(people["ann"], scope="team")[0]] == [team.id]
    assert [r.id for r in canned.list_canned(people["ann"], scope="personal")[0]] == [mine.id]
    assert canned.access_canned(people["ann"], team.id).body == "team"


def test_personal_replies_are_invisible_to_everyone_else(people: dict[str, Any]) -> None:
    from livechat.errors import NotFound
    from livechat.services import canned

    mine = canned.create_canned(people["ann"], shortcut="sig", title="Sig", body="Ann")
    for other in ("bob", "eve"):  # admins too
        assert canned.list_canned(people[other]) == ([], 0)
        for attempt in (
            lambda a: canned.access_canned(a, mine.id),
            lambda a: canned.update_canned(a, mine.id, title="Mine now"),
            lambda a: canned.delete_canned(a, mine.id),
        ):
            with pytest.raises(NotFound) as hidden:
                attempt(people[other])
            assert _codes(hidden) == (404, "canned_response_not_found")
    assert canned.access_canned(people["ann"], mine.id).title == "Sig"


def test_only_admins_change_team_replies_and_it_is_audited(people: dict[str, Any]) -> None:
    from livechat.errors import Forbidden
    from livechat.extensions import db
    from livechat.models import AuditEvent
    from livechat.services import canned

    with pytest.raises(Forbidden):
        canned.create_canned(people["ann"], scope="team", shortcut="t", title="T", body="t")
    team = canned.create_canned(people["eve"], scope="team", shortcut="t", title="T", body="t")
    with pytest.raises(Forbidden):
        canned.update_canned(people["ann"], team.id, body="changed")
    with pytest.raises(Forbidden):
        canned.delete_canned(people["ann"], team.id)
    assert canned.access_canned(people["ann"], team.id).body == "t"

    canned.update_canned(people["eve"], team.id, body="new", title="T")  # title unchanged
    canned.delete_canned(people["eve"], team.id)
    personal = canned.create_canned(people["ann"], shortcut="p", title="P", body="p")
    canned.delete_canned(people["ann"], personal.id)  # an agent's own notes: not audited

    entries = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.actor_id, e.action) for e in entries] == [
        ("admin-eve", "canned_response.created"),
        ("admin-eve", "canned_response.updated"),
        ("admin-eve", "canned_response.deleted"),
    ]
    assert entries[1].details == {"cannedResponseId": team.id, "shortcut": "t", "changed": ["body"]}


def test_customers_may_not_use_canned_replies(people: dict[str, Any]) -> None:
    from livechat.errors import Forbidden
    from livechat.services import canned

    reply = canned.create_canned(people["eve"], scope="team", shortcut="t", title="T", body="t")
    for call in (
        lambda: canned.list_canned(people["cora"]),
        lambda: canned.access_canned(people["cora"], reply.id),
        lambda: canned.create_canned(people["cora"], shortcut="x", title="X", body="x"),
        lambda: canned.render_canned(people["cora"], reply.id, "any"),
    ):
        with pytest.raises(Forbidden):
            call()


def test_search_matches_every_word_in_shortcut_title_or_body(people: dict[str, Any]) -> None:
    from livechat.services import canned

    eve, ann = people["eve"], people["ann"]
    canned.create_canned(eve, scope="team", shortcut="refund-policy", title="Refunds", body="14d")
    canned.create_canned(eve, scope="team", shortcut="card-freeze", title="Freeze", body="Refund")
    canned.create_canned(ann, shortcut="hello", title="Greeting", body="Hi 100% sure")

    def shortcuts(q: str) -> list[str]:
        return [r.shortcut for r in canned.list_canned(ann, q=q)[0]]

    # A shortcut starting with the first word comes first, then the other matches.
    assert shortcuts("refund") == ["refund-policy", "card-freeze"]
    assert shortcuts("REFUND freeze") == ["card-freeze"]
    assert shortcuts("greet") == ["hello"]
    assert shortcuts("100%") == ["hello"]
    assert shortcuts("_") == []  # LIKE wildcards are literal
    assert shortcuts("") == ["card-freeze", "hello", "refund-policy"]
    items, total = canned.list_canned(ann, page=2, page_size=2)
    assert total == 3 and [r.shortcut for r in items] == ["refund-policy"]


def test_render_fills_in_the_chat_and_the_calling_agent(
    people: dict[str, Any], make_user: Any
) -> None:
    from livechat.extensions import db
    from livechat.models import AuditEvent, Role
    from livechat.services import canned, sessions
    from livechat.services.users import Identity, sync_user

    body = "Hi {{customer.name}} ({{ customer.email }}), {{agent.name}} here. Ref {{session.id}}"
    reply = canned.create_canned(people["eve"], scope="team", shortcut="hi", title="Hi", body=body)
    session, _ = sessions.open_session(people["cora"])
    # The agent rendering it, not the admin who wrote it, is the agent.
    assert canned.render_canned(people["ann"], reply.id, session.id) == (
        f"Hi Cora (), Ann here. Ref {session.id}"
    )
    audited = db.session.scalars(sa.select(AuditEvent)).all()[-1]
    assert (audited.actor_id, audited.action, audited.session_id) == (
        "agent-ann",
        "customer.viewed",
        session.id,
    )

    # A customer with neither name nor e-mail: empty text, never "None".
    nameless = sync_user(Identity(uid="cust-nameless", role=Role.USER))
    assert nameless.display_name is None and nameless.email is None
    other, _ = sessions.open_session(nameless)
    assert canned.render_canned(people["bob"], reply.id, other.id) == (
        f"Hi  (), Bob here. Ref {other.id}"
    )


def test_render_refuses_unknown_chats_and_hidden_replies(people: dict[str, Any]) -> None:
    from livechat.errors import NotFound
    from livechat.services import canned, sessions

    session, _ = sessions.open_session(people["cora"])
    mine = canned.create_canned(people["ann"], shortcut="sig", title="Sig", body="Ann")
    with pytest.raises(NotFound) as no_chat:
        canned.render_canned(people["ann"], mine.id, "no-such-session")
    assert _codes(no_chat) == (404, "session_not_found")
    with pytest.raises(NotFound) as not_his:
        canned.render_canned(people["bob"], mine.id, session.id)
    assert _codes(not_his) == (404, "canned_response_not_found")

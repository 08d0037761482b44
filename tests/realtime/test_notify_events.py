"""What the console's notifications hang on: session:assigned reaches the assignee's /support
sockets only (however the chat was assigned), a transfer names the agent it goes to, and
notification:settings goes to its owner's consoles and nobody else's."""

from __future__ import annotations

from typing import Any

import pytest

from tests.realtime.conftest import events, wait_event

SUPPORT = "/support"
SETTINGS_URL = "/api/support/me/notification-settings"


@pytest.fixture()
def waiting(ctx: Any, make_user: Any) -> str:
    """cust-1's chat, waiting for a human; agents Ada and Bea, admin Eve."""
    from livechat.services import escalation, sessions

    make_user("agent-1", "agent", "Ada")
    make_user("agent-2", "agent", "Bea")
    make_user("admin-1", "admin", "Eve")
    chat, _ = sessions.open_session(make_user("cust-1"))
    escalation.escalate(chat.id, reason="human_requested", requested_by="AI_ASSISTANT")
    return chat.id


def _drain(*clients: Any) -> None:
    for c in clients:
        c.get_received(SUPPORT)


def test_an_admins_assignment_reaches_every_tab_of_the_assignee_only(
    waiting: str, sio: Any, client: Any, auth: Any
) -> None:
    tab1 = sio("agent-1", "agent", namespace=SUPPORT)
    tab2 = sio("agent-1", "agent", namespace=SUPPORT)
    other = sio("agent-2", "agent", namespace=SUPPORT)
    _drain(tab1, tab2, other)

    resp = client.post(
        f"/api/support/chat/sessions/{waiting}/assign",
        json={"agentId": "agent-1"},
        headers=auth("admin-1", "admin"),
    )
    assert resp.status_code == 200, resp.get_json()
    for tab in (tab1, tab2):
        got = wait_event(tab, "session:assigned", SUPPORT)
        assert (got["agentId"], got["by"], got["previousStatus"]) == (
            "agent-1",
            "admin-1",
            "WAITING",
        )
        assert got["previousAgentId"] is None
        assert got["session"]["id"] == waiting and got["session"]["agentId"] == "agent-1"
        assert "transfer" in got["session"]  # the staff form: agents only
    # The queue:updated the assignment also causes has reached the other agent by now.
    wait_event(other, "queue:updated", SUPPORT, until=lambda q: q["waiting"] == [])
    assert events(other, "session:assigned", SUPPORT) == []

    # An admin taking it over from Ada: Eve is told (by herself), Ada gets no session:assigned.
    _drain(tab1)
    eve = sio("admin-1", "admin", namespace=SUPPORT)
    _drain(eve)
    client.post(
        f"/api/support/chat/sessions/{waiting}/assign", json={}, headers=auth("admin-1", "admin")
    )
    mine = wait_event(eve, "session:assigned", SUPPORT)
    assert (mine["by"], mine["agentId"], mine["previousAgentId"]) == (
        "admin-1",
        "admin-1",
        "agent-1",
    )
    wait_event(tab1, "queue:updated", SUPPORT)
    assert events(tab1, "session:assigned", SUPPORT) == []


def test_the_router_assigns_as_system(waiting: str, sio: Any) -> None:
    from livechat.services import sessions

    agent = sio("agent-1", "agent", namespace=SUPPORT)
    other = sio("agent-2", "agent", namespace=SUPPORT)
    _drain(agent, other)
    assert sessions.route_to(waiting, "agent-1") is not None
    got = wait_event(agent, "session:assigned", SUPPORT)
    assert (got["by"], got["agentId"], got["session"]["status"]) == ("SYSTEM", "agent-1", "ACTIVE")
    wait_event(other, "queue:updated", SUPPORT, until=lambda q: q["waiting"] == [])
    assert events(other, "session:assigned", SUPPORT) == []


def test_taking_a_chat_yourself_says_so(waiting: str, sio: Any, client: Any, auth: Any) -> None:
    agent = sio("agent-1", "agent", namespace=SUPPORT)
    _drain(agent)
    client.post(f"/api/support/chat/sessions/{waiting}/assign", headers=auth("agent-1", "agent"))
    got = wait_event(agent, "session:assigned", SUPPORT)
    assert got["by"] == got["agentId"] == "agent-1"  # the console does not notify for this


def test_a_transfer_names_who_gets_it_and_who_made_it(
    waiting: str, sio: Any, client: Any, auth: Any
) -> None:
    ada = sio("agent-1", "agent", namespace=SUPPORT)
    bea = sio("agent-2", "agent", namespace=SUPPORT)
    client.post(f"/api/support/chat/sessions/{waiting}/assign", headers=auth("agent-1", "agent"))
    _drain(ada, bea)
    resp = client.post(
        f"/api/support/chat/sessions/{waiting}/transfer",
        json={"agentId": "agent-2", "note": "VIP"},
        headers=auth("agent-1", "agent"),
    )
    assert resp.status_code == 200, resp.get_json()
    got = wait_event(bea, "session:transferred", SUPPORT)
    assert (got["transfer"]["toAgentId"], got["transfer"]["by"]) == ("agent-2", "agent-1")
    # A transfer is announced as session:transferred, never also as session:assigned.
    assert events(bea, "session:assigned", SUPPORT) == []


def test_saved_settings_reach_the_owners_consoles_and_nobody_elses(
    waiting: str, sio: Any, client: Any, auth: Any
) -> None:
    mine = sio("agent-1", "agent", namespace=SUPPORT)
    theirs = sio("agent-2", "agent", namespace=SUPPORT)
    admin = sio("admin-1", "admin", namespace=SUPPORT)
    customer = sio("cust-1")
    chat_tab = sio("agent-1", "agent")  # the chat namespace gets nothing of it either
    _drain(mine, theirs, admin)
    customer.get_received()
    chat_tab.get_received()

    resp = client.patch(
        SETTINGS_URL,
        json={"events": {"newMessage": {"sound": False}}},
        headers=auth("agent-1", "agent"),
    )
    assert resp.status_code == 200
    pushed = wait_event(mine, "notification:settings", SUPPORT)
    assert pushed == resp.get_json()
    assert pushed["events"]["newMessage"]["sound"] is False

    # One emit to one room: it reached Ada's socket, so had it gone wider it would be here too.
    for other in (theirs, admin):
        assert events(other, "notification:settings", SUPPORT) == []
    assert [r for r in customer.get_received() if "settings" in r["name"]] == []
    assert [r for r in chat_tab.get_received() if "settings" in r["name"]] == []

    # Another agent reading the endpoint reads their own, never Ada's.
    bea = client.get(SETTINGS_URL, headers=auth("agent-2", "agent")).get_json()
    assert bea["events"]["newMessage"]["sound"] is True


def test_a_reconnect_gets_the_queue_again_but_no_assignment_twice(
    waiting: str, sio: Any, client: Any, auth: Any
) -> None:
    """What the console announces is live only: a new /support socket of the same agent (a
    reconnect, a reload) gets the queue as it is, never the assignment it already heard."""
    first = sio("agent-1", "agent", namespace=SUPPORT)
    _drain(first)
    client.post(
        f"/api/support/chat/sessions/{waiting}/assign",
        json={"agentId": "agent-1"},
        headers=auth("admin-1", "admin"),
    )
    wait_event(first, "session:assigned", SUPPORT)
    first.disconnect(namespace=SUPPORT)

    again = sio("agent-1", "agent", namespace=SUPPORT)
    snapshot = wait_event(again, "queue:updated", SUPPORT)
    assert snapshot["waiting"] == []  # the chat is no longer news: it left the queue
    assert events(again, "session:assigned", SUPPORT) == []

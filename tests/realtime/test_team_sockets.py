"""A removed or re-roled team member's sockets end at once (one process, no Redis): each is told
why with a coded ``error`` and disconnected, on both namespaces; their old token is refused.
(uids of their own: an agent's status outlives the test in the session-wide app's store.)"""

from __future__ import annotations

from typing import Any

import pytest
from flask_socketio import SocketIOTestClient

from livechat.models import Role
from livechat.services import team
from livechat.services.users import Identity
from tests.realtime.conftest import events

ADMIN = Identity("tm-admin-1", Role.ADMIN)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda: team.remove_member(ADMIN, "tm-agent-1"), "staff_access_revoked"),
        (lambda: team.update_member(ADMIN, "tm-agent-1", role="admin"), "role_changed"),
    ],
)
def test_member_sockets_end_at_once(
    app: Any, ctx: Any, sio: Any, token: Any, change: Any, code: str
) -> None:
    team.check_staff_token(ADMIN)
    chat = sio("tm-agent-1", "agent")
    support = sio("tm-agent-1", "agent", "/support")
    customer = sio("tm-cust-1")
    other = sio("tm-agent-2", "agent", "/support")
    for client, namespace in ((chat, "/"), (support, "/support"), (other, "/support")):
        client.get_received(namespace)

    change()

    assert not chat.is_connected("/") and not support.is_connected("/support")
    # What each got before it closed (the test client reads nothing once disconnected).
    assert [p["args"][0]["code"] for p in chat.queue if p["name"] == "error"] == [code]
    assert [p["args"][0]["code"] for p in support.queue if p["name"] == "error"] == [code]
    assert customer.is_connected("/") and other.is_connected("/support")
    assert events(other, "error", "/support") == []
    refused = SocketIOTestClient(
        app,
        app.extensions["socketio"],
        namespace="/support",
        auth={"token": token("tm-agent-1", "agent")},
    )
    assert not refused.is_connected("/support")


def test_the_sweep_ends_what_a_lost_removal_message_left_open(app: Any, ctx: Any, sio: Any) -> None:
    """Removal ends sockets through the relay at once; should that message be lost (Redis down
    at that moment), the socket sweep ends them on its next round, told why all the same."""
    import sqlalchemy as sa

    from livechat import runtime
    from livechat.extensions import db
    from livechat.models import TeamMember, utcnow

    sweeper = runtime.token_sweeper(app)
    removed = sio("tm-agent-1", "agent", "/support")
    promoted = sio("tm-agent-2", "agent")
    kept = sio("tm-agent-3", "agent", "/support")
    customer = sio("tm-cust-1")
    assert sweeper.sweep() == 0  # everyone backed by the record: nobody ended
    # The record changes with no event (as if the relay had lost the message).
    db.session.execute(
        sa.update(TeamMember).where(TeamMember.uid == "tm-agent-1").values(removed_at=utcnow())
    )
    db.session.execute(
        sa.update(TeamMember).where(TeamMember.uid == "tm-agent-2").values(role=Role.ADMIN)
    )
    db.session.commit()
    assert sweeper.sweep() == 2
    assert not removed.is_connected("/support") and not promoted.is_connected("/")
    assert [p["args"][0]["code"] for p in removed.queue if p["name"] == "error"] == [
        "staff_access_revoked"
    ]
    assert [p["args"][0]["code"] for p in promoted.queue if p["name"] == "error"] == [
        "role_changed"
    ]
    assert kept.is_connected("/support") and customer.is_connected("/")
    assert sweeper.sweep() == 0

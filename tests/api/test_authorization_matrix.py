"""Every endpoint x {no token, bad token, owner, other user, agent, admin}: the status each gets.

The world: customer "owner" has an ACTIVE session assigned to "agent-1" and a ticket;
"other" is another customer (the one exported and erased); "admin-1" is an admin who is not
assigned to the session.
"""

from __future__ import annotations

from typing import Any

import pytest

CALLERS = ["none", "bad", "owner", "other", "agent", "admin"]

# (method, path, json body, expected status per caller in CALLERS order)
MATRIX: list[tuple[str, str, Any, list[int]]] = [
    ("post", "/api/support/chat/sessions/user", {}, [401, 401, 200, 201, 201, 201]),
    ("get", "/api/support/chat/sessions/active", None, [401, 401, 200, 404, 404, 404]),
    ("get", "/api/support/chat/sessions/mine", None, [401, 401, 200, 200, 200, 200]),
    ("get", "/api/support/chat/sessions/{sid}/messages", None, [401, 401, 200, 403, 200, 200]),
    ("get", "/api/support/chat/sessions", None, [401, 401, 403, 403, 200, 200]),
    ("get", "/api/support/chat/queue", None, [401, 401, 403, 403, 200, 200]),
    ("get", "/api/support/chat/stats", None, [401, 401, 403, 403, 200, 200]),
    # Search over every chat's messages and notes: staff only.
    ("get", "/api/support/search?q=card", None, [401, 401, 403, 403, 200, 200]),
    ("get", "/api/support/chat/sessions/{sid}", None, [401, 401, 403, 403, 200, 200]),
    # The chat has an agent: agents keep their own (200); an admin may reassign it.
    ("post", "/api/support/chat/sessions/{sid}/assign", {}, [401, 401, 403, 403, 200, 200]),
    # Back to the queue: the chat's agent, or an admin.
    ("post", "/api/support/chat/sessions/{sid}/transfer", {}, [401, 401, 403, 403, 200, 200]),
    ("post", "/api/support/chat/sessions/{sid}/end", None, [401, 401, 403, 403, 200, 200]),
    # The owner's chat has an agent already: 200 with alreadyWaiting; only the owner may ask.
    (
        "post",
        "/api/support/chat/sessions/{sid}/request-human",
        None,
        [401, 401, 200, 403, 403, 403],
    ),
    (
        "post",
        "/api/support/chat/sessions/{sid}/messages",
        {"content": "hello"},
        [401, 401, 403, 403, 201, 409],
    ),
    # Internal notes: any agent or admin (assigned or not); never a customer, not even the owner.
    (
        "post",
        "/api/support/chat/sessions/{sid}/notes",
        {"content": "internal"},
        [401, 401, 403, 403, 201, 201],
    ),
    ("get", "/api/support/chat/sessions/{sid}/notes", None, [401, 401, 403, 403, 200, 200]),
    ("get", "/api/support/tickets", None, [401, 401, 403, 403, 200, 200]),
    (
        "post",
        "/api/support/tickets",
        {"userId": "owner", "subject": "Card stolen"},
        [401, 401, 403, 403, 201, 201],
    ),
    ("get", "/api/support/tickets/mine", None, [401, 401, 200, 200, 200, 200]),
    ("get", "/api/support/tickets/{tid}", None, [401, 401, 403, 403, 200, 200]),
    (
        "patch",
        "/api/support/tickets/{tid}",
        {"status": "IN_PROGRESS"},
        [401, 401, 403, 403, 200, 200],
    ),
    # Canned replies: {cid} is a team reply (every agent uses it; admins change it).
    ("get", "/api/support/canned-responses", None, [401, 401, 403, 403, 200, 200]),
    (
        "post",
        "/api/support/canned-responses",
        {"shortcut": "mine", "title": "Mine", "body": "Hello {{customer.name}}"},
        [401, 401, 403, 403, 201, 201],
    ),
    ("get", "/api/support/canned-responses/{cid}", None, [401, 401, 403, 403, 200, 200]),
    (
        "patch",
        "/api/support/canned-responses/{cid}",
        {"title": "Refunds"},
        [401, 401, 403, 403, 403, 200],
    ),
    ("delete", "/api/support/canned-responses/{cid}", None, [401, 401, 403, 403, 403, 204]),
    (
        "post",
        "/api/support/canned-responses/{cid}/render",
        {"sessionId": "{sid}"},
        [401, 401, 403, 403, 200, 200],
    ),
    # Your own notification settings: staff only, each their own.
    ("get", "/api/support/me/notification-settings", None, [401, 401, 403, 403, 200, 200]),
    (
        "patch",
        "/api/support/me/notification-settings",
        {"muted": True},
        [401, 401, 403, 403, 200, 200],
    ),
    ("get", "/api/support/audit", None, [401, 401, 403, 403, 403, 200]),
    ("get", "/api/support/customers/{uid}/export", None, [401, 401, 403, 403, 403, 200]),
    (
        "post",
        "/api/support/customers/{uid}/erase",
        {"confirm": "other"},
        [401, 401, 403, 403, 403, 200],
    ),
    # The team: admins only ({aid} is agent-1, on the team).
    ("get", "/api/support/agents", None, [401, 401, 403, 403, 403, 200]),
    (
        "post",
        "/api/support/agents",
        {"email": "new@example.test", "role": "agent"},
        [401, 401, 403, 403, 403, 201],
    ),
    ("patch", "/api/support/agents/{aid}", {"name": "Ada"}, [401, 401, 403, 403, 403, 200]),
    ("delete", "/api/support/agents/{aid}", None, [401, 401, 403, 403, 403, 200]),
    ("get", "/healthz", None, [200] * 6),
    ("get", "/readyz", None, [200] * 6),
    ("get", "/api/openapi.json", None, [200] * 6),
]

CASES = [
    pytest.param(method, path, body, caller, expected, id=f"{method.upper()} {path} as {caller}")
    for method, path, body, statuses in MATRIX
    for caller, expected in zip(CALLERS, statuses, strict=True)
]


@pytest.fixture()
def world(ctx: Any, make_user: Any) -> dict[str, str]:
    from livechat.models import Role
    from livechat.services import canned, sessions, team, tickets
    from livechat.services.users import Identity

    owner = make_user("owner")
    make_user("other")
    agent = make_user("agent-1", "agent")
    admin = make_user("admin-1", "admin")
    session, _ = sessions.open_session(owner)
    sessions.assign_agent(agent, session.id)
    ticket = tickets.open_ticket(agent, user_id="owner", subject="Refund", session_id=session.id)
    reply = canned.create_canned(admin, scope="team", shortcut="refund", title="R", body="Hi")
    team.check_staff_token(Identity("agent-1", Role.AGENT))  # on the team, as on first sign-in
    return {"sid": session.id, "tid": ticket.id, "uid": "other", "cid": reply.id, "aid": "agent-1"}


def _headers(caller: str, token: Any) -> dict[str, str]:
    if caller == "none":
        return {}
    if caller == "bad":
        return {"Authorization": "Bearer not.a.valid-token"}
    uid, role = {
        "owner": ("owner", "user"),
        "other": ("other", "user"),
        "agent": ("agent-1", "agent"),
        "admin": ("admin-1", "admin"),
    }[caller]
    return {"Authorization": f"Bearer {token(uid, role)}"}


@pytest.mark.parametrize(("method", "path", "body", "caller", "expected"), CASES)
def test_endpoint_access(
    client: Any,
    token: Any,
    world: dict[str, str],
    method: str,
    path: str,
    body: Any,
    caller: str,
    expected: int,
) -> None:
    url = path.format(**world)
    kwargs: dict[str, Any] = {"headers": _headers(caller, token)}
    if body is not None:
        # "{sid}" as a body value names the world's chat (a render needs a real one).
        kwargs["json"] = {k: world["sid"] if v == "{sid}" else v for k, v in body.items()}
    resp = getattr(client, method)(url, **kwargs)
    assert resp.status_code == expected, resp.get_json()
    if expected >= 400:
        error = resp.get_json()["error"]
        assert error["code"] and error["message"]
        if expected == 401:
            assert error["code"] in {"unauthorized", "invalid_token"}
        if expected == 403:
            assert error["code"] == "forbidden"


def test_every_api_route_is_in_the_matrix(app: Any) -> None:
    """A new API endpoint must be added to the matrix above (pages: test_web_pages.py)."""
    covered = {
        (
            m.upper(),
            p.replace("{sid}", "<session_id>")
            .replace("{tid}", "<ticket_id>")
            .replace("{uid}", "<uid>")
            .replace("{cid}", "<canned_id>")
            .replace("{aid}", "<agent_id>")
            .split("?")[0],
        )
        for m, p, _, _ in MATRIX
    }
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/") or rule.rule in {"/healthz", "/readyz"}
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    assert routes - covered == set()

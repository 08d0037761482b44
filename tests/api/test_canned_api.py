"""Canned replies over REST: the rules' refusals as JSON errors, and the OpenAPI document."""

from __future__ import annotations

import re
from typing import Any

import pytest

BASE = "/api/support/canned-responses"


@pytest.fixture()
def hdr(auth: Any) -> dict[str, dict[str, str]]:
    return {
        "ann": auth("agent-ann", "agent", name="Ann"),
        "bob": auth("agent-bob", "agent", name="Bob"),
        "eve": auth("admin-eve", "admin", name="Eve"),
        "cora": auth("cust-cora", "user", name="Cora"),
    }


def _create(client: Any, headers: dict[str, str], **body: Any) -> Any:
    resp = client.post(BASE, json={"title": "T", "body": "b", **body}, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def test_crud_of_a_personal_reply(client: Any, hdr: dict[str, Any]) -> None:
    created = _create(client, hdr["ann"], shortcut="thanks", title="Thanks", body="Thank you!")
    assert created["scope"] == "personal" and created["ownerId"] == "agent-ann"
    url = f"{BASE}/{created['id']}"
    assert client.get(url, headers=hdr["ann"]).get_json()["body"] == "Thank you!"

    patched = client.patch(url, json={"body": "Thanks, {{customer.name}}!"}, headers=hdr["ann"])
    assert patched.status_code == 200 and patched.get_json()["body"].endswith("{{customer.name}}!")
    listed = client.get(f"{BASE}?q=thanks", headers=hdr["ann"]).get_json()
    assert [r["id"] for r in listed["items"]] == [created["id"]] and listed["total"] == 1

    deleted = client.delete(url, headers=hdr["ann"])
    assert deleted.status_code == 204 and deleted.data == b""
    gone = client.get(url, headers=hdr["ann"])
    assert gone.status_code == 404
    assert gone.get_json()["error"]["code"] == "canned_response_not_found"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"shortcut": "Refund"}, "shortcut"),  # uppercase
        ({"shortcut": "refund policy"}, "shortcut"),
        ({"shortcut": "/refund"}, "shortcut"),
        ({"shortcut": ""}, "shortcut"),
        ({"shortcut": "x" * 41}, "shortcut"),
        # Python's $ also matches before a final newline; OpenAPI's pattern (ECMA-262) does not.
        ({"shortcut": "refund\n"}, "shortcut"),
        ({"shortcut": "ok", "body": ""}, "body"),
        ({"shortcut": "ok", "body": "   \n"}, "body"),
        ({"shortcut": "ok", "body": "x" * 4001}, "body"),
        ({"shortcut": "ok", "title": ""}, "title"),
        ({"shortcut": "ok", "scope": "everyone"}, "scope"),
        ({"shortcut": "ok", "ownerId": "agent-bob"}, "ownerId"),
    ],
)
def test_bad_input_is_422_with_the_field(
    client: Any, hdr: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    resp = client.post(BASE, json={"title": "T", "body": "b", **body}, headers=hdr["ann"])
    assert resp.status_code == 422
    error = resp.get_json()["error"]
    assert error["code"] == "validation_error" and field in error["details"]


def test_a_shortcut_with_a_final_newline_is_refused_on_update(
    client: Any, hdr: dict[str, Any]
) -> None:
    mine = _create(client, hdr["ann"], shortcut="refund")
    resp = client.patch(f"{BASE}/{mine['id']}", json={"shortcut": "refund\n"}, headers=hdr["ann"])
    assert resp.status_code == 422
    assert "shortcut" in resp.get_json()["error"]["details"]
    assert client.get(f"{BASE}/{mine['id']}", headers=hdr["ann"]).get_json()["shortcut"] == "refund"


def test_longest_shortcut_and_body_are_accepted(client: Any, hdr: dict[str, Any]) -> None:
    created = _create(client, hdr["ann"], shortcut="a-_9" + "x" * 36, body="y" * 4000)
    assert len(created["shortcut"]) == 40 and len(created["body"]) == 4000


def test_unknown_variable_lists_the_valid_ones(client: Any, hdr: dict[str, Any]) -> None:
    resp = client.post(
        BASE,
        json={"shortcut": "x", "title": "X", "body": "Dear {{ customer.phone }}"},
        headers=hdr["ann"],
    )
    assert resp.status_code == 422
    error = resp.get_json()["error"]
    assert error["code"] == "unknown_variable"
    assert "{{customer.phone}}" in error["message"]
    assert error["details"]["unknownVariables"] == ["customer.phone"]
    assert error["details"]["validVariables"] == [
        "customer.name",
        "customer.email",
        "agent.name",
        "session.id",
    ]


def test_duplicate_shortcuts_are_409(client: Any, hdr: dict[str, Any]) -> None:
    _create(client, hdr["eve"], scope="team", shortcut="refund")
    again = client.post(
        BASE,
        json={"scope": "team", "shortcut": "refund", "title": "T", "body": "b"},
        headers=hdr["eve"],
    )
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "duplicate_shortcut"
    # A personal reply may take a team shortcut, once per agent.
    _create(client, hdr["ann"], shortcut="refund")
    twice = client.post(
        BASE, json={"shortcut": "refund", "title": "T", "body": "b"}, headers=hdr["ann"]
    )
    assert twice.status_code == 409
    _create(client, hdr["bob"], shortcut="refund")


def test_another_agents_personal_reply_is_404_everywhere(client: Any, hdr: dict[str, Any]) -> None:
    mine = _create(client, hdr["ann"], shortcut="sig")
    url = f"{BASE}/{mine['id']}"
    for who in ("bob", "eve"):
        for resp in (
            client.get(url, headers=hdr[who]),
            client.patch(url, json={"title": "Mine"}, headers=hdr[who]),
            client.delete(url, headers=hdr[who]),
            client.post(f"{url}/render", json={"sessionId": "x"}, headers=hdr[who]),
        ):
            assert resp.status_code == 404
            assert resp.get_json()["error"]["code"] == "canned_response_not_found"
        assert client.get(BASE, headers=hdr[who]).get_json()["items"] == []


def test_agents_may_not_change_team_replies(client: Any, hdr: dict[str, Any]) -> None:
    refused = client.post(
        BASE, json={"scope": "team", "shortcut": "t", "title": "T", "body": "b"}, headers=hdr["ann"]
    )
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
    team = _create(client, hdr["eve"], scope="team", shortcut="t")
    url = f"{BASE}/{team['id']}"
    assert client.get(url, headers=hdr["ann"]).status_code == 200
    for resp in (
        client.patch(url, json={"body": "mine now"}, headers=hdr["ann"]),
        client.delete(url, headers=hdr["ann"]),
    ):
        assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "forbidden"
    assert client.patch(url, json={"body": "new"}, headers=hdr["eve"]).status_code == 200


def test_customers_get_403_on_every_endpoint(client: Any, hdr: dict[str, Any]) -> None:
    team = _create(client, hdr["eve"], scope="team", shortcut="t")
    url = f"{BASE}/{team['id']}"
    for resp in (
        client.get(BASE, headers=hdr["cora"]),
        client.post(BASE, json={"shortcut": "x", "title": "X", "body": "x"}, headers=hdr["cora"]),
        client.get(url, headers=hdr["cora"]),
        client.patch(url, json={"title": "X"}, headers=hdr["cora"]),
        client.delete(url, headers=hdr["cora"]),
        client.post(f"{url}/render", json={"sessionId": "x"}, headers=hdr["cora"]),
    ):
        assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "forbidden"


def test_render_for_a_chat(client: Any, hdr: dict[str, Any], ctx: Any, make_user: Any) -> None:
    from livechat.models import Role
    from livechat.services import sessions
    from livechat.services.users import Identity, sync_user

    session, _ = sessions.open_session(make_user("cust-cora", "user", "Cora"))
    reply = _create(
        client,
        hdr["eve"],
        scope="team",
        shortcut="hi",
        body="Hi {{customer.name}}, I'm {{agent.name}}. {{customer.email}}",
    )
    render = f"{BASE}/{reply['id']}/render"
    resp = client.post(render, json={"sessionId": session.id}, headers=hdr["ann"])
    assert resp.status_code == 200
    assert resp.get_json() == {
        "cannedResponseId": reply["id"],
        "sessionId": session.id,
        "text": "Hi Cora, I'm Ann. ",
    }
    nameless, _ = sessions.open_session(sync_user(Identity(uid="cust-x", role=Role.USER)))
    text = client.post(render, json={"sessionId": nameless.id}, headers=hdr["bob"]).get_json()
    assert text["text"] == "Hi , I'm Bob. "

    missing = client.post(render, json={"sessionId": "no-such-chat"}, headers=hdr["ann"])
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "session_not_found"
    bad = client.post(render, json={}, headers=hdr["ann"])
    assert bad.status_code == 422 and "sessionId" in bad.get_json()["error"]["details"]


def test_the_openapi_document_describes_canned_replies(client: Any) -> None:
    spec = client.get("/api/openapi.json").get_json()
    ops = spec["paths"][BASE]
    assert {"get", "post"} <= set(ops)
    one = spec["paths"][BASE + "/{canned_id}"]
    assert {"get", "patch", "delete"} <= set(one)
    assert "content" not in one["delete"]["responses"]["204"]
    assert {"403", "404"} <= set(one["delete"]["responses"])
    assert "409" in ops["post"]["responses"] and "422" in ops["post"]["responses"]
    render = spec["paths"][BASE + "/{canned_id}/render"]["post"]
    assert render["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/RenderRequest"
    )
    create = spec["components"]["schemas"]["CannedResponseCreate"]["properties"]
    assert create["shortcut"]["pattern"] == "^[a-z0-9_-]{1,40}$"
    assert create["body"]["maxLength"] == 4000
    assert create["scope"]["enum"] == ["team", "personal"]


def test_text_may_start_with_whitespace_but_not_be_only_whitespace(
    client: Any, hdr: dict[str, Any]
) -> None:
    """The OpenAPI pattern searches; marshmallow matches from the start: both agree."""
    created = _create(client, hdr["ann"], shortcut="indent", title=" Indented", body="\n  Hi")
    assert created["title"] == " Indented" and created["body"] == "\n  Hi"
    spec = client.get("/api/openapi.json").get_json()
    body = spec["components"]["schemas"]["CannedResponseCreate"]["properties"]["body"]
    assert re.search(body["pattern"], "\n  Hi") and not re.search(body["pattern"], " \n ")

"""GET/PATCH /api/support/me/notification-settings: your own settings, kept across sign-ins."""

from __future__ import annotations

from typing import Any

import pytest

URL = "/api/support/me/notification-settings"
EVENTS = ("queuedChat", "newMessage", "assigned", "slaBreach")


@pytest.fixture()
def hdr(auth: Any) -> dict[str, dict[str, str]]:
    return {
        "ann": auth("agent-ann", "agent", name="Ann"),
        "bob": auth("agent-bob", "agent", name="Bob"),
        "eve": auth("admin-eve", "admin", name="Eve"),
        "cora": auth("cust-cora", "user", name="Cora"),
    }


def test_defaults_then_a_change_that_outlives_the_sign_in(
    client: Any, hdr: dict[str, Any], auth: Any
) -> None:
    first = client.get(URL, headers=hdr["ann"])
    assert first.status_code == 200
    body = first.get_json()
    assert body["muted"] is False and body["updatedAt"] is None
    assert set(body["events"]) == set(EVENTS)
    assert all(body["events"][e] == {"sound": True, "desktop": True, "title": True} for e in EVENTS)

    patch = {
        "muted": True,
        "events": {"queuedChat": {"desktop": False}, "slaBreach": {"sound": False}},
    }
    changed = client.patch(URL, json=patch, headers=hdr["ann"])
    assert changed.status_code == 200, changed.get_json()
    saved = changed.get_json()
    assert saved["muted"] is True and saved["updatedAt"]
    assert saved["events"]["queuedChat"] == {"sound": True, "desktop": False, "title": True}
    assert saved["events"]["slaBreach"] == {"sound": False, "desktop": True, "title": True}

    # A new sign-in is a new token: the settings are the server's, not the browser's.
    again = auth("agent-ann", "agent", name="Ann")
    assert client.get(URL, headers=again).get_json() == saved
    # Nobody else's changed.
    assert client.get(URL, headers=hdr["bob"]).get_json()["muted"] is False
    assert client.get(URL, headers=hdr["eve"]).get_json()["updatedAt"] is None


def test_a_customer_is_refused(client: Any, hdr: dict[str, Any]) -> None:
    for resp in (
        client.get(URL, headers=hdr["cora"]),
        client.patch(URL, json={"muted": True}, headers=hdr["cora"]),
    ):
        assert resp.status_code == 403
        assert resp.get_json()["error"]["code"] == "forbidden"
    assert client.get(URL).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "_schema"),
        ({"muted": "true"}, "muted"),
        ({"muted": 0}, "muted"),
        ({"muted": None}, "muted"),
        ({"events": {"typing": {"sound": True}}}, "events"),
        ({"events": {"assigned": {"vibrate": True}}}, "events"),
        ({"events": {"assigned": {"sound": 1}}}, "events"),
        ({"events": {"assigned": True}}, "events"),
        ({"events": []}, "events"),
        ({"userId": "agent-bob", "muted": True}, "userId"),
    ],
)
def test_bad_input_is_422_naming_the_field_and_changes_nothing(
    client: Any, hdr: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    resp = client.patch(URL, json=body, headers=hdr["ann"])
    assert resp.status_code == 422, resp.get_json()
    error = resp.get_json()["error"]
    assert error["code"] == "validation_error" and field in error["details"]
    assert client.get(URL, headers=hdr["ann"]).get_json()["updatedAt"] is None


@pytest.mark.parametrize("raw", [b"{not json", b"[true]", b'"muted"'])
def test_a_body_that_is_not_a_json_object_is_a_clear_error(
    client: Any, hdr: dict[str, Any], raw: bytes
) -> None:
    resp = client.patch(URL, data=raw, headers={**hdr["ann"], "Content-Type": "application/json"})
    assert resp.status_code in (400, 422)
    assert resp.get_json()["error"]["code"] in ("invalid_json", "validation_error")


def test_the_openapi_document_describes_both_operations(client: Any) -> None:
    spec = client.get("/api/openapi.json").get_json()
    ops = spec["paths"][URL]
    assert set(ops) == {"get", "patch"}
    assert {"200", "401", "403"} <= set(ops["get"]["responses"])
    assert {"200", "400", "403", "422"} <= set(ops["patch"]["responses"])
    assert ops["patch"]["requestBody"]["required"] is True

"""Notification settings: the defaults, partial changes, who may have them, and validation."""

from __future__ import annotations

from typing import Any

import pytest

ALL_ON = {
    event: {"sound": True, "desktop": True, "title": True}
    for event in ("queued_chat", "new_message", "assigned", "sla_breach")
}


@pytest.fixture()
def people(ctx: Any, make_user: Any) -> dict[str, Any]:
    return {
        "ann": make_user("agent-ann", "agent", "Ann"),
        "bob": make_user("agent-bob", "agent", "Bob"),
        "eve": make_user("admin-eve", "admin", "Eve"),
        "cora": make_user("cust-cora", "user", "Cora"),
    }


def test_an_agent_who_never_saved_gets_everything_on(people: dict[str, Any]) -> None:
    from livechat.extensions import db
    from livechat.models import NotificationSettings
    from livechat.services import notification_settings

    view = notification_settings.get_settings(people["ann"])
    assert view == {"muted": False, "events": ALL_ON, "updated_at": None}
    assert db.session.get(NotificationSettings, "agent-ann") is None  # reading stores nothing


def test_a_change_keeps_what_it_does_not_name_and_is_the_callers_alone(
    people: dict[str, Any],
) -> None:
    from livechat.services import notification_settings as ns

    ns.update_settings(people["ann"], events={"queued_chat": {"desktop": False}})
    view = ns.update_settings(people["ann"], events={"new_message": {"sound": False}})
    assert view["events"]["queued_chat"] == {"sound": True, "desktop": False, "title": True}
    assert view["events"]["new_message"] == {"sound": False, "desktop": True, "title": True}
    assert view["events"]["assigned"] == ALL_ON["assigned"] and view["muted"] is False
    assert view["updated_at"] is not None

    muted = ns.update_settings(people["ann"], muted=True)
    assert muted["muted"] is True and muted["events"] == view["events"]
    back = ns.update_settings(people["ann"], events={"queued_chat": {"desktop": True}})
    assert back["events"]["queued_chat"] == {"sound": True, "desktop": True, "title": True}

    # Bob and the admin are untouched; an admin has settings of their own.
    assert ns.get_settings(people["bob"])["events"] == ALL_ON
    admin = ns.update_settings(people["eve"], events={"sla_breach": {"title": False}})
    assert admin["events"]["sla_breach"]["title"] is False
    assert ns.get_settings(people["ann"])["muted"] is True


def test_a_customer_has_no_notification_settings(people: dict[str, Any]) -> None:
    from livechat.errors import Forbidden
    from livechat.services import notification_settings as ns

    with pytest.raises(Forbidden):
        ns.get_settings(people["cora"])
    with pytest.raises(Forbidden):
        ns.update_settings(people["cora"], muted=True)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"muted": 1}, "muted"),
        ({"muted": "yes"}, "muted"),
        ({"events": []}, "events"),
        ({"events": {"typing": {"sound": False}}}, "events.typing"),
        ({"events": {"assigned": True}}, "events.assigned"),
        ({"events": {"assigned": {"vibrate": True}}}, "events.assigned.vibrate"),
        ({"events": {"assigned": {"sound": "off"}}}, "events.assigned.sound"),
        ({"events": {"assigned": {"sound": None}}}, "events.assigned.sound"),
    ],
)
def test_bad_changes_are_refused_and_nothing_is_stored(
    people: dict[str, Any], changes: dict[str, Any], field: str
) -> None:
    from livechat.errors import InvalidInput
    from livechat.services import notification_settings as ns

    with pytest.raises(InvalidInput) as exc:
        ns.update_settings(people["ann"], **changes)
    assert exc.value.code == "validation_error" and field in exc.value.details
    assert ns.get_settings(people["ann"])["updated_at"] is None


def test_stored_choices_for_events_that_no_longer_exist_are_ignored(
    people: dict[str, Any],
) -> None:
    """A row saved by another version (an event renamed, a channel dropped) still reads."""
    from livechat.extensions import db
    from livechat.models import NotificationSettings, utcnow
    from livechat.services import notification_settings as ns

    db.session.add(
        NotificationSettings(
            user_id="agent-ann",
            muted=False,
            channels={"old_event": {"sound": False}, "assigned": {"sound": False, "flash": 1}},
            updated_at=utcnow(),
        )
    )
    db.session.commit()
    view = ns.get_settings(people["ann"])
    assert set(view["events"]) == set(ALL_ON)
    assert view["events"]["assigned"] == {"sound": False, "desktop": True, "title": True}


def test_the_wire_schema_names_the_services_events_and_channels() -> None:
    """The events and channels are listed once in the service; the schema must not drift."""
    from livechat.schemas.settings import ChannelsSchema, EventsSchema
    from livechat.services.notification_settings import CHANNELS, EVENTS

    assert tuple(EventsSchema().fields) == EVENTS
    assert tuple(ChannelsSchema().fields) == CHANNELS

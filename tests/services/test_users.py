"""record_contact: the one-statement upsert every sign-in runs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa


def _row(uid: str) -> Any:
    from livechat.extensions import db
    from livechat.models import User

    db.session.remove()
    return db.session.scalars(sa.select(User).where(User.id == uid)).first()


def test_first_contact_creates_then_changes_only_what_the_token_says(ctx: Any) -> None:
    from livechat.models import Role
    from livechat.services.users import Identity, record_contact

    record_contact(Identity("cust-1", Role.USER, email="a@example.com", name="Ann"))
    first = _row("cust-1")
    seen = first.last_seen_at
    assert (first.email, first.display_name, first.role) == ("a@example.com", "Ann", Role.USER)

    # The same claims again: nothing to write (last_seen_at is fresh).
    record_contact(Identity("cust-1", Role.USER, email="a@example.com", name="Ann"))
    assert _row("cust-1").last_seen_at == seen

    # A token without email or name keeps the stored ones; a new role is taken.
    record_contact(Identity("cust-1", Role.AGENT))
    row = _row("cust-1")
    assert (row.email, row.display_name, row.role) == ("a@example.com", "Ann", Role.AGENT)

    record_contact(Identity("cust-1", Role.AGENT, email="new@example.com"))
    assert _row("cust-1").email == "new@example.com"


def test_a_stale_last_seen_is_refreshed(ctx: Any) -> None:
    from livechat.extensions import db
    from livechat.models import Role, User
    from livechat.services.users import LAST_SEEN_RESOLUTION, Identity, record_contact

    record_contact(Identity("cust-2", Role.USER))
    old = _row("cust-2").last_seen_at - LAST_SEEN_RESOLUTION - timedelta(seconds=1)
    db.session.execute(sa.update(User).where(User.id == "cust-2").values(last_seen_at=old))
    db.session.commit()
    record_contact(Identity("cust-2", Role.USER))
    assert _row("cust-2").last_seen_at > old + LAST_SEEN_RESOLUTION


def test_an_unchanged_contact_only_reads(ctx: Any) -> None:
    """The same claims again lock nothing and write nothing: no transaction id is taken, so
    the row's xmax stays as it was (ON CONFLICT DO UPDATE would lock it: WAL and a commit
    flush on every connect)."""
    from livechat.extensions import db
    from livechat.models import Role
    from livechat.services.users import Identity, record_contact

    def xmax() -> tuple[str, str]:
        db.session.remove()
        row = db.session.execute(
            sa.text("SELECT xmax::text, ctid::text FROM users WHERE id = 'cust-3'")
        ).one()
        db.session.rollback()
        return row[0], row[1]

    record_contact(Identity("cust-3", Role.USER, email="c@example.com", name="Cy"))
    before = xmax()
    for _ in range(3):
        record_contact(Identity("cust-3", Role.USER, email="c@example.com", name="Cy"))
        record_contact(Identity("cust-3", Role.USER))  # no email, no name: keeps the stored
    assert xmax() == before
    record_contact(Identity("cust-3", Role.USER, name="Cyril"))
    assert xmax() != before
    assert _row("cust-3").display_name == "Cyril"

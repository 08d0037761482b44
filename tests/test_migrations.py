"""The migration chain builds exactly the models' schema, and walks down and up again."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tests.support import services


@pytest.fixture()
def empty_pg_app() -> Iterator[Any]:
    from livechat import create_app

    url = services.create_database(f"livechat_mig_{secrets.token_hex(4)}")
    os.environ["DATABASE_URL"] = url
    try:
        app = create_app("testing")
    finally:
        os.environ.pop("DATABASE_URL")
    yield app
    from livechat import shutdown_app

    shutdown_app(app)
    services.drop_database(url)


def _diff(app: Any) -> list[Any]:
    from livechat.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_upgrade_matches_models_and_downgrade_reverses(empty_pg_app: Any) -> None:
    from flask_migrate import downgrade, upgrade

    with empty_pg_app.app_context():
        upgrade()
    assert _diff(empty_pg_app) == []

    with empty_pg_app.app_context():
        downgrade(revision="base")
        import sqlalchemy as sa

        from livechat.extensions import db

        tables = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        upgrade()
    assert _diff(empty_pg_app) == []


def test_flask_db_upgrade_command(empty_pg_app: Any) -> None:
    """The Procfile's release command, through the CLI."""
    runner = empty_pg_app.test_cli_runner()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert _diff(empty_pg_app) == []

"""The embedded PostgreSQL of the zero-setup run: reused data, stopped by its last user, and a
clear message when it cannot start."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support import embedded

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.embedded


@pytest.fixture()
def pgdata() -> Iterator[Path]:
    from livechat import embedded_db

    with embedded.scratch_dir("livechat-embedded-") as instance:
        path = instance / "postgres"
        yield path
        embedded_db.stop(path)


def _query(url: str, sql: str) -> list[tuple]:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.exec_driver_sql(sql)
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        engine.dispose()


def test_a_second_start_reuses_the_data(pgdata: Path) -> None:
    from livechat import embedded_db

    url = embedded_db.start(pgdata)
    parts = sa.engine.make_url(url)
    assert (parts.drivername, parts.username, parts.host, parts.database) == (
        "postgresql+psycopg",
        "postgres",
        None,  # no TCP: the Unix socket in the data folder, trust auth
        "livechat",
    )
    assert parts.query == {"host": str(pgdata.resolve())}
    version = _query(url, "SELECT current_setting('server_version_num')::int")[0][0]
    assert version // 10000 == 18
    _query(url, "CREATE TABLE kept (note text); INSERT INTO kept VALUES ('still here')")
    embedded_db.stop(pgdata)
    assert not embedded.running(pgdata)

    assert embedded_db.start(pgdata) == url
    assert _query(url, "SELECT note FROM kept") == [("still here",)]


def test_a_killed_user_does_not_keep_the_server_running_for_ever(pgdata: Path) -> None:
    """A process killed outright never says it is gone: the next one to start notices, and
    stops the server when it exits itself."""
    from livechat import embedded_db

    code = (
        "import os, pathlib, signal, sys; from livechat import embedded_db;"
        "embedded_db.start(pathlib.Path(sys.argv[1])); os.kill(os.getpid(), signal.SIGKILL)"
    )
    killed = subprocess.run(
        [sys.executable, "-c", code, str(pgdata)], cwd=ROOT, capture_output=True, timeout=60
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert embedded.running(pgdata)  # left behind by the killed process

    embedded_db.start(pgdata)  # joins it
    embedded_db.stop(pgdata)  # and, its last live user, stops it
    assert not embedded.running(pgdata)


def test_an_unusable_folder_is_a_clear_error(tmp_path: Path) -> None:
    from livechat.embedded_db import EmbeddedPostgresError, start

    not_a_folder = tmp_path / "instance"
    not_a_folder.write_text("a file where the instance folder should be")
    with pytest.raises(EmbeddedPostgresError) as refused:
        start(not_a_folder / "postgres")
    message = str(refused.value)
    assert message.startswith(f"cannot start the embedded PostgreSQL in {not_a_folder}")
    assert "EMBEDDED_POSTGRES_DIR" in message and "DATABASE_URL" in message


def test_the_server_command_reports_it_without_a_traceback(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "instance"
    not_a_folder.write_text("")
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "LIVECHAT_ENV"}}
    env["EMBEDDED_POSTGRES_DIR"] = str(not_a_folder / "postgres")
    proc = subprocess.run(
        [sys.executable, "wsgi.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2
    assert "livechat: configuration error: cannot start the embedded PostgreSQL" in proc.stderr
    assert "Traceback" not in proc.stderr

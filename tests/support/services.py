"""Bring up (or fail loudly about) the real PostgreSQL and Redis the suite runs against."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

PG_ADMIN_URL = os.environ.get(
    "LIVECHAT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_BASE_URL = os.environ.get("LIVECHAT_TEST_REDIS_URL", "redis://127.0.0.1:6379")
REDIS_TEST_DB = int(os.environ.get("LIVECHAT_TEST_REDIS_DB", "7"))


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _start_postgres() -> None:
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if not versions or not shutil.which("pg_ctlcluster"):
        return
    # Exit status 2 means "already running": not an error here.
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"],
        check=False,
        capture_output=True,
    )


def _start_redis() -> None:
    if not shutil.which("redis-server"):
        return
    os.makedirs("/var/lib/redis", exist_ok=True)
    os.makedirs("/var/log/redis", exist_ok=True)
    subprocess.run(
        [
            "redis-server",
            "--daemonize",
            "yes",
            "--bind",
            "127.0.0.1",
            "-::1",
            "--port",
            "6379",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            "/var/lib/redis",
            "--logfile",
            "/var/log/redis/ci.log",
        ],
        check=False,
        capture_output=True,
    )


def ensure_running() -> None:
    """Start PostgreSQL and Redis when they are down; stop the run with a clear message if not."""
    wanted = [
        ("PostgreSQL", urlsplit(PG_ADMIN_URL), _start_postgres),
        ("Redis", urlsplit(REDIS_BASE_URL), _start_redis),
    ]
    for name, url, start in wanted:
        host, port = url.hostname or "127.0.0.1", url.port or 0
        if _reachable(host, port):
            continue
        start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not _reachable(host, port):
            time.sleep(0.5)
        if not _reachable(host, port):
            pytest.exit(
                f"{name} is not reachable at {host}:{port} and could not be started. "
                "The tests need real PostgreSQL and Redis (see README, 'Running the tests').",
                returncode=3,
            )


def _connect_admin() -> Any:
    import psycopg

    return psycopg.connect(PG_ADMIN_URL, autocommit=True)


def create_database(name: str) -> str:
    with _connect_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(PG_ADMIN_URL)
    return urlunsplit(parts._replace(path=f"/{name}", scheme="postgresql+psycopg"))


def drop_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    with _connect_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def truncate_all(db: Any) -> None:
    """Empty every table. The session-wide app's background greenlets (the socket sweeper, the
    queue broadcaster) may be reading two of the tables meanwhile; TRUNCATE locks them one by
    one, so PostgreSQL can pick it as a deadlock's victim: then it is simply run again."""
    import psycopg
    from sqlalchemy.exc import OperationalError

    tables = ", ".join(t.name for t in db.metadata.sorted_tables)
    for attempt in range(5):
        try:
            with db.engine.begin() as conn:
                conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
            return
        except OperationalError as exc:
            if not isinstance(exc.orig, psycopg.errors.DeadlockDetected) or attempt == 4:
                raise


def redis_url() -> str:
    return f"{REDIS_BASE_URL}/{REDIS_TEST_DB}"


# ---- Outages on purpose (tests/faults): stop and start the real services --------------------


def _pg_cluster() -> list[str]:
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if not versions or not shutil.which("pg_ctlcluster"):
        raise RuntimeError("PostgreSQL is not managed by pg_ctlcluster here (no /etc/postgresql)")
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main"]


def require_root(what: str) -> None:
    """Fail (never skip) when the run cannot stop and start services: the test would prove nothing."""
    if os.geteuid() != 0:
        pytest.fail(
            f"{what} needs root (it stops and starts the local service with its admin tools); "
            "run the fault tests as root, or deselect them with -m 'not faults'",
            pytrace=False,
        )


def postgres_accepts() -> bool:
    """A new connection to PostgreSQL succeeds (not just the port: also not starting/stopping)."""
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=2) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def stop_postgres() -> None:
    """Fast shutdown: every open connection is terminated, as in a crash or a failover."""
    subprocess.run([*_pg_cluster(), "stop", "-m", "fast"], check=True, capture_output=True)


def start_postgres(timeout: float = 30) -> None:
    """Start the cluster (a no-op if it runs) and wait until it accepts connections."""
    subprocess.run([*_pg_cluster(), "start"], check=False, capture_output=True)
    _wait(postgres_accepts, timeout, "PostgreSQL did not come back")


def redis_address() -> tuple[str, int]:
    parts = urlsplit(REDIS_BASE_URL)
    return parts.hostname or "127.0.0.1", parts.port or 6379


def redis_up() -> bool:
    return _reachable(*redis_address())


def stop_redis(timeout: float = 10) -> None:
    """SHUTDOWN NOSAVE: Redis exits at once, every client connection is dropped."""
    host, port = redis_address()
    subprocess.run(
        ["redis-cli", "-h", host, "-p", str(port), "shutdown", "nosave"],
        check=False,
        capture_output=True,
    )
    _wait(lambda: not redis_up(), timeout, "Redis did not stop")


def start_redis(timeout: float = 30) -> None:
    """Start Redis with the machine's command line (see _start_redis) and wait for it."""
    if not redis_up():
        _start_redis()
    _wait(redis_up, timeout, "Redis did not come back")


def _wait(check: Any, timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(message)
        time.sleep(0.1)

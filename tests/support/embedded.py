"""Look at the embedded PostgreSQL from outside: is a server running on this data folder?"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psutil


def server_pids(pgdata: Path) -> list[int]:
    """The postgres processes (the postmaster and its children) serving ``pgdata``."""
    data = str(pgdata.resolve())
    pids = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if proc.info["name"] == "postgres" and data in cmdline:
            pids.append(proc.pid)
    return pids


def running(pgdata: Path) -> bool:
    """A server runs on ``pgdata`` (its postmaster.pid is there, or a process says -D pgdata)."""
    return (pgdata / "postmaster.pid").exists() or bool(server_pids(pgdata))


@contextlib.contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    """A temporary folder outside pytest's: as root the server runs as another user, who must
    reach its data, and every pytest session started as root (anyone's, on a shared machine)
    closes /tmp/pytest-of-root to other users again, cutting a running server off its data."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)

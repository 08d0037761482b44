"""CPU-seconds of process trees from /proc (utime + stime), for CPU per delivered message.

A group is named by root PIDs (a gunicorn master, a postmaster, redis-server, nginx's master);
its CPU is every process under those roots, each with its reaped children's time (cutime +
cstime), so a PostgreSQL backend or worker that exits inside a window still counts, once, in its
parent. Standard library only: bench scripts run on the system Python.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            # the command name (field 2) may hold spaces or parentheses: split after the last ")"
            return f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            fields = _stat(int(d))
            if fields:
                kids.setdefault(int(fields[1]), []).append(int(d))
    return kids


def process_tree(roots: Iterable[int], kids: dict[int, list[int]] | None = None) -> list[int]:
    """The roots and all their descendants that are alive now."""
    kids = _children() if kids is None else kids
    out: list[int] = []
    stack = list(roots)
    seen: set[int] = set()
    while stack:
        pid = stack.pop()
        if pid in seen or _stat(pid) is None:
            continue
        seen.add(pid)
        out.append(pid)
        stack.extend(kids.get(pid, []))
    return out


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process plus those of its children it has reaped (0 if gone)."""
    fields = _stat(pid)
    if not fields:
        return 0.0
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / CLK_TCK


def tree_cpu(roots: Iterable[int], kids: dict[int, list[int]] | None = None) -> float:
    """CPU-seconds used so far by the trees under ``roots``."""
    return sum(cpu_seconds(p) for p in process_tree(roots, kids))


def sample(groups: Mapping[str, Iterable[int]]) -> dict[str, float]:
    """CPU-seconds so far of each named group (one pass over /proc for all of them)."""
    kids = _children()
    return {name: tree_cpu(roots, kids) for name, roots in groups.items()}


def delta(before: Mapping[str, float], after: Mapping[str, float]) -> dict[str, float]:
    """CPU-seconds each group used between two samples (never negative)."""
    return {k: max(0.0, after.get(k, 0.0) - v) for k, v in before.items()}


def rss_kib(roots: Iterable[int]) -> int:
    """VmRSS summed over the trees under ``roots``."""
    total = 0
    for pid in process_tree(roots):
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total

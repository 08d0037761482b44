"""deploy/nginx.conf made ready to run beside a test or a benchmark: the shipped file with only its
upstream servers and its listen port replaced (tests/support/nginx.py, bench/deployed.py).
Standard library only: the benchmarks run it on the system Python."""

from __future__ import annotations

import re
from pathlib import Path

SHIPPED = Path(__file__).resolve().parent / "nginx.conf"


def site_config(backends: list[int], port: int) -> str:
    """The shipped file serving ``backends`` (loopback ports) on 127.0.0.1:``port``."""
    text = SHIPPED.read_text()
    shipped = re.findall(r"^\s*server 127\.0\.0\.1:\d+ .*;$", text, flags=re.M)
    if len(shipped) != 2:
        raise RuntimeError("deploy/nginx.conf should list two example processes")
    options = shipped[0].split(None, 2)[2]
    lines = "\n".join(f"    server 127.0.0.1:{b} {options}" for b in backends)
    text = text.replace("\n".join(shipped), lines)
    text, n = re.subn(r"^(\s*)listen 80;$", rf"\1listen 127.0.0.1:{port};", text, flags=re.M)
    if n != 1:
        raise RuntimeError("deploy/nginx.conf should listen on port 80 once")
    return text

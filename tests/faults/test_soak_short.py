"""scripts/soak, short: two processes, customers and agents across them, nothing lost."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.support import services
from tests.support.server import ROOT

pytestmark = pytest.mark.timeout(120)


def test_short_soak_delivers_every_message_exactly_once() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "soak"),
            "--minutes",
            "0.3",
            "--customers",
            "10",
            "--agents",
            "2",
            "--pg-url",
            services.PG_ADMIN_URL,
            "--redis-url",
            services.redis_url(),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    assert lines, proc.stdout + proc.stderr
    report = json.loads(lines[0])
    assert report["sent"] > 0, report
    # Counts only (no timings): every message sent was acked, stored and delivered, once each.
    assert report["sent"] == report["acked"] == report["stored"] == report["delivered"], report
    assert report["lost"] == report["duplicates"] == report["outOfOrder"] == 0, report
    assert report["ok"] and proc.returncode == 0, proc.stdout + proc.stderr

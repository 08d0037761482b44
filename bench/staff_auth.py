#!/usr/bin/env python3
"""What the team check costs a sign-in: ``authenticate()`` for a customer's token (not looked
up) and for an agent's (one indexed read of team_members first), in one process.

    DATABASE_URL=postgresql+psycopg://... python bench/staff_auth.py [N]

The database must be migrated (``flask --app wsgi db upgrade``). Prints one JSON line: the
median and p95 microseconds per call for each kind of token, and for the team check alone.
Every call ends in the usual ``record_contact`` upsert (no write when nothing changed), which
both kinds share.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(n: int) -> dict[str, object]:
    from livechat import create_app, runtime, shutdown_app
    from livechat.auth import authenticate
    from livechat.services import team

    os.environ.setdefault("SECRET_KEY", "bench-staff-auth")
    app = create_app("testing")
    result: dict[str, object] = {"calls": n}
    try:
        with app.app_context():
            verifier = runtime.verifier()
            tokens = {
                "customer": verifier.issue("bench-cust", role="user"),  # type: ignore[attr-defined]
                "agent": verifier.issue("bench-agent", role="agent"),  # type: ignore[attr-defined]
            }
            agent = authenticate(tokens["agent"])
            calls = {kind: (authenticate, token) for kind, token in tokens.items()}
            calls["teamCheckOnly"] = (team.check_staff_token, agent)
            for kind, (fn, arg) in calls.items():
                fn(arg)  # first contact: the rows exist from here on
                samples = []
                for _ in range(n):
                    start = time.perf_counter()
                    fn(arg)  # type: ignore[operator]
                    samples.append((time.perf_counter() - start) * 1e6)
                samples.sort()
                result[kind] = {
                    "medianUs": round(statistics.median(samples)),
                    "p95Us": round(samples[int(len(samples) * 0.95)]),
                }
    finally:
        shutdown_app(app)
    return result


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)))

#!/usr/bin/env python3
"""Which rate limits a bench run had, as ``rateLimits`` in its result lines.

`bench/run` runs the project's shipped defaults (rate limits on) unless ``--no-rate-limits``;
the harness records only the names of the variables it was given, so this writes
``{"enabled": bool, "changed": {RATE_LIMIT_*: value}}`` into every line of the project
(target L) that lacks it: `limits_note.py FILE.jsonl...`, reading $BENCH_LC_ENV as the harness
does; ``--skip N`` leaves a file's first N lines (earlier runs) as they are. The scenarios built
on _server.py record the same object through ``rate_limits()``.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from typing import Any


def rate_limits(env: dict[str, str]) -> dict[str, Any]:
    """On or off as config.py reads RATE_LIMITS_ENABLED (unset or empty: on), and any setting
    of the limits the run changed."""
    raw = env.get("RATE_LIMITS_ENABLED", "").strip().lower()
    return {
        "enabled": raw in ("", "1", "true", "yes", "on"),
        "changed": {k: v for k, v in env.items() if k.startswith("RATE_LIMIT")},
    }


def harness_env() -> dict[str, str]:
    """The extra variables the harness gives target L from $BENCH_LC_ENV."""
    pairs = (kv.partition("=") for kv in shlex.split(os.environ.get("BENCH_LC_ENV", "")))
    return {k: v for k, _, v in pairs}


def main(argv: list[str]) -> int:
    skip = 0
    if argv[:1] == ["--skip"]:
        skip, argv = int(argv[1]), argv[2:]
    note = rate_limits(harness_env())
    for path in argv:
        if not os.path.exists(path):
            continue
        with open(path) as f:
            lines = f.readlines()
        for i in range(skip, len(lines)):
            result = json.loads(lines[i])
            if result.get("target") == "L" and "rateLimits" not in result:
                lines[i] = json.dumps({**result, "rateLimits": note}) + "\n"
        with open(path, "w") as f:
            f.writelines(lines)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

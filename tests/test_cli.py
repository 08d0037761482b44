"""The dev token CLI prints only a token that the API accepts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jwt

ROOT = Path(__file__).resolve().parent.parent


def test_token_command_issues_a_working_token(app: Any, client: Any) -> None:
    result = app.test_cli_runner().invoke(
        args=["livechat", "token", "agent-7", "--role", "agent", "--name", "Ada", "--ttl", "120"]
    )
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert "\n" not in token
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["sub"] == "agent-7" and claims["role"] == "agent" and claims["name"] == "Ada"
    assert claims["exp"] - claims["iat"] == 120
    resp = client.get("/api/support/chat/queue", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200


def test_token_command_rejects_bad_arguments(app: Any) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["livechat", "token", "u", "--role", "root"]).exit_code != 0
    assert runner.invoke(args=["livechat", "token", "u", "--ttl", "0"]).exit_code != 0
    assert runner.invoke(args=["livechat", "token", "x" * 129]).exit_code != 0


def test_flask_cli_entry_point_prints_only_the_token(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "AUTH_MODE"}}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.db'}"
    proc = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "livechat", "token", "cust-1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].count(".") == 2

"""The real Firebase Auth emulator (firebase-tools from npm, installed by .ci/ensure-firebase),
started on free loopback ports, with the REST calls a Firebase web client makes against it.

firebase-admin talks to it when ``FIREBASE_AUTH_EMULATOR_HOST`` is set (then it accepts the
emulator's unsigned tokens: tests only, never production). The console's Firebase JS SDK talks to
it through ``connectAuthEmulator``. Nothing here reaches the internet: the project id starts with
``demo-`` so the emulator uses a demo configuration.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.support.server import ROOT, free_port

FIREBASE_BIN = ROOT / "tools" / "firebase" / "node_modules" / ".bin" / "firebase"
PROJECT_ID = "demo-livechat"
API_KEY = "fake-api-key"
START_TIMEOUT = 90.0


class AuthEmulator:
    """One emulator process; ``host`` is what FIREBASE_AUTH_EMULATOR_HOST takes."""

    def __init__(self, log_path: Path, project_id: str = PROJECT_ID) -> None:
        if not FIREBASE_BIN.exists():
            raise RuntimeError(
                f"the Firebase Auth emulator is not installed ({FIREBASE_BIN} is missing): run "
                "`make test` or `.ci/ensure-firebase` (npm installs firebase-tools)"
            )
        self.project_id = project_id
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.host}"
        self._dir = tempfile.TemporaryDirectory(prefix="livechat-firebase-")
        config = {
            "emulators": {
                "auth": {"host": "127.0.0.1", "port": self.port},
                "hub": {"host": "127.0.0.1", "port": free_port()},
                "logging": {"host": "127.0.0.1", "port": free_port()},
                "ui": {"enabled": False},
                "singleProjectMode": True,
            }
        }
        Path(self._dir.name, "firebase.json").write_text(json.dumps(config))
        self._log_path = log_path
        self._log = open(log_path, "w")
        env = {
            **os.environ,
            # No telemetry, no update check, no motd over a network the tests do not have.
            "FIREBASE_CLI_DISABLE_UPDATE_CHECK": "true",
            "NO_UPDATE_NOTIFIER": "1",
            "CI": "true",
        }
        self._proc = subprocess.Popen(
            [str(FIREBASE_BIN), "emulators:start", "--only", "auth", "--project", project_id],
            cwd=self._dir.name,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its Node children end with it (killpg)
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"the Firebase Auth emulator exited:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(
            f"the Firebase Auth emulator was not ready in {START_TIMEOUT:.0f}s:\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 30) -> str:
        self._log.flush()
        return "\n".join(self._log_path.read_text(errors="replace").splitlines()[-lines:])

    # ---- what a web client does -----------------------------------------------------------------
    def _post(self, path: str, body: dict[str, Any], form: bool = False) -> dict[str, Any]:
        if form:
            data = "&".join(f"{k}={urllib.request.quote(str(v))}" for k, v in body.items())
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            payload = data.encode()
        else:
            headers = {"Content-Type": "application/json"}
            payload = json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=payload, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"emulator {path}: {exc.code} {exc.read()!r}") from exc

    def sign_up(self, email: str, password: str) -> dict[str, Any]:
        """A new e-mail/password account: {localId, idToken, refreshToken, ...}."""
        return self._post(
            f"/identitytoolkit.googleapis.com/v1/accounts:signUp?key={API_KEY}",
            {"email": email, "password": password, "returnSecureToken": True},
        )

    def sign_in(self, email: str, password: str) -> dict[str, Any]:
        """Sign in as the web SDK does; the ID token carries the custom claims set so far."""
        return self._post(
            f"/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key={API_KEY}",
            {"email": email, "password": password, "returnSecureToken": True},
        )

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        """A fresh ID token for a refresh token: {id_token, refresh_token, user_id, ...}."""
        return self._post(
            f"/securetoken.googleapis.com/v1/token?key={API_KEY}",
            {"grant_type": "refresh_token", "refresh_token": refresh_token},
            form=True,
        )

    def reset(self) -> None:
        """Delete every account (between tests)."""
        req = urllib.request.Request(
            f"{self.url}/emulator/v1/projects/{self.project_id}/accounts", method="DELETE"
        )
        with urllib.request.urlopen(req, timeout=10):
            pass

    def stop(self) -> None:
        if self._proc.poll() is None:
            try:
                os.killpg(self._proc.pid, signal.SIGTERM)
                self._proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self._proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self._proc.wait(timeout=10)
        self._log.close()
        self._dir.cleanup()

"""`flask livechat agents ...` against the real Firebase Auth emulator: an agent is invited with
one command, sets a password through the invitation link, signs in with e-mail and password and
is an agent; a new role or a removal takes effect at once, old tokens included."""

from __future__ import annotations

import json
import os
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.firebase_emulator import API_KEY

QUEUE = "/api/support/chat/queue"


@pytest.fixture()
def fb_app(app: Any, pg_url: str, firebase_auth: Any, monkeypatch: Any) -> Iterator[Any]:
    """The app in AUTH_MODE=firebase on this run's database, managing the emulator's users."""
    from livechat import create_app, shutdown_app

    monkeypatch.setenv("FIREBASE_AUTH_EMULATOR_HOST", firebase_auth.host)
    monkeypatch.setenv("DATABASE_URL", pg_url)
    application = create_app(
        {
            "LIVECHAT_ENV": "testing",
            "AUTH_MODE": "firebase",
            "FIREBASE_PROJECT_ID": firebase_auth.project_id,
        }
    )
    yield application
    shutdown_app(application)


def _cli(app: Any, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["livechat", "agents", *args])


def _firebase_user(app: Any, email: str) -> Any:
    from firebase_admin import auth

    from livechat import runtime

    return auth.get_user_by_email(email, app=runtime.verifier(app).app)  # type: ignore[attr-defined]


def _set_password(emulator: Any, link: str, password: str) -> None:
    """What the invitation's page does: the oobCode from the link sets the first password."""
    query = urllib.parse.parse_qs(urllib.parse.urlparse(link).query)
    body = json.dumps({"oobCode": query["oobCode"][0], "newPassword": password}).encode()
    req = urllib.request.Request(
        f"{emulator.url}/identitytoolkit.googleapis.com/v1/accounts:resetPassword?key={API_KEY}",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 200


def _get(app: Any, token: str) -> Any:
    return app.test_client().get(QUEUE, headers={"Authorization": f"Bearer {token}"})


def _invitation(output: str) -> str:
    return next(line for line in output.splitlines() if line.startswith("invitation: "))[12:]


def test_invite_sign_in_set_role_and_remove(fb_app: Any, firebase_auth: Any) -> None:
    # One command: the account is created, the claim set, an invitation printed.
    result = _cli(fb_app, "add", "Ann@Example.test", "--role", "agent", "--name", "Ann")
    assert result.exit_code == 0, result.output
    user = _firebase_user(fb_app, "ann@example.test")
    assert user.custom_claims == {"role": "agent"} and user.display_name == "Ann"
    assert f"uid {user.uid} (new account)" in result.output
    link = _invitation(result.output)
    assert "oobCode=" in link

    # The new agent sets a password from the link and signs in with e-mail and password.
    _set_password(firebase_auth, link, "correct horse battery")
    session = firebase_auth.sign_in("ann@example.test", "correct horse battery")
    assert session["localId"] == user.uid
    assert _get(fb_app, session["idToken"]).status_code == 200

    # A second add finds the same user (a fresh invitation, nothing duplicated).
    again = _cli(fb_app, "add", "ann@example.test", "--role", "agent")
    assert again.exit_code == 0, again.output
    assert f"already on the team: ann@example.test as agent, uid {user.uid}" in again.output
    # ... and with another role it says to change the role instead.
    other = _cli(fb_app, "add", "ann@example.test", "--role", "admin")
    assert other.exit_code == 1 and "already_on_team" in other.output

    # A customer who signed up already keeps their account when made an agent.
    bob = firebase_auth.sign_up("bob@example.test", "bob's password")
    added = _cli(fb_app, "add", "bob@example.test", "--role", "admin")
    assert added.exit_code == 0, added.output
    assert f"uid {bob['localId']}" in added.output and "new account" not in added.output

    listed = _cli(fb_app, "list", "--json")
    assert listed.exit_code == 0, listed.output
    rows = [json.loads(line) for line in listed.output.splitlines()]
    assert [(r["email"], r["role"], r["status"]) for r in rows] == [
        ("bob@example.test", "admin", "offline"),
        ("ann@example.test", "agent", "offline"),
    ]
    plain = _cli(fb_app, "list")
    assert f"{user.uid}\tann@example.test\tagent\toffline\t0\tAnn" in plain.output

    # A new role takes effect at once: the old token is refused, a new sign-in carries it.
    promoted = _cli(fb_app, "set-role", "ann@example.test", "admin")
    assert promoted.exit_code == 0, promoted.output
    assert _firebase_user(fb_app, "ann@example.test").custom_claims == {"role": "admin"}
    refused = _get(fb_app, session["idToken"])
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "role_changed"
    session = firebase_auth.sign_in("ann@example.test", "correct horse battery")
    assert _get(fb_app, session["idToken"]).status_code == 200

    # Removal: the claim is gone, the still-unexpired token is refused, a new token has no role.
    removed = _cli(fb_app, "remove", user.uid)
    assert removed.exit_code == 0, removed.output
    assert not _firebase_user(fb_app, "ann@example.test").custom_claims
    refused = _get(fb_app, session["idToken"])
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "staff_access_revoked"
    fresh = firebase_auth.sign_in("ann@example.test", "correct horse battery")
    from livechat import runtime

    with fb_app.app_context():
        claims = runtime.verifier().verify(fresh["idToken"])
    assert "role" not in claims
    assert _get(fb_app, fresh["idToken"]).status_code == 403  # a customer now
    listed = _cli(fb_app, "list", "--all")
    assert f"{user.uid}\tann@example.test\tadmin\tremoved" in listed.output


def test_cli_refusals_are_clean_errors(fb_app: Any) -> None:
    assert _cli(fb_app, "add", "not-an-address", "--role", "agent").exit_code == 1
    assert "bad_email" in _cli(fb_app, "add", "not-an-address", "--role", "agent").output
    assert _cli(fb_app, "add", "a@example.test", "--role", "root").exit_code == 2
    assert "agent_not_found" in _cli(fb_app, "remove", "nobody@example.test").output
    assert "agent_not_found" in _cli(fb_app, "set-role", "no-such-uid", "admin").output
    assert _cli(fb_app, "add", "boss@example.test", "--role", "admin").exit_code == 0
    last = _cli(fb_app, "remove", "boss@example.test")
    assert last.exit_code == 1 and "last_admin" in last.output


def test_firebase_without_credentials_says_what_to_set(fb_app: Any, monkeypatch: Any) -> None:
    monkeypatch.delenv("FIREBASE_AUTH_EMULATOR_HOST")
    result = _cli(fb_app, "add", "ann@example.test", "--role", "agent")
    assert result.exit_code == 1
    assert "directory_unavailable" in result.output
    assert "GOOGLE_APPLICATION_CREDENTIALS" in result.output
    assert os.environ.get("FIREBASE_AUTH_EMULATOR_HOST") is None

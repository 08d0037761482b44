"""Real sign-in in a real browser: the console against the Firebase Auth emulator.

An agent account made in the emulator (role set by firebase-admin) signs in with e-mail and
password through the console's form; the Firebase JS SDK's token is refreshed during an open
chat and the console hands it to its sockets (auth:refresh) with no reconnect, while messages
keep flowing both ways; sign-out ends the sockets. Wrong passwords and accounts without the
agent role get words, not a broken console.
"""

from __future__ import annotations

import base64
import json
import re
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser.a11y import Audit
from tests.e2e.browser.conftest import Browser
from tests.e2e.browser.test_widget_console import _assign_first_waiting, _messages
from tests.support.firebase_emulator import API_KEY, PROJECT_ID
from tests.support.server import ChatClient, ServerProcess

SUPPORT = "/api/support/chat"
PASSWORD = "correct horse battery"


@pytest.fixture()
def firebase_server(
    app: Any, pg_url: str, firebase_auth: Any, tmp_path: Path
) -> Iterator[ServerProcess]:
    """The real server verifying the emulator's tokens, its console signing in through it."""
    web_config = {
        "apiKey": API_KEY,
        "authDomain": f"{PROJECT_ID}.firebaseapp.com",
        "projectId": PROJECT_ID,
    }
    env = {
        "LIVECHAT_ENV": "testing",
        "DATABASE_URL": pg_url,
        "SECRET_KEY": app.config["SECRET_KEY"],
        "AUTH_MODE": "firebase",
        "FIREBASE_PROJECT_ID": PROJECT_ID,
        "FIREBASE_AUTH_EMULATOR_HOST": firebase_auth.host,
        "FIREBASE_WEB_CONFIG": json.dumps(web_config),
        "AI_ENABLED": "false",
        "QUEUE_WITHOUT_ASSISTANT": "true",
    }
    server = ServerProcess(env, tmp_path / "firebase-server.log")
    yield server
    server.stop()


def _agent_account(emulator: Any, email: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """An e-mail/password account in the emulator with role=agent set by firebase-admin."""
    monkeypatch.setenv("FIREBASE_AUTH_EMULATOR_HOST", emulator.host)
    from firebase_admin import auth

    from livechat.auth import FirebaseTokenVerifier

    admin = FirebaseTokenVerifier(PROJECT_ID, app_name=f"console-signin-{emulator.port}").app
    uid = emulator.sign_up(email, PASSWORD)["localId"]
    auth.set_custom_user_claims(uid, {"role": "agent"}, app=admin)
    return uid


def _sign_in(b: Browser, email: str, password: str) -> None:
    b.wait_visible("console-signin-email").clear()
    b.find("console-signin-email").send_keys(email)
    b.find("console-signin-password").clear()
    b.find("console-signin-password").send_keys(password)
    b.find("console-signin-submit").click()


def _signin_error(b: Browser) -> str:
    return b.wait_visible("console-signin-error").text


def _id_token(b: Browser, *, force: bool) -> str:
    """The Firebase SDK's ID token in the page (``force``: a new one from the emulator)."""
    b.driver.set_script_timeout(20)
    token = b.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "firebase.auth().currentUser.getIdToken(arguments[0]).then(done, (e) => done(String(e)));",
        force,
    )
    assert token.count(".") == 2, token
    return token


def _claims(token: str) -> dict[str, Any]:
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def _status(b: Browser, attr: str) -> int:
    return int(b.find("console-status").get_attribute(attr) or 0)


def _socket_gauge(server: ServerProcess, namespace: str) -> float:
    with urllib.request.urlopen(server.url + "/metrics", timeout=5) as resp:
        text = resp.read().decode()
    m = re.search(rf'^livechat_socket_connections\{{namespace="{namespace}"\}} (\S+)$', text, re.M)
    return float(m.group(1)) if m else 0.0


def _expected_console_errors(errors: list[str]) -> list[str]:
    """What a refused sign-in leaves in the browser console (the SDK's 400 from the emulator,
    the console's 403 for an account without the role) is expected; anything else is not."""
    expected = ("accounts:signInWithPassword", f"{SUPPORT}/stats - Failed to load resource")
    return [e for e in errors if not any(x in e for x in expected)]


def test_an_agent_signs_in_with_firebase_and_a_refresh_keeps_the_chat(
    firebase_server: Any, firebase_auth: Any, browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = firebase_server.url
    audit = Audit()
    agent_uid = _agent_account(firebase_auth, "ada@example.test", monkeypatch)
    firebase_auth.sign_up("nobody@example.test", PASSWORD)  # no role: a customer account

    agent = browser(1280, 900)
    agent.get(base + "/console")
    agent.wait_visible("console-firebase-form")
    assert agent.find_all("console-demo-agent") == []  # dev mode only
    assert agent.find_all("console-signin-google") == []  # FIREBASE_SIGNIN_PROVIDERS=password
    audit.check(agent, "console, Firebase sign-in form")

    # Words, not codes: a wrong password, an unknown account, an account that is not an agent.
    _sign_in(agent, "ada@example.test", "not the password")
    agent.wait(lambda _: "password" in _signin_error(agent).lower(), what="wrong password")
    assert agent.find("console-signin-password").get_attribute("aria-invalid") == "true"
    audit.check(agent, "console, sign-in refused")
    _sign_in(agent, "nobody-here@example.test", PASSWORD)
    agent.wait(lambda _: "no account" in _signin_error(agent).lower(), what="no such account")
    _sign_in(agent, "nobody@example.test", PASSWORD)
    agent.wait(lambda _: "not a support agent" in _signin_error(agent), what="no agent role")
    agent.wait_visible("console-firebase-form")
    assert agent.driver.execute_script("return firebase.auth().currentUser") is None

    # A customer waiting for a person (python client with the emulator's token).
    customer_token = firebase_auth.sign_up("cora@example.test", PASSWORD)["idToken"]
    customer = ChatClient(base, customer_token)
    try:
        _, chat = firebase_server.request("POST", f"{SUPPORT}/sessions/user", customer_token, {})
        assert customer.call("join:session", chat["id"])["ok"]
        sent = customer.call("message:send", {"sessionId": chat["id"], "content": "Help please"})
        assert sent["ok"], sent

        _sign_in(agent, "ada@example.test", PASSWORD)
        agent.wait(
            lambda _: agent.find("console-status").get_attribute("data-state") == "connected",
            what="console connected",
        )
        assert agent.find("console-me-name").text == "ada@example.test"
        _assign_first_waiting(agent)
        agent.wait_visible("console-input").send_keys("Hello, I am Ada")
        agent.find("console-send").click()
        customer.wait_for("message:new", lambda m: m["content"] == "Hello, I am Ada")
        connects = _status(agent, "data-connects")
        assert connects == 2  # "/" and "/support", once each
        refreshes = _status(agent, "data-auth-refreshes")

        # The SDK renews the token (forced here; hourly, or the guard, in real life). The
        # emulator's tokens are unsigned with times in seconds: one renewed within the second
        # it was issued is the very same token, which changes nothing.
        issued = _claims(_id_token(agent, force=False))["iat"]
        agent.wait(lambda _: time.time() >= issued + 1.05, what="a new second")
        fresh = _id_token(agent, force=True)
        assert _claims(fresh)["iat"] > issued
        agent.wait(
            lambda _: _status(agent, "data-auth-refreshes") == refreshes + 2,
            what="both sockets took the new token",
        )
        assert _status(agent, "data-connects") == connects  # no reconnect
        assert agent.find("console-status").get_attribute("data-state") == "connected"

        # The chat goes on, both ways, on the same sockets.
        customer.call("message:send", {"sessionId": chat["id"], "content": "Still here"})
        agent.wait(
            lambda _: any(m["text"] == "Still here" for m in _messages(agent, "console-message")),
            what="the customer's message after the refresh",
        )
        agent.find("console-input").send_keys("Me too")
        agent.find("console-send").click()
        customer.wait_for("message:new", lambda m: m["content"] == "Me too")
        assert _status(agent, "data-connects") == connects
        assert _socket_gauge(firebase_server, "/support") == 1

        # A reload keeps the agent signed in (the SDK's persistence), then sign-out ends it all.
        agent.driver.refresh()
        agent.wait(
            lambda _: agent.find("console-status").get_attribute("data-state") == "connected",
            what="still signed in after a reload",
        )
        agent.wait_visible("console-signout").click()
        agent.wait_visible("console-firebase-form")
        agent.wait(
            lambda _: agent.driver.execute_script("return firebase.auth().currentUser") is None,
            what="signed out of Firebase",
        )
        agent.wait(
            lambda _: (
                _socket_gauge(firebase_server, "/support") == 0
                and _socket_gauge(firebase_server, "/") == 1
            ),  # the customer's only
            what="the console's sockets closed",
        )
        agent.driver.refresh()
        agent.wait_visible("console-firebase-form")  # and it stays signed out
        audit.assert_clean()
        assert _expected_console_errors(agent.console_errors()) == []
        assert agent_uid  # the emulator's uid is the agent's id on the server
    finally:
        customer.close()

"""The pages: widget script, console, the development demo page and its dev-token endpoint."""

from __future__ import annotations

from typing import Any

import pytest


def test_widget_script_is_served_for_embedding(client: Any) -> None:
    with client.get("/widget.js") as resp:
        assert resp.status_code == 200
        assert "javascript" in resp.content_type
        assert resp.headers["Access-Control-Allow-Origin"] == "*"
        assert b"LiveChat" in resp.data
    with client.get("/static/vendor/socket.io/socket.io.min.js") as vendored:
        assert vendored.status_code == 200 and b"socket.io" in vendored.data.lower()


def test_console_page(client: Any) -> None:
    resp = client.get("/console")
    assert resp.status_code == 200
    assert b"console.js" in resp.data


def test_demo_page_only_in_dev_mode(app: Any, client: Any) -> None:
    # The testing config uses dev auth, like development.
    resp = client.get("/")
    assert resp.status_code == 200 and b"/widget.js" in resp.data
    app.config["AUTH_MODE"] = "firebase"
    try:
        assert client.get("/").status_code == 404
        assert client.get("/dev/token?uid=x").status_code == 404
    finally:
        app.config["AUTH_MODE"] = "dev"


def test_dev_token_works_with_the_api(client: Any) -> None:
    resp = client.get("/dev/token?uid=demo-agent&role=agent&name=Ada")
    assert resp.status_code == 200
    token = resp.get_json()["token"]
    queue = client.get("/api/support/chat/queue", headers={"Authorization": f"Bearer {token}"})
    assert queue.status_code == 200


@pytest.mark.parametrize(
    "query", ["", "uid=", "uid=x&role=root", "uid=" + "x" * 129, "uid=x&email=nope"]
)
def test_dev_token_rejects_bad_input(client: Any, query: str) -> None:
    resp = client.get(f"/dev/token?{query}")
    assert resp.status_code == 422
    assert resp.get_json()["error"]["code"] == "validation_error"


def test_rest_cors_follows_the_allow_list(app: Any, pg_url: str) -> None:
    import os

    from livechat import create_app, shutdown_app

    os.environ.update(DATABASE_URL=pg_url, CORS_ORIGINS="https://shop.example.com")
    try:
        cors_app = create_app("testing")
    finally:
        os.environ.pop("DATABASE_URL")
        os.environ.pop("CORS_ORIGINS")
    client = cors_app.test_client()
    preflight = client.options(
        "/api/support/chat/sessions/active",
        headers={
            "Origin": "https://shop.example.com",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    other = client.get(
        "/api/support/chat/sessions/active", headers={"Origin": "https://evil.example"}
    )
    assert other.status_code == 401
    assert "Access-Control-Allow-Origin" not in other.headers
    shutdown_app(cors_app)


@pytest.mark.parametrize("path", ["/", "/console"])
def test_pages_have_a_strict_content_security_policy(client: Any, path: str) -> None:
    resp = client.get(path)
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"


def test_api_responses_are_not_sniffed(client: Any) -> None:
    resp = client.get("/healthz")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in resp.headers


def _console_config(html: str) -> dict[str, Any]:
    import json
    import re

    found = re.search(
        r'<script type="application/json" id="console-config">(.*?)</script>', html, re.S
    )
    assert found, "no console-config"
    return json.loads(found.group(1))


@pytest.mark.parametrize("providers", [["password"], ["password", "google"]])
def test_console_signs_in_with_firebase_when_the_web_config_is_set(
    app: Any, client: Any, providers: list[str]
) -> None:
    web = {"apiKey": "AIza-test", "authDomain": "acme.firebaseapp.com", "projectId": "acme"}
    settings = {
        "AUTH_MODE": "firebase",
        "FIREBASE_WEB_CONFIG": web,
        "FIREBASE_SIGNIN_PROVIDERS": providers,
        "FIREBASE_AUTH_EMULATOR_HOST": None,
    }
    saved = {k: app.config.get(k) for k in settings}
    app.config.update(settings)
    try:
        resp = client.get("/console")
    finally:
        app.config.update(saved)
    html = resp.get_data(as_text=True)
    config = _console_config(html)
    assert config["firebase"] == {"config": web, "providers": providers, "emulatorUrl": None}
    assert config["devMode"] is False and config["demoAgents"] == []
    # The vendored SDK, never a CDN; e-mail and password are labelled fields.
    assert "/static/vendor/firebase/firebase-auth-compat.js" in html
    assert "gstatic" not in html
    assert '<label for="signin-email"' in html and '<label for="signin-password"' in html
    assert ('data-testid="console-signin-google"' in html) == ("google" in providers)
    csp = resp.headers["Content-Security-Policy"]
    assert "https://identitytoolkit.googleapis.com https://securetoken.googleapis.com" in csp
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    if "google" in providers:
        assert "script-src 'self' https://apis.google.com;" in csp
        assert "frame-src https://acme.firebaseapp.com https://apis.google.com" in csp
    else:
        assert "script-src 'self';" in csp and "frame-src" not in csp


def test_console_without_firebase_keeps_the_token_box_and_demo_agents(client: Any) -> None:
    html = client.get("/console").get_data(as_text=True)
    assert _console_config(html)["firebase"] is None
    assert "firebase" not in html.replace('"firebase": null', "")
    assert 'data-testid="console-demo-agent"' in html and 'id="token-input"' in html

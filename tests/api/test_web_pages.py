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

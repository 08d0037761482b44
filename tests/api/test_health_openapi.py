"""Probes and the generated OpenAPI document."""

from __future__ import annotations

from typing import Any

import pytest


def test_healthz(client: Any) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_checks_database_and_redis(app: Any, redis_url: str) -> None:
    client = app.test_client()
    body = client.get("/readyz").get_json()
    assert body["checks"] == {"database": {"ok": True}, "messageWriter": {"ok": True}}

    app.config["REDIS_URL"] = redis_url
    try:
        resp = client.get("/readyz")
        assert resp.status_code == 200 and resp.get_json()["checks"]["redis"] == {"ok": True}
        app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
        resp = client.get("/readyz")
        assert resp.status_code == 503
        assert resp.get_json()["checks"]["redis"]["ok"] is False
        assert resp.get_json()["status"] == "unavailable"
    finally:
        app.config["REDIS_URL"] = None


def test_readyz_reports_an_unreachable_database(tmp_path: Any) -> None:
    from livechat import shutdown_app
    from tests.support.apps import app_with_env

    app = app_with_env(DATABASE_URL="postgresql://postgres@127.0.0.1:1/none")
    try:
        resp = app.test_client().get("/readyz")
        assert resp.status_code == 503
        assert resp.get_json()["checks"]["database"]["ok"] is False
    finally:
        shutdown_app(app)  # its writer greenlet, like every app's


def test_openapi_documents_every_api_route(app: Any, client: Any) -> None:
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    documented = {(method.upper(), path) for path, ops in spec["paths"].items() for method in ops}
    routes = {
        (method, rule.rule.replace("<", "{").replace(">", "}"))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/support")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    assert routes <= documented
    op = spec["paths"]["/api/support/chat/sessions/{session_id}/messages"]["post"]
    body_schema = op["requestBody"]["content"]["application/json"]["schema"]
    assert body_schema["$ref"].endswith("/PostMessage")
    schema = spec["components"]["schemas"]["PostMessage"]
    assert schema["properties"]["content"]["maxLength"] == 4000
    assert "clientMessageId" in schema["properties"]
    assert {"401", "403", "404", "422"} <= set(op["responses"])
    assert spec["components"]["schemas"]["Message"]["properties"]["senderId"]


@pytest.mark.parametrize("path", ["/api/support/chat/queue", "/api/support/tickets"])
def test_openapi_marks_bearer_auth(client: Any, path: str) -> None:
    spec = client.get("/api/openapi.json").get_json()
    assert spec["paths"][path]["get"]["security"] == [{"bearerAuth": []}]


def test_readyz_reports_a_process_that_can_no_longer_store_messages(pg_url: str) -> None:
    from livechat import runtime, shutdown_app
    from tests.support.apps import app_with_env

    app = app_with_env(DATABASE_URL=pg_url)
    try:
        assert app.test_client().get("/readyz").status_code == 200
        runtime.writer(app).shutdown()  # as after a crash: no message can be stored here
        resp = app.test_client().get("/readyz")
        assert resp.status_code == 503
        assert resp.get_json()["checks"]["messageWriter"] == {
            "ok": False,
            "error": "writer_stopped",
        }
    finally:
        shutdown_app(app)

"""The service keeps no cookie session: identity comes from the token on every request."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.parametrize("path", ["/", "/console", "/widget.js", "/healthz", "/api/openapi.json"])
def test_pages_and_api_set_no_cookie(client: Any, path: str) -> None:
    response = client.get(path)
    response.close()  # static files are streamed
    assert response.status_code < 500
    assert "Set-Cookie" not in response.headers


def test_authenticated_calls_set_no_cookie(client: Any, auth: Any) -> None:
    response = client.post("/api/support/chat/sessions/user", headers=auth("cust-1"), json={})
    assert response.status_code in (200, 201)
    assert "Set-Cookie" not in response.headers


def test_a_session_cookie_cannot_be_written(app: Any) -> None:
    import flask

    with app.test_request_context("/"), pytest.raises(RuntimeError):
        flask.session["who"] = "someone"  # the null session refuses writes

"""The customer-context seam: a host app's account lookup, with the stored profile as fallback."""

from __future__ import annotations

import json
from typing import Any

from gevent.pywsgi import WSGIServer

from livechat.ai.context import HttpContextProvider, ProfileContextProvider, build_context_provider


class HostApp:
    def __init__(self, body: bytes, status: str = "200 OK") -> None:
        self.body, self.status, self.queries = body, status, []
        self.server = WSGIServer(("127.0.0.1", 0), self.app, log=None, error_log=None)
        self.server.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/context"

    def app(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.queries.append(environ["QUERY_STRING"])
        start_response(self.status, [("Content-Type", "application/json")])
        return [self.body]


def test_profile_provider_and_default() -> None:
    assert isinstance(build_context_provider(None), ProfileContextProvider)
    assert ProfileContextProvider().customer_context("u1", {"plan": "pro"}) == {"plan": "pro"}


def test_http_provider_asks_for_that_customer_only() -> None:
    host = HostApp(json.dumps({"plan": "metal", "kycStatus": "verified"}).encode())
    provider = build_context_provider(host.url)
    assert isinstance(provider, HttpContextProvider)
    assert provider.customer_context("cust 1", {"plan": "stored"}) == {
        "plan": "metal",
        "kycStatus": "verified",
    }
    assert host.queries == ["userId=cust+1"]
    host.server.stop()


def test_http_provider_falls_back_on_bad_answers() -> None:
    for body, status in [
        (b"[1, 2]", "200 OK"),
        (b"not json", "200 OK"),
        (b"{}", "500 Internal Server Error"),
        (json.dumps({"blob": "x" * 5000}).encode(), "200 OK"),
    ]:
        host = HostApp(body, status)
        got = HttpContextProvider(host.url).customer_context("u1", {"plan": "stored"})
        assert got == {"plan": "stored"}, body[:20]
        host.server.stop()
    unreachable = HttpContextProvider("http://127.0.0.1:1/context", timeout=0.5)
    assert unreachable.customer_context("u1", {"plan": "stored"}) == {"plan": "stored"}

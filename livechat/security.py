"""Security headers: a strict Content-Security-Policy on pages, safe defaults on every response."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request
from flask.sessions import SessionInterface

# The pages load only their own scripts and styles (no inline code): an injected <script> or
# style attribute does nothing even if something slipped past text rendering.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class NoCookieSessions(SessionInterface):
    """The service keeps no cookie session: who a caller is comes from their token, every time.

    So no session cookie can ever be set (nothing to steal or fixate), and the request context
    Flask-SocketIO builds for every socket event skips signing-serializer set-up (most of its
    cost).
    """

    def open_session(self, app: Flask, request: Any) -> Any:
        return self.make_null_session(app)

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        return None


def register(app: Flask) -> None:
    app.session_interface = NoCookieSessions()
    production = app.config.get("LIVECHAT_ENV") == "production"

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "no-referrer")
        if response.mimetype == "text/html":
            headers.setdefault("Content-Security-Policy", PAGE_CSP)
            headers.setdefault("X-Frame-Options", "DENY")
            headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if production and request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response

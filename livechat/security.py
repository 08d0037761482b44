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


# Where the Firebase JS SDK signs agents in from the console (its REST endpoints), and what
# "Sign in with Google" adds: Google's sign-in scripts and the project's auth frame.
FIREBASE_CONNECT = "https://identitytoolkit.googleapis.com https://securetoken.googleapis.com"
GOOGLE_SCRIPTS = "https://apis.google.com"


def console_csp(*, emulator_host: str | None = None, google_auth_domain: str | None = None) -> str:
    """PAGE_CSP for the console with Firebase sign-in: the SDK's endpoints (or the Auth
    emulator's, in tests), and with Google sign-in its scripts and the auth domain's frame."""
    connect = FIREBASE_CONNECT + (f" http://{emulator_host}" if emulator_host else "")
    csp = PAGE_CSP.replace("connect-src 'self' ws: wss:", f"connect-src 'self' ws: wss: {connect}")
    if google_auth_domain:
        csp = csp.replace("script-src 'self'", f"script-src 'self' {GOOGLE_SCRIPTS}")
        csp += f"; frame-src https://{google_auth_domain} {GOOGLE_SCRIPTS}"
    return csp


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

"""CORS for the REST API: browsers on the CORS_ORIGINS allow-list (e.g. the widget's host site)."""

from __future__ import annotations

from flask import Flask, Response, request

ALLOWED_HEADERS = "Authorization, Content-Type"
ALLOWED_METHODS = "GET, POST, PATCH, OPTIONS"


def register(app: Flask) -> None:
    allowed = frozenset(app.config.get("CORS_ORIGINS") or [])

    @app.after_request
    def add_cors_headers(response: Response) -> Response:
        origin = request.headers.get("Origin")
        if not request.path.startswith("/api/") or not origin:
            return response
        response.vary.add("Origin")
        if origin in allowed:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
            response.headers["Access-Control-Max-Age"] = "600"
        return response

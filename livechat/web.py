"""Pages: the embeddable widget script, the agent console, and (development) a demo host page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request, send_from_directory

from livechat import runtime
from livechat.auth import DevTokenVerifier
from livechat.schemas.web import DevTokenQuery

bp = Blueprint("web", __name__)

DEMO_CUSTOMER = {"uid": "demo-customer", "name": "Dana Demo", "email": "dana@example.com"}
DEMO_AGENTS = [
    {"uid": "agent-ada", "name": "Ada (agent)", "role": "agent"},
    {"uid": "agent-bob", "name": "Bob (agent)", "role": "agent"},
    {"uid": "admin-eve", "name": "Eve (admin)", "role": "admin"},
]


def _dev_mode() -> bool:
    return current_app.config["AUTH_MODE"] == "dev" and current_app.config["LIVECHAT_ENV"] != (
        "production"
    )


@bp.get("/widget.js")
def widget_js() -> Any:
    """The embeddable widget: <script src="https://chat.example.com/widget.js" defer>."""
    static = current_app.static_folder
    assert static is not None  # create_app keeps Flask's default static folder
    response = send_from_directory(static, "widget.js", max_age=300)
    response.headers["Access-Control-Allow-Origin"] = "*"  # embedded on customers' own sites
    return response


@bp.get("/")
def demo() -> Any:
    """Development only: a host page with the widget signed in as a demo customer."""
    if not _dev_mode():
        abort(404)
    return render_template("demo.html", customer=DEMO_CUSTOMER)


@bp.get("/console")
def console() -> Any:
    """The agent console (signs in with a token; in dev mode, pick a demo agent)."""
    return render_template("console.html", dev_mode=_dev_mode(), demo_agents=DEMO_AGENTS)


@bp.get("/dev/token")
def dev_token() -> Any:
    """Development only: sign a short-lived dev token (what Firebase does in production)."""
    verifier = runtime.verifier()
    if not _dev_mode() or not isinstance(verifier, DevTokenVerifier):
        abort(404)
    q = DevTokenQuery().load(request.args.to_dict())
    token = verifier.issue(
        q["uid"], role=q["role"].value, name=q["name"], email=q["email"], ttl=3600
    )
    return {"token": token, "expiresIn": 3600}

"""Pages: the embeddable widget script, the agent console, and (development) a demo host page."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    render_template,
    request,
    send_from_directory,
)

from livechat import runtime
from livechat.auth import DevTokenVerifier
from livechat.schemas.web import DevTokenQuery
from livechat.security import console_csp

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


def _firebase_signin() -> dict[str, Any] | None:
    """What the console's Firebase sign-in needs (all of it public), or None without it."""
    cfg = current_app.config
    if cfg["AUTH_MODE"] != "firebase" or not cfg.get("FIREBASE_WEB_CONFIG"):
        return None
    emulator = cfg.get("FIREBASE_AUTH_EMULATOR_HOST")  # tests only: production refuses it
    return {
        "config": cfg["FIREBASE_WEB_CONFIG"],
        "providers": cfg["FIREBASE_SIGNIN_PROVIDERS"],
        "emulatorUrl": f"http://{emulator}" if emulator else None,
    }


@bp.get("/console")
def console() -> Any:
    """The agent console: e-mail and password (Firebase), a pasted token, or in dev mode a
    demo agent."""
    firebase = _firebase_signin()
    response = make_response(
        render_template(
            "console.html", dev_mode=_dev_mode(), demo_agents=DEMO_AGENTS, firebase=firebase
        )
    )
    if firebase is not None:
        google = "google" in firebase["providers"]
        response.headers["Content-Security-Policy"] = console_csp(
            emulator_host=current_app.config.get("FIREBASE_AUTH_EMULATOR_HOST"),
            google_auth_domain=firebase["config"]["authDomain"] if google else None,
        )
    return response


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

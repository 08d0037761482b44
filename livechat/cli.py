"""``flask livechat ...`` commands."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from livechat.auth import DevTokenVerifier
from livechat.models import Role

livechat_cli = AppGroup("livechat", help="livechat administration.")


@livechat_cli.command("token")
@click.argument("uid")
@click.option("--role", type=click.Choice([r.value for r in Role]), default="user")
@click.option("--email", default=None)
@click.option("--name", default=None)
@click.option("--ttl", type=click.IntRange(min=1), default=None, help="Lifetime in seconds.")
def token(uid: str, role: str, email: str | None, name: str | None, ttl: int | None) -> None:
    """Print a dev-mode token for UID (AUTH_MODE=dev only)."""
    verifier = current_app.extensions["livechat.verifier"]
    if not isinstance(verifier, DevTokenVerifier):
        raise click.ClickException("tokens can only be issued with AUTH_MODE=dev")
    if not uid or len(uid) > 128:
        raise click.BadParameter("UID must be 1 to 128 characters", param_hint="UID")
    click.echo(
        verifier.issue(
            uid, role=role, email=email, name=name, ttl=ttl or current_app.config["DEV_TOKEN_TTL"]
        )
    )


def register(app: Flask) -> None:
    app.cli.add_command(livechat_cli)


@livechat_cli.command("classify")
@click.argument("text", required=False)
def classify(text: str | None) -> None:
    """Print the assistant's analysis of TEXT (or of each stdin line) as one JSON per line.

    For a customer with no tickets: {"intent", "sentiment": {"score", "label"}, "complexity",
    "escalate", "rule"}.
    """
    import json
    import sys

    from livechat.ai.analysis import analyse
    from livechat.ai.policy import decide

    policy = current_app.extensions["livechat.ai"].policy
    lines = [text] if text is not None else (line.rstrip("\n") for line in sys.stdin)
    for line in lines:
        if not line.strip():
            continue
        found = analyse(line)
        decision = decide(found, unresolved_tickets=0, policy=policy)
        click.echo(
            json.dumps(
                {
                    "intent": found.intent,
                    "sentiment": {"score": found.sentiment.score, "label": found.sentiment.label},
                    "complexity": found.complexity,
                    "escalate": decision.escalate,
                    "rule": decision.rule,
                },
                ensure_ascii=False,
            )
        )

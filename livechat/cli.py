"""``flask livechat ...`` commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from livechat import runtime
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
    verifier = runtime.verifier()
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

    For a customer with no tickets: {"intent", "intentDetail", "confidence", "sentiment": {"score",
    "label"}, "complexity", "escalate", "rule", "priority"}. intentDetail is one of BANKING77's 77
    labels, or null outside banking or below the confidence cut (then intent says what the keyword
    rules found, or "general").
    """
    import json
    import sys

    from livechat.ai.analysis import analyse
    from livechat.ai.policy import decide

    policy = runtime.orchestrator().policy
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
                    "intentDetail": found.intent_detail,
                    "confidence": found.confidence,
                    "sentiment": {"score": found.sentiment.score, "label": found.sentiment.label},
                    "complexity": found.complexity,
                    "escalate": decision.escalate,
                    "rule": decision.rule,
                    "priority": decision.priority,
                },
                ensure_ascii=False,
            )
        )


intents_cli = AppGroup("intents", help="The assistant's trained intent model.")
livechat_cli.add_command(intents_cli)


@intents_cli.command("build")
@click.option("--force", is_flag=True, help="Rebuild even if the cached model matches the data.")
def intents_build(force: bool) -> None:
    """Build the intent model from the shipped data and cache it (a no-op when up to date)."""
    from livechat.ai import intents

    path, built = intents.build(force=force, log_to=click.echo)
    click.echo(f"{'built' if built else 'up to date'}: {path}")


@intents_cli.command("evaluate")
@click.option("--folds", type=click.IntRange(min=2, max=10), default=5, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def intents_evaluate(folds: int, as_json: bool) -> None:
    """Cross-validate on the shipped training data (never BANKING77's test split)."""
    import json

    from livechat.ai import intents_eval

    report = intents_eval.cross_validate(folds, log_to=lambda m: click.echo(m, err=True))
    click.echo(json.dumps(report, indent=2) if as_json else intents_eval.format_report(report))


def _domain_call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a service for the command line: a refusal becomes a clean error (exit status 1)."""
    from livechat.errors import DomainError
    from livechat.extensions import db

    try:
        return fn(*args, **kwargs)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(f"{exc.code}: {exc.message}") from None


@livechat_cli.command("export-customer")
@click.argument("uid")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, allow_dash=True),
    default="-",
    help="Write the JSON here instead of standard output.",
)
def export_customer(uid: str, output: str) -> None:
    """Export everything stored about customer UID as JSON (recorded in the audit trail as
    actor "cli")."""
    import json

    from livechat.schemas.privacy import CustomerExportSchema
    from livechat.services import privacy

    data = _domain_call(privacy.export_customer, privacy.CLI_ADMIN, uid)
    text = json.dumps(CustomerExportSchema().dump(data), indent=2, ensure_ascii=False)
    with click.open_file(output, "w", encoding="utf-8") as out:
        out.write(text + "\n")
    if output != "-":
        click.echo(f"exported customer {uid} to {output}", err=True)


@livechat_cli.command("erase-customer")
@click.argument("uid")
@click.option("--yes", is_flag=True, help="Confirm: erasure cannot be undone.")
def erase_customer(uid: str, yes: bool) -> None:
    """Erase customer UID: chats ended and redacted, identity removed, tickets anonymised.

    Prints the summary as JSON; running it again is harmless (alreadyErased).
    """
    import json

    from livechat.schemas.privacy import EraseSummarySchema
    from livechat.services import privacy

    if not yes:
        raise click.ClickException(
            f"refusing to erase {uid} without --yes (erasure cannot be undone)"
        )
    summary = _domain_call(privacy.erase_customer, privacy.CLI_ADMIN, uid, confirm=uid)
    click.echo(json.dumps(EraseSummarySchema().dump(summary)))


@livechat_cli.command("assistant")
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address of /healthz and /metrics."
)
@click.option(
    "--port",
    type=click.IntRange(min=0, max=65535),
    default=None,
    envvar="AI_WORKER_PORT",
    help="Serve /healthz and /metrics on this port (default: off). Env: AI_WORKER_PORT.",
)
def assistant_process(host: str, port: int | None) -> None:
    """Run AI turns for web processes started with AI_WORKER=external (until SIGTERM/SIGINT).

    Start it with the same environment as the web processes (database, REDIS_URL,
    REDIS_CHANNEL, AI_* settings); run as many as the AI load needs.
    """
    import signal

    import gevent
    from gevent import monkey

    from livechat.ai.worker import AssistantWorker
    from livechat.extensions import db, tag_connections
    from livechat.realtime import relay_in_batches

    if not monkey.is_module_patched("socket"):
        raise click.ClickException("run it as `flask --app wsgi livechat assistant` (gevent)")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config["AI_WORKER"] != "external":
        raise click.ClickException(
            "AI_WORKER is 'inline' (web processes answer themselves): set AI_WORKER=external "
            "and REDIS_URL here and on the web processes"
        )
    if not app.config.get("AI_ENABLED", True):
        raise click.ClickException("AI_ENABLED is false: there is nothing to run")
    tag_connections(db.engine, "-assistant")
    # Events published here (the reply, a handoff) go straight to this process's orchestrator.
    runtime.assistant_dispatch.set(app, runtime.orchestrator(app))
    worker = AssistantWorker(app)
    relay = relay_in_batches(app, app.config["AI_RELAY_INTERVAL"])
    server = worker.serve(host, port) if port is not None else None
    for sig in (signal.SIGTERM, signal.SIGINT):
        gevent.signal_handler(sig, worker.stopped.set)
    worker.start()
    click.echo(f"livechat assistant {worker.claims.owner} on channel {worker.channel}", err=True)
    worker.wait()
    click.echo("livechat assistant: stopping (running replies get 10 s to finish)", err=True)
    worker.stop(grace=10)
    if relay is not None:
        relay.flush()  # the last replies' events
    if server is not None:
        server.stop(timeout=1)


agents_cli = AppGroup(
    "agents",
    help="The support team: add (invite), list, set-role, remove. Recorded in the audit trail "
    'as actor "cli". AUTH_MODE=firebase manages Firebase users (needs '
    "GOOGLE_APPLICATION_CREDENTIALS, or FIREBASE_AUTH_EMULATOR_HOST); AUTH_MODE=dev works "
    "offline and prints dev tokens as invitations.",
)
livechat_cli.add_command(agents_cli)
_TEAM_ROLES = click.Choice([Role.AGENT.value, Role.ADMIN.value])


@agents_cli.command("add")
@click.argument("email")
@click.option("--role", type=_TEAM_ROLES, required=True)
@click.option("--name", default=None, help="Their display name.")
def agents_add(email: str, role: str, name: str | None) -> None:
    """Add EMAIL to the team (creating their account if needed) and print the invitation to
    send them: a link to set their password (Firebase) or a dev token (AUTH_MODE=dev)."""
    from livechat.services import privacy, team

    added = _domain_call(team.add_member, privacy.CLI_ADMIN, email, role, name)
    member = added.member
    what = "added" if added.added else "already on the team:"
    account = " (new account)" if added.created else ""
    click.echo(f"{what} {member.email} as {member.role.value}, uid {member.uid}{account}")
    if added.invitation:
        click.echo(f"invitation: {added.invitation}")


@agents_cli.command("list")
@click.option("--all", "include_removed", is_flag=True, help="Also list removed members.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per member.")
def agents_list(include_removed: bool, as_json: bool) -> None:
    """List the team: uid, e-mail, role, status, open chats, name."""
    import json

    from livechat.schemas.team import TeamEntrySchema
    from livechat.services import privacy, team

    entries = _domain_call(team.list_team, privacy.CLI_ADMIN, include_removed=include_removed)
    rows = TeamEntrySchema(many=True).dump(entries)
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    for row in rows:
        status = "removed" if row["removedAt"] else row["status"]
        click.echo(
            f"{row['uid']}\t{row['email'] or '-'}\t{row['role']}\t{status}\t"
            f"{row['openChats']}\t{row['name'] or ''}"
        )


@agents_cli.command("set-role")
@click.argument("member")
@click.argument("role", type=_TEAM_ROLES)
def agents_set_role(member: str, role: str) -> None:
    """Give MEMBER (uid or e-mail) ROLE; it takes effect at once (they sign in again)."""
    from livechat.services import privacy, team

    uid = _domain_call(team.resolve, member)
    updated = _domain_call(team.update_member, privacy.CLI_ADMIN, uid, role=role)
    click.echo(f"{updated.email or updated.uid} is now {updated.role.value}")


@agents_cli.command("remove")
@click.argument("member")
def agents_remove(member: str) -> None:
    """Take MEMBER (uid or e-mail) off the team: role claim removed, open sockets ended, open
    chats back in the queue."""
    from livechat.services import privacy, team

    uid = _domain_call(team.resolve, member)
    released = _domain_call(team.remove_member, privacy.CLI_ADMIN, uid)
    click.echo(f"removed {member}; {len(released)} open chat(s) back in the queue")

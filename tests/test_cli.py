"""The dev token CLI prints only a token that the API accepts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jwt

ROOT = Path(__file__).resolve().parent.parent


def test_token_command_issues_a_working_token(app: Any, client: Any) -> None:
    result = app.test_cli_runner().invoke(
        args=["livechat", "token", "agent-7", "--role", "agent", "--name", "Ada", "--ttl", "120"]
    )
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert "\n" not in token
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["sub"] == "agent-7" and claims["role"] == "agent" and claims["name"] == "Ada"
    assert claims["exp"] - claims["iat"] == 120
    resp = client.get("/api/support/chat/queue", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200


def test_token_command_rejects_bad_arguments(app: Any) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["livechat", "token", "u", "--role", "root"]).exit_code != 0
    assert runner.invoke(args=["livechat", "token", "u", "--ttl", "0"]).exit_code != 0
    assert runner.invoke(args=["livechat", "token", "x" * 129]).exit_code != 0


def test_flask_cli_entry_point_prints_only_the_token(pg_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "AUTH_MODE"}}
    env["DATABASE_URL"] = pg_url
    proc = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "livechat", "token", "cust-1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].count(".") == 2


# ---- data rights: export-customer, erase-customer -------------------------------------------


def _customer_with_a_chat() -> dict[str, Any]:
    """Customer cust-cli (text marked "quokka") with an open chat and a ticket; and cust-keep."""
    from livechat.models import Role
    from livechat.services import messages, sessions, tickets
    from livechat.services.users import Identity, sync_user

    cust = sync_user(Identity("cust-cli", Role.USER, email="quokka@example.com", name="Quokka"))
    agent = sync_user(Identity("agent-1", Role.AGENT))
    keep = sync_user(Identity("cust-keep", Role.USER, name="Keeper"))
    chat, _ = sessions.open_session(cust, "quokka subject")
    messages.post_message(cust, chat.id, "quokka words")
    ticket = tickets.open_ticket(
        agent, user_id="cust-cli", subject="quokka ticket", session_id=chat.id
    )
    other, _ = sessions.open_session(keep)
    messages.post_message(keep, other.id, "keeper words")
    return {"session": chat.id, "ticket": ticket.id}


def _count(query: str, **params: Any) -> int:
    import sqlalchemy as sa

    from livechat.extensions import db

    with db.engine.connect() as conn:
        return int(conn.execute(sa.text(query), params).scalar_one())


def test_export_customer_prints_or_writes_the_json(ctx: Any, tmp_path: Path) -> None:
    import json

    world = _customer_with_a_chat()
    runner = ctx.test_cli_runner()
    result = runner.invoke(args=["livechat", "export-customer", "cust-cli"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["schemaVersion"] == 1 and doc["customer"]["email"] == "quokka@example.com"
    assert [s["id"] for s in doc["sessions"]] == [world["session"]]
    assert [m["content"] for m in doc["sessions"][0]["messages"]] == ["quokka words"]
    assert [t["id"] for t in doc["tickets"]] == [world["ticket"]]
    assert "keeper" not in result.output.lower()

    out = tmp_path / "export.json"
    result = runner.invoke(args=["livechat", "export-customer", "cust-cli", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8"))["customer"]["id"] == "cust-cli"
    # Both reads are in the audit trail, by the command line.
    assert (
        _count(
            "SELECT count(*) FROM audit_events WHERE action = 'customer.exported' "
            "AND actor_id = 'cli' AND subject_user_id = 'cust-cli'"
        )
        == 2
    )


def test_erase_customer_needs_yes_then_erases_once(ctx: Any) -> None:
    import json

    world = _customer_with_a_chat()
    runner = ctx.test_cli_runner()

    refused = runner.invoke(args=["livechat", "erase-customer", "cust-cli"])
    assert refused.exit_code == 1 and "--yes" in refused.output
    assert _count("SELECT count(*) FROM users WHERE id = 'cust-cli'") == 1
    assert _count("SELECT count(*) FROM chat_sessions WHERE status <> 'ENDED'") == 2

    result = runner.invoke(args=["livechat", "erase-customer", "cust-cli", "--yes"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["alreadyErased"] is False and summary["sessionsEnded"] == 1
    assert summary["messagesRedacted"] == 1 and summary["ticketsAnonymised"] == 1
    pseudonym = summary["erasedId"]
    for table in ("users", "chat_sessions", "chat_messages", "tickets", "audit_events"):
        assert _count(f"SELECT count(*) FROM {table} t WHERE t::text ILIKE '%quokka%'") == 0
        assert _count(f"SELECT count(*) FROM {table} t WHERE t::text LIKE '%cust-cli%'") == 0
    assert _count("SELECT count(*) FROM tickets WHERE user_id = :u", u=pseudonym) == 1
    assert _count(
        "SELECT count(*) FROM chat_sessions WHERE id = :s AND status = 'ENDED'", s=world["session"]
    )
    assert _count("SELECT count(*) FROM chat_messages WHERE content = 'keeper words'") == 1
    assert _count(
        "SELECT count(*) FROM audit_events WHERE action = 'customer.erased' AND actor_id = 'cli'"
    )
    assert _count(
        "SELECT count(*) FROM audit_events WHERE action = 'session.ended' AND actor_id = 'cli'"
    )

    again = runner.invoke(args=["livechat", "erase-customer", "cust-cli", "--yes"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.output)["alreadyErased"] is True


def test_data_rights_commands_refuse_unknown_and_staff_uids(ctx: Any) -> None:
    _customer_with_a_chat()
    runner = ctx.test_cli_runner()
    for args in (["export-customer", "nobody"], ["erase-customer", "nobody", "--yes"]):
        result = runner.invoke(args=["livechat", *args])
        assert result.exit_code == 1 and "user_not_found" in result.output
    for args in (["export-customer", "agent-1"], ["erase-customer", "agent-1", "--yes"]):
        result = runner.invoke(args=["livechat", *args])
        assert result.exit_code == 1 and "not_a_customer" in result.output
    assert runner.invoke(args=["livechat", "erase-customer"]).exit_code == 2  # no UID


def test_assistant_command_refuses_an_inline_deployment(app: Any) -> None:
    # The test app answers in-process (AI_WORKER=inline): a worker would never hear anything.
    result = app.test_cli_runner().invoke(args=["livechat", "assistant"])
    assert result.exit_code != 0
    assert "AI_WORKER" in result.output

"""Signed escalation webhooks (retried) and the classify CLI."""

from __future__ import annotations

import json
from typing import Any

import gevent
from gevent.pywsgi import WSGIServer

from livechat import runtime
from livechat.webhooks import WebhookSender, sign, verify


class Receiver:
    def __init__(self, fail_first: int = 0) -> None:
        self.calls: list[tuple[dict[str, str], bytes]] = []
        self.fail_first = fail_first
        self.server = WSGIServer(("127.0.0.1", 0), self.app, log=None, error_log=None)
        self.server.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"

    def app(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        headers = {
            k[5:].replace("_", "-").title(): v for k, v in environ.items() if k.startswith("HTTP_")
        }
        self.calls.append((headers, body))
        if len(self.calls) <= self.fail_first:
            start_response("503 Service Unavailable", [])
            return [b""]
        start_response("204 No Content", [])
        return [b""]


def test_signature_round_trip() -> None:
    body = b'{"a":1}'
    sig = sign("s3cret", "1700000000", body)
    assert sig.startswith("v1=")
    assert not verify("s3cret", "1700000000", body, sig)  # too old
    import time

    now = str(int(time.time()))
    assert verify("s3cret", now, body, sign("s3cret", now, body))
    assert not verify("other", now, body, sign("s3cret", now, body))
    assert not verify("s3cret", now, body + b" ", sign("s3cret", now, body))
    assert not verify("s3cret", "not-a-time", body, sig)


def test_delivery_is_signed_and_retried() -> None:
    receiver = Receiver(fail_first=2)
    sender = WebhookSender(receiver.url, "s3cret", attempts=4, base_delay=0.01)
    delivery = sender.send("session.escalated", {"session": {"id": "s1"}})
    sender.join(timeout=5)
    assert len(receiver.calls) == 3
    ids = {h["X-Livechat-Delivery"] for h, _ in receiver.calls}
    assert ids == {delivery}  # the same delivery id on every retry: receivers can dedupe
    headers, body = receiver.calls[-1]
    assert verify("s3cret", headers["X-Livechat-Timestamp"], body, headers["X-Livechat-Signature"])
    payload = json.loads(body)
    assert payload["type"] == "session.escalated" and payload["data"]["session"]["id"] == "s1"
    receiver.server.stop()


def test_unreachable_receiver_gives_up_without_blocking() -> None:
    sender = WebhookSender("http://127.0.0.1:1/hook", "s3cret", attempts=2, base_delay=0.01)
    sender.send("session.escalated", {})
    ran = []
    gevent.spawn(ran.append, "other work").join()
    assert ran == ["other work"]
    sender.join(timeout=5)


def test_escalation_notifies_the_webhook(app: Any, pg_url: str, ctx: Any, make_user: Any) -> None:
    from tests.ai.conftest import _make_app

    receiver = Receiver()
    hooked = _make_app(pg_url, SUPPORT_WEBHOOK_URL=receiver.url, SUPPORT_WEBHOOK_SECRET="k")
    with hooked.app_context():
        from livechat.services import escalation, sessions
        from livechat.services.users import get_user

        make_user("wh-cust")
        session, _ = sessions.open_session(get_user("wh-cust"))
        escalation.escalate(session.id, reason="human_request", requested_by="AI_ASSISTANT")
        sid = session.id
    runtime.webhook_sender(hooked).join(timeout=5)
    assert len(receiver.calls) == 1
    headers, body = receiver.calls[0]
    assert verify("k", headers["X-Livechat-Timestamp"], body, headers["X-Livechat-Signature"])
    data = json.loads(body)["data"]
    assert data["session"]["id"] == sid and data["reason"] == "human_request"
    assert data["ticket"]["sessionId"] == sid
    receiver.server.stop()
    from tests.ai.conftest import _dispose

    _dispose(hooked)


def test_classify_cli(app: Any) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["livechat", "classify", "I want to speak to a human"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    # The seed's shape, plus the trained model's label and confidence and the decision's priority.
    assert set(out) == {
        "intent",
        "intentDetail",
        "confidence",
        "sentiment",
        "complexity",
        "escalate",
        "rule",
        "priority",
    }
    assert out["escalate"] is True and out["rule"] == "human_request"
    assert out["intentDetail"] is None  # not a banking question: outside the 77 intents

    stdin = "My card was stolen!\nHow much is the ATM fee?\n\n"
    result = runner.invoke(args=["livechat", "classify"], input=stdin)
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["rule"] for r in rows] == ["priority_keyword", None]
    assert rows[1]["intent"] == "fees" and set(rows[1]["sentiment"]) == {"score", "label"}
    assert rows[1]["intentDetail"] == "cash_withdrawal_charge" and 0.5 <= rows[1]["confidence"] <= 1
    assert rows[0]["intentDetail"] == "lost_or_stolen_card" and rows[0]["priority"] == "URGENT"

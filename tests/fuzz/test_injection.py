"""Injection payloads (XSS, SQL, header injection) through every text input: they are data.

Each payload goes in through sockets, REST bodies, token claims, query strings, path ids and
headers, and must come back equal (through the API and straight from SQL), leave every table in
place, inject no response header, come back as application/json (never rendered), and never be
reflected by the HTML pages, which keep their Content-Security-Policy.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(document.cookie)",
    "'; DROP TABLE chat_messages; --",
    "' OR '1'='1",
    "\r\nSet-Cookie: x=y",
    "%0d%0aSet-Cookie: x=y",
    "</script><script>alert(1)</script>",
    "{{7*7}} ${7*7} <%= 7*7 %>",
    "1; SELECT pg_sleep(10); --",
]
CHAT = "/api/support/chat"
TICKETS = "/api/support/tickets"
STATIC = Path(__file__).resolve().parents[2] / "livechat" / "static"


# ---- helpers ------------------------------------------------------------------------------


@pytest.fixture()
def http(fuzz_app: Any) -> Any:
    return fuzz_app.test_client()


@pytest.fixture()
def bearer(fuzz_token: Any) -> Any:
    def headers(uid: str, role: str = "user", **claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {fuzz_token(uid, role, **claims)}"}

    return headers


@pytest.fixture()
def sql(fuzz_app: Any) -> Any:
    """sql(query, **params) -> rows, on a connection of its own."""
    from livechat.extensions import db

    def run(query: str, **params: Any) -> list[Any]:
        with fuzz_app.app_context(), db.engine.connect() as conn:
            return list(conn.execute(sa.text(query), params))

    return run


def _safe(resp: Any, *, json: bool = True) -> Any:
    """No header was injected; API answers are JSON (so a browser never renders them)."""
    assert "Set-Cookie" not in resp.headers
    for name, value in resp.headers.items():
        assert "\r" not in value and "\n" not in value and "x=y" not in value, (name, value)
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    if json:
        assert resp.mimetype == "application/json", resp.mimetype
    return resp


def _tables_intact(sql: Any) -> None:
    from livechat.extensions import db

    for table in db.metadata.sorted_tables:
        assert sql("SELECT to_regclass(:t) IS NOT NULL", t=table.name)[0][0], table.name


def _uid(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


# ---- stored verbatim ----------------------------------------------------------------------


def test_message_text_round_trips_verbatim(http: Any, bearer: Any, fuzz_sio: Any, sql: Any) -> None:
    """Content, clientMessageId and metadata keys/values, from a socket and from REST."""
    for payload in PAYLOADS:
        _check_message_text_round_trips_verbatim(payload, http, bearer, fuzz_sio, sql)


def _check_message_text_round_trips_verbatim(
    payload: str, http: Any, bearer: Any, fuzz_sio: Any, sql: Any
) -> None:
    customer, agent = _uid("inj-c"), _uid("inj-a")
    opened = _safe(http.post(f"{CHAT}/sessions/user", json={}, headers=bearer(customer)))
    session_id = opened.get_json()["id"]
    _safe(
        http.post(f"{CHAT}/sessions/{session_id}/assign", json={}, headers=bearer(agent, "agent"))
    )
    metadata = {"note": payload, payload: "as a key"}

    ack = fuzz_sio(customer).emit(
        "message:send",
        {
            "sessionId": session_id,
            "content": payload,
            "clientMessageId": payload,
            "metadata": metadata,
        },
        callback=True,
    )
    assert ack["ok"], ack
    content = payload.strip()  # message text is trimmed (documented); nothing else changes
    assert (ack["message"]["content"], ack["message"]["metadata"]) == (content, metadata)
    resp = _safe(
        http.post(
            f"{CHAT}/sessions/{session_id}/messages",
            json={"content": payload, "clientMessageId": payload + "/a", "metadata": metadata},
            headers=bearer(agent, "agent"),
        )
    )
    assert resp.status_code == 201 and resp.get_json()["content"] == content

    listed = _safe(http.get(f"{CHAT}/sessions/{session_id}/messages", headers=bearer(customer)))
    got = [(m["content"], m["clientMessageId"], m["metadata"]) for m in listed.get_json()["items"]]
    expected = [(content, payload, metadata), (content, payload + "/a", metadata)]
    assert got == expected
    rows = sql(
        "SELECT content, client_message_id, metadata FROM chat_messages "
        "WHERE session_id = :s ORDER BY seq",
        s=session_id,
    )
    assert [tuple(r) for r in rows] == expected
    detail = _safe(http.get(f"{CHAT}/sessions/{session_id}", headers=bearer(agent, "agent")))
    assert [m["content"] for m in detail.get_json()["messages"]] == [content] * 2
    _tables_intact(sql)


def test_session_subject_and_metadata_round_trip(http: Any, bearer: Any, sql: Any) -> None:
    for payload in PAYLOADS:
        _check_session_subject_and_metadata_round_trip(payload, http, bearer, sql)


def _check_session_subject_and_metadata_round_trip(
    payload: str, http: Any, bearer: Any, sql: Any
) -> None:
    customer = _uid("inj-s")
    body = {"subject": payload, "metadata": {"page": payload}}
    created = _safe(http.post(f"{CHAT}/sessions/user", json=body, headers=bearer(customer)))
    assert created.status_code == 201
    active = _safe(http.get(f"{CHAT}/sessions/active", headers=bearer(customer))).get_json()
    # The client's metadata is kept apart from what the server records, under "client".
    stored = {"client": body["metadata"]}
    assert (active["subject"], active["metadata"]) == (payload, stored)
    rows = sql("SELECT subject, metadata FROM chat_sessions WHERE user_id = :u", u=customer)
    assert [tuple(r) for r in rows] == [(payload, stored)]


def test_ticket_text_round_trips_and_ids_are_not_sql(http: Any, bearer: Any, sql: Any) -> None:
    for payload in PAYLOADS:
        _check_ticket_text_round_trips_and_ids_are_not_sql(payload, http, bearer, sql)


def _check_ticket_text_round_trips_and_ids_are_not_sql(
    payload: str, http: Any, bearer: Any, sql: Any
) -> None:
    customer, agent = _uid("inj-t"), _uid("inj-ta")
    _safe(http.get(f"{TICKETS}/mine", headers=bearer(customer)))  # the customer exists now
    body = {
        "userId": customer,
        "subject": payload,
        "description": f"{payload}\n{payload}",
        "category": payload,
        "metadata": {payload: payload},
    }
    created = _safe(http.post(TICKETS, json=body, headers=bearer(agent, "agent")))
    assert created.status_code == 201, created.get_json()
    ticket_id = created.get_json()["id"]
    fields = ("subject", "description", "category", "metadata")
    shown = _safe(http.get(f"{TICKETS}/{ticket_id}", headers=bearer(agent, "agent"))).get_json()
    assert {k: shown[k] for k in fields} == {k: body[k] for k in fields}
    mine = _safe(http.get(f"{TICKETS}/mine", headers=bearer(customer))).get_json()["items"]
    assert [{k: t[k] for k in fields} for t in mine] == [{k: body[k] for k in fields}]
    rows = sql(
        "SELECT subject, description, category, metadata FROM tickets WHERE id = :i", i=ticket_id
    )
    assert tuple(rows[0]) == tuple(body[k] for k in fields)

    # A payload where an id goes names nothing: no row matches, none changes.
    refused = _safe(
        http.patch(
            f"{TICKETS}/{ticket_id}", json={"assigneeId": payload}, headers=bearer(agent, "agent")
        )
    )
    assert refused.status_code == 404 and refused.get_json()["error"]["code"] == "user_not_found"
    refused = _safe(
        http.post(TICKETS, json={**body, "userId": payload}, headers=bearer(agent, "agent"))
    )
    assert refused.status_code == 404
    assert sql("SELECT count(*) FROM tickets WHERE user_id = :u", u=customer)[0][0] == 1
    assert sql("SELECT assignee_id FROM tickets WHERE id = :i", i=ticket_id)[0][0] is None
    _tables_intact(sql)


def test_token_claims_are_stored_as_data(http: Any, bearer: Any, sql: Any) -> None:
    """A display name, e-mail, even a uid made of a payload: stored and shown as text."""
    for payload in PAYLOADS:
        _check_token_claims_are_stored_as_data(payload, http, bearer, sql)


def _check_token_claims_are_stored_as_data(payload: str, http: Any, bearer: Any, sql: Any) -> None:
    uid = _uid("inj-claims")
    headers = bearer(uid, name=payload, email=payload)
    opened = _safe(http.post(f"{CHAT}/sessions/user", json={}, headers=headers)).get_json()
    rows = sql("SELECT display_name, email FROM users WHERE id = :u", u=uid)
    assert tuple(rows[0]) == (payload, payload)
    agent = bearer(_uid("inj-ca"), "agent")
    detail = _safe(http.get(f"{CHAT}/sessions/{opened['id']}", headers=agent)).get_json()
    assert (detail["customer"]["displayName"], detail["customer"]["email"]) == (payload, payload)

    # The payload as the uid itself, then as the userId filter of the session list.
    _safe(http.post(f"{CHAT}/sessions/user", json={}, headers=bearer(payload)))
    listed = _safe(
        http.get(f"{CHAT}/sessions", query_string={"userId": payload}, headers=agent)
    ).get_json()
    assert [s["userId"] for s in listed["items"]] == [payload]
    assert sql("SELECT count(*) FROM chat_sessions WHERE user_id = :u", u=payload)[0][0] == 1
    _tables_intact(sql)


def test_sql_payloads_as_socket_ids_find_nothing(http: Any, bearer: Any, fuzz_sio: Any) -> None:
    """A payload where a session id goes is compared as a value: it matches no session."""
    owner = _uid("inj-owner")
    _safe(http.post(f"{CHAT}/sessions/user", json={}, headers=bearer(owner)))
    intruder = fuzz_sio(_uid("inj-intruder"))
    for payload in PAYLOADS:
        for event, data in [
            ("join:session", payload),
            ("message:send", {"sessionId": payload, "content": payload}),
            ("message:read", {"sessionId": payload, "upToSeq": 1}),
            ("typing:start", {"sessionId": payload}),
        ]:
            ack = intruder.emit(event, data, callback=True)
            assert ack["error"]["code"] == "session_not_found", (event, payload, ack)


# ---- query strings, path ids, headers ----------------------------------------------------


def test_query_parameters_are_values(http: Any, bearer: Any, sql: Any) -> None:
    for payload in PAYLOADS:
        _check_query_parameters_are_values(payload, http, bearer, sql)


def _check_query_parameters_are_values(payload: str, http: Any, bearer: Any, sql: Any) -> None:
    agent, admin = bearer(_uid("inj-qa"), "agent"), bearer(_uid("inj-qadmin"), "admin")
    # Free-text filters: accepted, compared as values, match nothing.
    for path, headers, params in [
        (f"{CHAT}/sessions", agent, {"userId": payload, "agentId": payload}),
        (TICKETS, agent, {"userId": payload}),
        (
            "/api/support/audit",
            admin,
            {"sessionId": payload, "actorId": payload, "userId": payload},
        ),
    ]:
        resp = _safe(http.get(path, query_string=params, headers=headers))
        assert resp.status_code == 200 and resp.get_json()["items"] == [], resp.get_json()
    # Typed parameters: refused with the field named.
    for path, param in [
        (f"{CHAT}/sessions", "status"),
        (f"{CHAT}/sessions", "page"),
        (f"{CHAT}/sessions", "pageSize"),
        (TICKETS, "priority"),
        (TICKETS, "status"),
    ]:
        resp = _safe(http.get(path, query_string={param: payload}, headers=agent))
        assert resp.status_code == 422, (param, resp.get_json())
        assert param in resp.get_json()["error"]["details"]
    _tables_intact(sql)


def test_path_ids_are_values(http: Any, bearer: Any, sql: Any) -> None:
    agent, admin = bearer(_uid("inj-pa"), "agent"), bearer(_uid("inj-padmin"), "admin")
    for payload in [*PAYLOADS, "\x00", "a\x00b"]:  # (a NUL id used to be a 500)
        _check_path_ids_are_values(payload, http, agent, admin)
    _tables_intact(sql)


def _check_path_ids_are_values(payload: str, http: Any, agent: Any, admin: Any) -> None:
    ident = quote(payload, safe="")
    for method, path, headers in [
        ("GET", f"{CHAT}/sessions/{ident}", agent),
        ("GET", f"{CHAT}/sessions/{ident}/messages", agent),
        ("POST", f"{CHAT}/sessions/{ident}/end", agent),
        ("POST", f"{CHAT}/sessions/{ident}/assign", agent),
        ("GET", f"{TICKETS}/{ident}", agent),
        ("GET", f"/api/support/customers/{ident}/export", admin),
    ]:
        resp = _safe(
            http.open(path, method=method, json={} if method == "POST" else None, headers=headers)
        )
        assert resp.status_code == 404, (method, path, resp.status_code, resp.get_json())
        assert resp.get_json()["error"]["code"].endswith("not_found")


def test_request_headers_are_not_echoed(http: Any) -> None:
    for payload in PAYLOADS:
        _check_request_headers_are_not_echoed(payload, http)


def _check_request_headers_are_not_echoed(payload: str, http: Any) -> None:
    value = payload.replace("\r", "").replace("\n", "")  # a client cannot send raw newlines
    resp = _safe(http.get(f"{TICKETS}/mine", headers={"Authorization": f"Bearer {value}"}))
    assert resp.status_code == 401
    resp = _safe(http.get("/healthz", headers={"Origin": value}))
    assert "Access-Control-Allow-Origin" not in resp.headers


# ---- pages ---------------------------------------------------------------------------------


def test_pages_keep_their_csp_and_reflect_nothing(http: Any) -> None:
    for payload in PAYLOADS:
        _check_pages_keep_their_csp_and_reflect_nothing(payload, http)


def _check_pages_keep_their_csp_and_reflect_nothing(payload: str, http: Any) -> None:
    from livechat.security import PAGE_CSP

    for path in ("/", "/console"):
        resp = _safe(http.get(path, query_string={"q": payload, "name": payload}), json=False)
        assert resp.status_code == 200 and resp.mimetype == "text/html"
        assert resp.headers["Content-Security-Policy"] == PAGE_CSP
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert payload not in resp.get_data(as_text=True)
    with http.get("/widget.js", query_string={"q": payload}) as widget:
        _safe(widget, json=False)
        assert widget.mimetype in ("text/javascript", "application/javascript")
        assert payload not in widget.get_data(as_text=True)
    # An unknown path answers JSON, not an HTML page echoing the path.
    missing = _safe(http.get("/" + quote(payload, safe="")))
    assert missing.status_code == 404 and payload not in missing.get_data(as_text=True)
    # The dev token page signs the payload as data and answers JSON.
    dev = _safe(http.get("/dev/token", query_string={"uid": _uid("inj-dev"), "name": payload}))
    assert dev.status_code == 200 and set(dev.get_json()) == {"token", "expiresIn"}


def test_pages_scripts_never_write_html() -> None:
    """The widget and console put text in with textContent; no HTML sink exists to inject into."""
    sinks = re.compile(
        r"\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function"
    )
    for name in ("widget.js", "console.js", "demo.js"):
        code = "\n".join(
            line
            for line in (STATIC / name).read_text().splitlines()
            if not line.lstrip().startswith(("*", "//", "/*"))
        )
        assert sinks.findall(code) == [], name
    # Links in messages: only http(s) URLs become links (javascript: stays text).
    widget = (STATIC / "widget.js").read_text()
    assert "u.protocol === 'http:' || u.protocol === 'https:'" in widget


# ---- hostile input that used to break the service (now clear 4xx) -----------------------


def test_unstorable_claims_are_dropped_or_refused(http: Any, bearer: Any, sql: Any) -> None:
    uid = _uid("inj-long")
    resp = _safe(http.get(f"{TICKETS}/mine", headers=bearer(uid, name="n" * 300, email="e" * 400)))
    assert resp.status_code == 200
    assert tuple(sql("SELECT display_name, email FROM users WHERE id = :u", u=uid)[0]) == (
        "n" * 200,
        None,
    )
    uid = _uid("inj-nul")
    resp = _safe(http.get(f"{TICKETS}/mine", headers=bearer(uid, name="a\x00b", email="\ud800")))
    assert resp.status_code == 200
    assert tuple(sql("SELECT display_name, email FROM users WHERE id = :u", u=uid)[0]) == (
        None,
        None,
    )
    for bad_uid in ("\x00", "a\ud800"):
        resp = _safe(http.get(f"{TICKETS}/mine", headers=bearer(bad_uid)))
        assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "invalid_token"


BODIES_THAT_USED_TO_500 = [
    (b"[" * 100_000 + b"]" * 100_000, None),  # over MAX_BODY_BYTES: 413
    (b'{"a":' * 5_000 + b"1" + b"}" * 5_000, "invalid_json"),  # too deep to parse
    (b"[" * 20_000 + b"]" * 20_000, "invalid_json"),
    (b'{"subject": "a\\u0000b"}', "validation_error"),
    (b'{"subject": "\\ud800"}', "validation_error"),
    (b'{"metadata": {"a": NaN}}', "validation_error"),
    (b'{"metadata": {"a": Infinity}}', "validation_error"),
    (b'{"metadata": {"a": [[[[[[1]]]]]]}}', "validation_error"),
]


def test_bodies_that_used_to_500_are_clear_4xx(http: Any, bearer: Any, sql: Any) -> None:
    for body, code in BODIES_THAT_USED_TO_500:
        uid = _uid("inj-body")
        resp = _safe(
            http.post(
                f"{CHAT}/sessions/user",
                data=body,
                headers={**bearer(uid), "Content-Type": "application/json"},
            )
        )
        assert 400 <= resp.status_code < 500, (body[:40], resp.get_json())
        if code:
            assert resp.get_json()["error"]["code"] == code, body[:40]
        assert sql("SELECT count(*) FROM chat_sessions WHERE user_id = :u", u=uid)[0][0] == 0

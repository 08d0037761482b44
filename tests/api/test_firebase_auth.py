"""Firebase sign-in, verified for real: firebase-admin checks RS256 ID tokens end to end.

The tokens are signed with a test RSA key; its X.509 certificate is served as Google's
``{kid: cert_pem}`` JSON by a real local HTTP server. The one seam is google-auth's
``id_token._fetch_certs``: it is pointed at that server instead of Google, and the real download
(firebase-admin's CacheControl session) and the real signature/claim checks still run.
Nothing in ``livechat`` is patched.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import google.oauth2.id_token
import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from firebase_admin import _token_gen
from gevent.pywsgi import WSGIServer

from livechat import runtime
from tests.support import leaks, services

BASE = "/api/support/chat"
PROJECT = "demo-livechat-test"
ISSUER = f"https://securetoken.google.com/{PROJECT}"
KID = "livechat-test-key-1"

_original_fetch_certs = google.oauth2.id_token._fetch_certs


# --- keys and tokens --------------------------------------------------------------------------


@dataclass(frozen=True)
class SigningKey:
    private_pem: bytes
    cert_pem: str


def _signing_key(common_name: str) -> SigningKey:
    """A fresh 2048-bit RSA key and a self-signed certificate for it (what Google publishes)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return SigningKey(private_pem, cert.public_bytes(serialization.Encoding.PEM).decode())


@pytest.fixture(scope="module")
def signing_key() -> SigningKey:
    return _signing_key("securetoken.test")


@pytest.fixture(scope="module")
def other_key() -> SigningKey:
    """A second key the certificate server never publishes."""
    return _signing_key("attacker.test")


def _claims(uid: str, *, ttl: int = 3600, age: int = 5, **extra: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": PROJECT,
        "sub": uid,
        "user_id": uid,
        "iat": now - age,
        "exp": now - age + ttl,
        "auth_time": now - age,
        "firebase": {"identities": {}, "sign_in_provider": "password"},
    }
    claims.update(extra)
    return claims


@pytest.fixture()
def fb_token(signing_key: SigningKey) -> Callable[..., str]:
    """fb_token(uid, key=..., kid=..., **claims) -> an RS256 Firebase-style ID token."""

    def issue(
        uid: str = "fb-user-1",
        *,
        key: SigningKey | None = None,
        kid: str = KID,
        ttl: int = 3600,
        age: int = 5,
        **extra: Any,
    ) -> str:
        pem = (key or signing_key).private_pem
        claims = _claims(uid, ttl=ttl, age=age, **extra)
        return jwt.encode(claims, pem, algorithm="RS256", headers={"kid": kid})

    return issue


def bearer(tok: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tok}"}


# --- the certificate server -------------------------------------------------------------------


@dataclass
class CertServer:
    """Serves ``{kid: cert_pem}`` at ``path``; records every request it gets."""

    certs: dict[str, str]
    path: str = field(default_factory=lambda: f"/robot/v1/metadata/x509/{secrets.token_hex(6)}")
    status: str = "200 OK"
    requests: list[str] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        self.requests.append(environ["PATH_INFO"])
        if environ["PATH_INFO"] != self.path:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        body = json.dumps(self.certs).encode()
        start_response(
            self.status,
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
        )
        return [body]


@pytest.fixture(scope="module")
def cert_server(signing_key: SigningKey) -> Iterator[CertServer]:
    """A real HTTP server on 127.0.0.1 (gevent, like the app) with a fresh URL per module."""
    server_app = CertServer(certs={KID: signing_key.cert_pem})
    server = WSGIServer(("127.0.0.1", 0), server_app, log=None)
    server.start()
    leaks.enduring(server)  # google-auth keeps its connection to it open between tests
    server_app.port = server.server_port
    yield server_app
    server.stop(timeout=2)


@pytest.fixture()
def certs_url(cert_server: CertServer, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Route google-auth's certificate download to our server; certs_url(url) re-points it."""
    target = {"url": cert_server.url}
    cert_server.requests.clear()
    cert_server.status = "200 OK"

    def fetch_certs(request: Any, url: str) -> Any:
        # Only the Firebase ID-token certificate URL may be asked for.
        assert url == _token_gen.ID_TOKEN_CERT_URI
        return _original_fetch_certs(request, target["url"])

    monkeypatch.setattr(google.oauth2.id_token, "_fetch_certs", fetch_certs)

    def point_at(url: str) -> None:
        target["url"] = url

    return point_at


# --- the app in firebase mode -----------------------------------------------------------------

_ENV = {"AUTH_MODE": "firebase", "FIREBASE_PROJECT_ID": PROJECT, "SECRET_KEY": "x"}


@pytest.fixture(scope="module")
def fb_app(app: Any, pg_url: str) -> Iterator[Any]:
    """A second app, AUTH_MODE=firebase, on the schema the session ``app`` migrated."""
    from livechat import create_app

    saved_env = {k: os.environ.get(k) for k in (*_ENV, "DATABASE_URL")}
    os.environ.update(_ENV, DATABASE_URL=pg_url)
    try:
        application = create_app("testing")
    finally:
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    yield leaks.enduring(application)
    from livechat import shutdown_app

    shutdown_app(application)


@pytest.fixture()
def fb_client(fb_app: Any, certs_url: Any) -> Iterator[Any]:
    from livechat.extensions import db

    yield fb_app.test_client()
    with fb_app.app_context():
        db.session.remove()
        services.truncate_all(db)


def assert_error(resp: Any, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.get_data(as_text=True)
    body = resp.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body


def _stored_user(fb_app: Any, uid: str) -> Any:
    from livechat.extensions import db
    from livechat.models import User

    with fb_app.app_context():
        user = db.session.get(User, uid)
        db.session.expunge_all()
        db.session.remove()
        return user


# --- tests ------------------------------------------------------------------------------------


def test_the_app_really_runs_firebase_mode(fb_app: Any) -> None:
    verifier = runtime.verifier(fb_app)
    assert verifier.mode == "firebase"
    assert verifier.app.project_id == PROJECT


def test_valid_token_authenticates_and_upserts_the_user(
    fb_client: Any, fb_app: Any, fb_token: Any, cert_server: CertServer
) -> None:
    h = bearer(fb_token("fb-cust-1", email="cora@example.com", name="Cora Firebase"))

    resp = fb_client.get(f"{BASE}/sessions/active", headers=h)
    assert_error(resp, 404, "no_active_session")
    # The certificate really came over HTTP from our server.
    assert cert_server.path in cert_server.requests

    user = _stored_user(fb_app, "fb-cust-1")
    assert user is not None
    assert user.email == "cora@example.com"
    assert user.display_name == "Cora Firebase"
    assert user.role.value == "user"

    created = fb_client.post(f"{BASE}/sessions/user", json={"subject": "Hi"}, headers=h)
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.get_json()["userId"] == "fb-cust-1"


def test_custom_role_claim_grants_and_its_absence_denies_staff_endpoints(
    fb_client: Any, fb_app: Any, fb_token: Any
) -> None:
    agent = fb_client.get(f"{BASE}/queue", headers=bearer(fb_token("fb-agent", role="agent")))
    assert agent.status_code == 200, agent.get_data(as_text=True)
    assert agent.get_json() == {"items": [], "total": 0}
    assert _stored_user(fb_app, "fb-agent").role.value == "agent"

    admin = fb_client.get(f"{BASE}/queue", headers=bearer(fb_token("fb-admin", role="admin")))
    assert admin.status_code == 200

    plain = fb_client.get(f"{BASE}/queue", headers=bearer(fb_token("fb-plain")))
    assert_error(plain, 403, "forbidden")

    # The role follows the token: the same uid without the claim is a customer again.
    demoted = fb_client.get(f"{BASE}/queue", headers=bearer(fb_token("fb-agent")))
    assert_error(demoted, 403, "forbidden")
    assert _stored_user(fb_app, "fb-agent").role.value == "user"


def test_expired_token_is_token_expired(fb_client: Any, fb_token: Any) -> None:
    tok = fb_token("fb-late", age=7200, ttl=3600)  # expired an hour ago
    resp = fb_client.get(f"{BASE}/sessions/active", headers=bearer(tok))
    assert_error(resp, 401, "token_expired")


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param({"aud": "some-other-project"}, id="wrong-audience"),
        pytest.param({"iss": "https://securetoken.google.com/some-other-project"}, id="wrong-iss"),
        pytest.param({"iss": "https://accounts.google.com"}, id="google-iss"),
    ],
)
def test_token_for_another_project_is_invalid(
    fb_client: Any, fb_token: Any, fb_app: Any, claims: dict[str, Any]
) -> None:
    resp = fb_client.get(f"{BASE}/sessions/active", headers=bearer(fb_token("fb-x", **claims)))
    assert_error(resp, 401, "invalid_token")
    assert _stored_user(fb_app, "fb-x") is None


def test_token_signed_by_another_key_is_invalid(
    fb_client: Any, fb_token: Any, other_key: SigningKey, fb_app: Any, cert_server: CertServer
) -> None:
    forged = fb_token("fb-admin", key=other_key, role="admin")  # same kid, wrong key
    resp = fb_client.get(f"{BASE}/queue", headers=bearer(forged))
    assert_error(resp, 401, "invalid_token")
    assert cert_server.path in cert_server.requests  # rejected on the signature, after the fetch
    assert _stored_user(fb_app, "fb-admin") is None


def test_token_with_unknown_kid_is_invalid(fb_client: Any, fb_token: Any) -> None:
    resp = fb_client.get(
        f"{BASE}/sessions/active", headers=bearer(fb_token("fb-y", kid="no-such-key"))
    )
    assert_error(resp, 401, "invalid_token")


def test_reserved_uid_is_refused_even_when_signed(fb_client: Any, fb_token: Any) -> None:
    from livechat.models import AI_SENDER_ID

    resp = fb_client.get(f"{BASE}/sessions/active", headers=bearer(fb_token(AI_SENDER_ID)))
    assert_error(resp, 401, "invalid_token")


@pytest.mark.parametrize("tok", ["abc.def", "not-a-token", "a.b.c", "Zm9v.YmFy.YmF6"])
def test_malformed_token_is_invalid(fb_client: Any, tok: str) -> None:
    resp = fb_client.get(f"{BASE}/sessions/active", headers=bearer(tok))
    assert_error(resp, 401, "invalid_token")


def test_dev_style_hs256_tokens_are_refused(fb_client: Any, fb_app: Any) -> None:
    from livechat.auth import DevTokenVerifier

    # What AUTH_MODE=dev would accept, even signed with this app's own SECRET_KEY.
    dev = DevTokenVerifier(fb_app.config["SECRET_KEY"]).issue("fb-dev", role="admin")
    assert_error(fb_client.get(f"{BASE}/queue", headers=bearer(dev)), 401, "invalid_token")

    # HS256 with Firebase claims and a known kid: refused on the algorithm.
    hs = jwt.encode(
        _claims("fb-dev", role="admin"), "x" * 32, algorithm="HS256", headers={"kid": KID}
    )
    assert_error(fb_client.get(f"{BASE}/queue", headers=bearer(hs)), 401, "invalid_token")


def test_unsigned_alg_none_token_is_refused(fb_client: Any) -> None:
    tok = jwt.encode(_claims("fb-none", role="admin"), None, algorithm="none", headers={"kid": KID})
    assert_error(fb_client.get(f"{BASE}/queue", headers=bearer(tok)), 401, "invalid_token")


def test_oversized_token_is_refused_without_fetching_certs(
    fb_client: Any, fb_token: Any, cert_server: CertServer
) -> None:
    tok = fb_token("fb-big", padding="p" * 9000)
    resp = fb_client.get(f"{BASE}/sessions/active", headers=bearer(tok))
    assert_error(resp, 401, "invalid_token")
    assert cert_server.requests == []


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-header"),
        pytest.param({"Authorization": "Bearer "}, id="empty-bearer"),
        pytest.param({"Authorization": "Basic dXNlcjpwYXNz"}, id="basic"),
    ],
)
def test_missing_token_is_unauthorized(fb_client: Any, headers: dict[str, str]) -> None:
    resp = fb_client.get(f"{BASE}/sessions/active", headers=headers)
    assert_error(resp, 401, "unauthorized")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_certificate_server_is_503(
    fb_client: Any, fb_token: Any, certs_url: Any, caplog: pytest.LogCaptureFixture
) -> None:
    certs_url(f"http://127.0.0.1:{_closed_port()}/certs/{secrets.token_hex(6)}")
    tok = fb_token("fb-z")
    with caplog.at_level("WARNING", logger="livechat.auth"):
        resp = fb_client.get(f"{BASE}/sessions/active", headers=bearer(tok))
    assert_error(resp, 503, "auth_unavailable")
    assert "could not fetch Firebase public certificates" in caplog.text
    assert tok not in caplog.text


def test_certificate_server_error_is_503(
    fb_client: Any, fb_token: Any, cert_server: CertServer
) -> None:
    cert_server.status = "500 Internal Server Error"
    resp = fb_client.get(f"{BASE}/sessions/active", headers=bearer(fb_token("fb-z")))
    assert_error(resp, 503, "auth_unavailable")
    assert cert_server.path in cert_server.requests

    # Once the endpoint recovers, the same kind of token is accepted again.
    cert_server.status = "200 OK"
    resp = fb_client.get(f"{BASE}/sessions/active", headers=bearer(fb_token("fb-z")))
    assert_error(resp, 404, "no_active_session")

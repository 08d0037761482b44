"""Verified tokens are remembered until their exp (auth.VerifiedTokens); failures never are."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from livechat.auth import IDENTITY_CLAIMS, DevTokenVerifier, VerifiedTokens, identity_from_claims
from livechat.errors import Unauthorized
from livechat.models import Role


def test_remembered_until_exp_and_bounded() -> None:
    cache = VerifiedTokens(size=2)
    now = time.time()
    cache.put("a", {"uid": "a", "exp": now + 60})
    cache.put("gone", {"uid": "g", "exp": now - 1})
    cache.put("no-exp", {"uid": "n"})
    cache.put("bad-exp", {"uid": "b", "exp": "soon"})
    assert cache.get("a") == {"uid": "a", "exp": now + 60}
    assert cache.get("gone") is None
    assert cache.get("no-exp") is None and cache.get("bad-exp") is None
    # A copy: the caller changing its claims changes nothing remembered.
    cache.get("a")["uid"] = "mallory"  # type: ignore[index]
    assert cache.get("a")["uid"] == "a"  # type: ignore[index]
    cache.put("b", {"uid": "b", "exp": now + 60})
    cache.get("a")  # a used last: c pushes b out
    cache.put("c", {"uid": "c", "exp": now + 60})
    assert cache.get("b") is None and cache.get("a") is not None and cache.get("c") is not None


def test_dev_tokens_are_verified_once_and_expire(monkeypatch: Any) -> None:
    verifier = DevTokenVerifier("k" * 32)
    token = verifier.issue("cust-1", ttl=2)
    decoded: list[str] = []
    real = jwt.decode
    monkeypatch.setattr(jwt, "decode", lambda t, *a, **k: decoded.append(t) or real(t, *a, **k))
    first = verifier.verify(token)
    again = verifier.verify(token)
    assert first == again and first["uid"] == "cust-1" and decoded == [token]

    # Past its exp the token is checked again, and refused.
    time.sleep(max(0.0, first["exp"] - time.time()) + 0.1)
    with pytest.raises(Unauthorized) as exc:
        verifier.verify(token)
    assert exc.value.code == "token_expired"


@pytest.mark.parametrize("bad", ["", "x", "a.b.c", DevTokenVerifier("other" * 8).issue("u")])
def test_bad_tokens_are_refused_every_time(bad: str) -> None:
    verifier = DevTokenVerifier("k" * 32)
    for _ in range(2):
        with pytest.raises(Unauthorized) as exc:
            verifier.verify(bad)
        assert exc.value.code == "invalid_token"


def test_only_what_an_identity_is_made_of_is_returned_and_kept() -> None:
    """A Firebase ID token carries issuer, audience, sign-in provider and identities: none of
    it is kept per signed-in user, and the Identity holds the expiry alone."""
    cache = VerifiedTokens()
    exp = time.time() + 60
    firebase_like = {
        "iss": "https://securetoken.google.com/demo",
        "aud": "demo",
        "auth_time": 1,
        "user_id": "cust-9",
        "sub": "cust-9",
        "uid": "cust-9",
        "iat": 1,
        "exp": exp,
        "email": "ana@example.com",
        "email_verified": True,
        "name": "Ana",
        "role": "agent",
        "firebase": {"identities": {"email": ["ana@example.com"]}, "sign_in_provider": "password"},
    }
    cache.put("t", firebase_like)
    kept = cache.get("t")
    assert kept == {
        "uid": "cust-9",
        "sub": "cust-9",
        "role": "agent",
        "email": "ana@example.com",
        "name": "Ana",
        "exp": exp,
    }
    identity = identity_from_claims(kept)  # type: ignore[arg-type]
    assert identity == identity_from_claims(firebase_like)
    assert identity.expires_at == exp and identity.role is Role.AGENT

    verifier = DevTokenVerifier("k" * 32)
    token = verifier.issue("cust-1", ttl=60)
    claims = verifier.verify(token)
    assert set(claims) <= set(IDENTITY_CLAIMS) and claims["uid"] == "cust-1"
    assert identity_from_claims(claims).expires_at == claims["exp"]
    assert identity_from_claims({"uid": "x"}).expires_at is None
    assert identity_from_claims({"uid": "x", "exp": True}).expires_at is None

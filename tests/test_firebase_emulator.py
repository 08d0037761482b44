"""The Firebase Auth emulator the sign-in and team tests run against, driven by the real
firebase-admin and checked by the project's own verifier: claims set by firebase-admin reach the
next token, and the verifier maps them to a role."""

from __future__ import annotations

from typing import Any

import pytest

from livechat.auth import FirebaseTokenVerifier, identity_from_claims
from livechat.errors import Unauthorized
from livechat.models import Role


def test_emulator_accounts_claims_and_tokens(firebase_auth: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("FIREBASE_AUTH_EMULATOR_HOST", firebase_auth.host)
    from firebase_admin import auth

    verifier = FirebaseTokenVerifier(
        firebase_auth.project_id, app_name=f"emulator-check-{firebase_auth.port}"
    )
    account = firebase_auth.sign_up("ann@example.test", "correct horse")
    claims = verifier.verify(account["idToken"])
    assert claims["uid"] == account["localId"]
    assert identity_from_claims(claims).role is Role.USER

    auth.set_custom_user_claims(account["localId"], {"role": "agent"}, app=verifier.app)
    fresh = firebase_auth.refresh(account["refreshToken"])
    identity = identity_from_claims(verifier.verify(fresh["id_token"]))
    assert identity.uid == account["localId"] and identity.role is Role.AGENT
    assert identity.email == "ann@example.test"

    with pytest.raises(Unauthorized):
        verifier.verify("not-a-token")

"""Signing keys (unique kid, public-only JWKS) and the issued-credentials registry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt

from local.cognito_identity.credentials import (
    CREDENTIALS_TTL,
    forget_credentials,
    issue_credentials,
    lookup_credentials,
)
from local.core.keys import generate_signing_key, jwk_thumbprint, jwks_document


def test_each_key_has_its_own_stable_kid() -> None:
    first, second = generate_signing_key(), generate_signing_key()
    assert first.kid != second.kid
    assert first.kid == jwk_thumbprint(first.public_jwk())


def test_jwks_is_public_only_and_verifies_signatures() -> None:
    key = generate_signing_key()
    document = jwks_document(key)
    assert set(document["keys"][0]) == {"alg", "e", "kid", "kty", "n", "use"}
    token = key.sign({"sub": "x"})
    assert jwt.get_unverified_header(token)["kid"] == key.kid
    public = jwt.PyJWKSet.from_dict(document).keys[0].key
    assert jwt.decode(token, public, algorithms=["RS256"])["sub"] == "x"


def test_credentials_look_like_sts_session_credentials_and_are_registered() -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    creds = issue_credentials(
        account_id="123456789012",
        region="us-east-1",
        identity_pool_id="us-east-1:pool",
        identity_id="us-east-1:identity",
        role_arn="arn:aws:iam::123456789012:role/r",
        provider="p",
        authentication_provider="p,p:sub",
        now=now,
    )
    assert creds.access_key_id.startswith("ASIA")
    assert len(creds.access_key_id) == 20
    assert len(creds.secret_key) == 40
    assert creds.expiration == now + CREDENTIALS_TTL
    assert creds.expired(now + CREDENTIALS_TTL)
    assert not creds.expired(now + timedelta(minutes=59))
    assert lookup_credentials(creds.access_key_id) is creds
    assert creds.secret_key not in repr(creds)
    assert creds.session_token not in repr(creds)


def test_every_issue_is_distinct_and_forget_clears() -> None:
    first, second = issue_credentials(**_fields()), issue_credentials(**_fields())
    assert first.access_key_id != second.access_key_id
    assert first.secret_key != second.secret_key
    forget_credentials()
    assert lookup_credentials(first.access_key_id) is None


def _fields() -> dict[str, str]:
    return {
        "account_id": "123456789012",
        "region": "us-east-1",
        "identity_pool_id": "us-east-1:pool",
        "identity_id": "us-east-1:identity",
        "role_arn": "arn:aws:iam::123456789012:role/r",
        "provider": "p",
        "authentication_provider": "p,p:sub",
    }

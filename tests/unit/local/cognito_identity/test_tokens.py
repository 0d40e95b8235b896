"""Login-token verification (what GetId checks) and remote JWKS discovery, without a server."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from local.cognito_identity.tokens import LoginProvider, RemoteJwks, keys_from_jwks, verify_login_token
from local.core.errors import AwsError
from local.core.keys import SigningKey, generate_signing_key, jwks_document

PROVIDER = "cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool"
KEY = generate_signing_key()


def _provider(key: SigningKey = KEY, **overrides: Any) -> LoginProvider:
    options: dict[str, Any] = {
        "name": PROVIDER,
        "audiences": ("client-1", "client-2"),
        "keys": keys_from_jwks(jwks_document(key)),
        "required_token_use": "id",
    }
    options.update(overrides)
    return LoginProvider(**options)


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": f"https://{PROVIDER}",
        "aud": "client-2",
        "sub": "abc",
        "token_use": "id",
        "iat": now,
        "exp": now + 300,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _refused(token: str, provider: LoginProvider | None = None) -> str:
    with pytest.raises(AwsError) as excinfo:
        verify_login_token(token, provider or _provider())
    assert excinfo.value.code == "NotAuthorizedException"
    return excinfo.value.message


def test_valid_token_returns_its_claims() -> None:
    claims = verify_login_token(KEY.sign(_claims()), _provider())
    assert claims["sub"] == "abc"
    assert claims["aud"] == "client-2"


def test_signature_from_another_key_is_refused() -> None:
    assert (
        _refused(generate_signing_key().sign(_claims()))
        == "Invalid login token. Couldn't verify signed token."
    )


def test_tampered_payload_is_refused() -> None:
    header, _, signature = KEY.sign(_claims()).split(".")
    other_payload = KEY.sign(_claims(sub="someone-else")).split(".")[1]
    assert (
        _refused(f"{header}.{other_payload}.{signature}")
        == "Invalid login token. Couldn't verify signed token."
    )


def test_symmetric_and_unsigned_algorithms_are_refused() -> None:
    public_pem_as_secret = "not-a-real-secret-but-long-enough-for-hs256-xxxxxxxx"
    hs256 = jwt.encode(_claims(), public_pem_as_secret, algorithm="HS256", headers={"kid": KEY.kid})
    assert _refused(hs256) == "Invalid login token. Couldn't verify signed token."
    unsigned = jwt.encode(_claims(), None, algorithm="none")
    assert _refused(unsigned) == "Invalid login token. Couldn't verify signed token."


def test_wrong_issuer_wrong_audience_and_expiry() -> None:
    assert _refused(KEY.sign(_claims(iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"))) == (
        "Invalid login token. Issuer doesn't match providerName"
    )
    assert _refused(KEY.sign(_claims(aud="client-3"))) == "Invalid login token. Incorrect token audience."
    expired = KEY.sign(_claims(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600))
    assert _refused(expired).startswith("Invalid login token. Token expired: ")


def test_small_clock_skew_is_tolerated() -> None:
    assert verify_login_token(KEY.sign(_claims(exp=int(time.time()) - 5)), _provider())["sub"] == "abc"


@pytest.mark.parametrize("missing", ["sub", "exp", "iat", "aud", "iss"])
def test_required_claims(missing: str) -> None:
    message = _refused(KEY.sign(_claims(**{missing: None})))
    assert message.startswith("Invalid login token.")


def test_access_tokens_are_not_identity_tokens() -> None:
    assert (
        _refused(KEY.sign(_claims(token_use="access")))
        == "Invalid login token. Not a valid OpenId Connect identity token."
    )


def test_garbage_is_not_a_token() -> None:
    assert (
        _refused("definitely-not-a-jwt") == "Invalid login token. Not a valid OpenId Connect identity token."
    )
    assert _refused("a.b.c").startswith("Invalid login token.")


# --- remote issuers -------------------------------------------------------------------------------


class FakeIssuer:
    """Serves a discovery document and JWKS from memory, counting fetches."""

    def __init__(self, issuer: str, key: SigningKey) -> None:
        self.issuer = issuer
        self.key = key
        self.fetches: list[str] = []

    def __call__(self, url: str) -> Any:
        self.fetches.append(url)
        if url.endswith("/.well-known/openid-configuration"):  # whoever is asked answers for self.issuer
            return {"issuer": self.issuer, "jwks_uri": "https://keys.example/jwks"}
        if url == "https://keys.example/jwks":
            return jwks_document(self.key)
        raise AssertionError(url)


def test_remote_issuer_keys_come_from_discovery_and_are_cached() -> None:
    fake = FakeIssuer("https://accounts.example.com", generate_signing_key())
    remote = RemoteJwks(fetch_json=fake)
    provider = LoginProvider(
        name="accounts.example.com", audiences=("app",), keys=remote.lookup_for(fake.issuer)
    )
    token = fake.key.sign(_claims(iss=fake.issuer, aud="app", token_use=None))

    assert verify_login_token(token, provider)["sub"] == "abc"
    assert verify_login_token(token, provider)["sub"] == "abc"
    assert len(fake.fetches) == 2  # discovery + JWKS once


def test_rotated_key_is_refetched_once_then_cooled_down() -> None:
    fake = FakeIssuer("https://accounts.example.com", generate_signing_key())
    remote = RemoteJwks(fetch_json=fake, ttl_seconds=3600)
    lookup = remote.lookup_for(fake.issuer)
    lookup(fake.key.kid)
    fake.key = generate_signing_key()  # the issuer rotates

    with pytest.raises(KeyError):
        lookup(fake.key.kid)  # within the cool-down: no refetch storm
    assert len(fake.fetches) == 2


def test_discovery_for_another_issuer_is_refused() -> None:
    fake = FakeIssuer("https://accounts.example.com", generate_signing_key())
    lookup = RemoteJwks(fetch_json=fake).lookup_for("https://impostor.example.com")
    with pytest.raises(KeyError):
        lookup(fake.key.kid)

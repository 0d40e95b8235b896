"""SigV4 verification: requests signed by botocore pass; every kind of tampering fails with
API Gateway's message."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from local.apigateway import sigv4

# botocore's signer (the client side of these tests) still calls datetime.utcnow().
pytestmark = pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning")

REGION = "us-east-1"
HOST = "127.0.0.1:9999"


@dataclass(frozen=True)
class FakeCredentials:
    access_key_id: str = "ASIAEXAMPLEKEY000001"
    secret_key: str = "secret/key+value"
    session_token: str | None = "session-token-issued"
    expiration: datetime = datetime.now(UTC) + timedelta(hours=1)
    account_id: str = "123456789012"
    region: str = REGION
    identity_pool_id: str | None = "us-east-1:pool"
    identity_id: str | None = "us-east-1:identity"
    role_arn: str = "arn:aws:iam::123456789012:role/cip-users"
    provider: str | None = "cognito-idp.us-east-1.amazonaws.com/us-east-1_A"
    authentication_provider: str | None = None
    authentication_type: str = "authenticated"
    issued_at: datetime | None = None


CREDS = FakeCredentials()


def resolver_for(*known: FakeCredentials) -> sigv4.CredentialsResolver:
    table = {c.access_key_id: c for c in known}
    return table.get


@dataclass
class Signed:
    method: str
    raw_path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes


def sign(
    method: str = "POST",
    url: str = f"http://{HOST}/local/cip?b=2&a=x%20y",
    body: bytes = b'{"name":"Ann"}',
    *,
    secret: str = CREDS.secret_key,
    token: str | None = CREDS.session_token,
    service: str = "execute-api",
    region: str = REGION,
    headers: dict[str, str] | None = None,
) -> Signed:
    request = AWSRequest(
        method=method, url=url, data=body, headers={"Content-Type": "application/json", **(headers or {})}
    )
    SigV4Auth(Credentials(CREDS.access_key_id, secret, token), service, region).add_auth(request)
    parts = urlsplit(url)
    pairs = [(k, v) for k, v in request.headers.items()]
    pairs.append(("Host", parts.netloc))
    pairs.append(("User-Agent", "test-client/1.0"))
    return Signed(method, parts.path, parts.query, pairs, body)


def verify(
    signed: Signed, *, now: datetime | None = None, resolver: sigv4.CredentialsResolver | None = None
) -> object:
    return sigv4.verify(
        method=signed.method,
        raw_path=signed.raw_path,
        query=signed.query,
        headers=signed.headers,
        body=signed.body,
        region=REGION,
        resolver=resolver or resolver_for(CREDS),
        now=now or datetime.now(UTC),
    )


def refused(signed: Signed, **kwargs: object) -> sigv4.SigV4Error:
    with pytest.raises(sigv4.SigV4Error) as info:
        verify(signed, **kwargs)  # type: ignore[arg-type]
    assert info.value.status == 403
    return info.value


def set_header(signed: Signed, name: str, value: str | None) -> Signed:
    headers = [(k, v) for k, v in signed.headers if k.lower() != name.lower()]
    if value is not None:
        headers.append((name, value))
    return replace(signed, headers=headers)


@pytest.mark.parametrize(
    "url",
    [
        f"http://{HOST}/local/cip",
        f"http://{HOST}/local/cip?b=2&a=x%20y",
        f"http://{HOST}/local/files/a%20b/c",
        f"http://{HOST}/local/",
    ],
)
def test_botocore_signed_requests_pass(url: str) -> None:
    assert verify(sign(url=url)) == CREDS
    assert verify(sign("GET", url=url, body=b"")) == CREDS


def test_unsigned_headers_may_change() -> None:
    signed = set_header(sign(), "User-Agent", "something-else")
    assert verify(signed) == CREDS


def test_missing_authorization_is_missing_authentication_token() -> None:
    err = refused(set_header(sign(), "Authorization", None))
    assert (err.error_type, err.message) == (
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    )
    assert err.response_type == "MISSING_AUTHENTICATION_TOKEN"


def test_a_bearer_token_is_an_incomplete_signature() -> None:
    err = refused(set_header(sign(), "Authorization", "Bearer eyJhbGciOi.x.y"))
    assert err.error_type == "IncompleteSignatureException"
    assert "requires 'Credential' parameter" in err.message
    assert "eyJ" not in err.message  # never echo a token


def test_wrong_secret_fails_with_signature_mismatch() -> None:
    err = refused(sign(secret="not-the-secret"))
    assert err.error_type == "InvalidSignatureException"
    assert err.message.startswith(
        "The request signature we calculated does not match the signature you provided."
    )
    assert err.response_type == "INVALID_SIGNATURE"


def test_tampered_signed_header_fails() -> None:
    err = refused(set_header(sign(), "Content-Type", "text/plain"))
    assert err.message.startswith("The request signature we calculated does not match")


def test_tampered_body_fails() -> None:
    err = refused(replace(sign(), body=b'{"name":"Mallory"}'))
    assert err.message.startswith("The request signature we calculated does not match")


def test_tampered_path_fails() -> None:
    err = refused(replace(sign(), raw_path="/local/google"))
    assert err.message.startswith("The request signature we calculated does not match")


def test_tampered_query_fails() -> None:
    err = refused(replace(sign(), query="b=3&a=x%20y"))
    assert err.message.startswith("The request signature we calculated does not match")


def test_tampered_method_fails() -> None:
    err = refused(replace(sign(), method="PUT"))
    assert err.message.startswith("The request signature we calculated does not match")


def test_expired_date_fails() -> None:
    err = refused(sign(), now=datetime.now(UTC) + timedelta(minutes=6))
    assert err.error_type == "InvalidSignatureException"
    assert err.message.startswith("Signature expired: ")
    assert "- 5 min.)" in err.message


def test_date_in_the_future_fails() -> None:
    err = refused(sign(), now=datetime.now(UTC) - timedelta(minutes=6))
    assert err.message.startswith("Signature not yet current: ")


def test_date_within_skew_passes() -> None:
    assert verify(sign(), now=datetime.now(UTC) + timedelta(minutes=4)) == CREDS


def test_wrong_service_fails() -> None:
    err = refused(sign(service="lambda"))
    assert err.message == "Credential should be scoped to correct service: 'execute-api'. "


def test_wrong_region_fails() -> None:
    err = refused(sign(region="eu-west-1"))
    assert err.message == "Credential should be scoped to a valid region, not 'eu-west-1'. "


def _rescope(signed: Signed, old: str, new: str) -> Signed:
    authorization = next(v for k, v in signed.headers if k.lower() == "authorization")
    return set_header(signed, "Authorization", authorization.replace(old, new, 1))


def test_wrong_terminator_fails() -> None:
    err = refused(_rescope(sign(), "/aws4_request", "/aws5_request"))
    assert err.error_type == "InvalidSignatureException"
    assert err.message.startswith("Credential should be scoped with a valid terminator: 'aws4_request'")


def test_scope_date_must_be_the_request_date() -> None:
    signed = sign()
    stamp = next(v for k, v in signed.headers if k.lower() == "x-amz-date")
    err = refused(_rescope(signed, f"/{stamp[:8]}/", "/19990101/"))
    assert err.error_type == "InvalidSignatureException"
    assert err.message.startswith("Date in Credential scope does not match YYYYMMDD")


def test_missing_session_token_fails() -> None:
    err = refused(set_header(sign(), "X-Amz-Security-Token", None))
    assert (err.error_type, err.message) == (
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )


def test_other_session_token_fails() -> None:
    err = refused(sign(token="some-other-token"))
    assert err.message == "The security token included in the request is invalid."


def test_unknown_access_key_fails() -> None:
    err = refused(sign(), resolver=resolver_for())
    assert err.error_type == "UnrecognizedClientException"
    assert err.message == "The security token included in the request is invalid."


def test_expired_credentials_fail() -> None:
    expired = replace(CREDS, expiration=datetime.now(UTC) - timedelta(seconds=1))
    err = refused(sign(), resolver=resolver_for(expired))
    assert (err.error_type, err.response_type) == ("ExpiredTokenException", "EXPIRED_TOKEN")
    assert err.message == "The security token included in the request is expired"


def test_content_sha256_header_must_match_the_body() -> None:
    signed = sign(headers={"X-Amz-Content-SHA256": "0" * 64})
    err = refused(signed)
    assert "x-amz-content-sha256" in err.message
    unsigned = sign(headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
    assert "UNSIGNED-PAYLOAD" in refused(unsigned).message


def test_host_must_be_signed() -> None:
    signed = sign()
    auth = next(v for k, v in signed.headers if k == "Authorization")
    scheme_and_credential, signed_headers, signature = auth.split(", ")
    names = [h for h in signed_headers.removeprefix("SignedHeaders=").split(";") if h != "host"]
    tampered = set_header(
        signed, "Authorization", f"{scheme_and_credential}, SignedHeaders={';'.join(names)}, {signature}"
    )
    assert "'Host'" in refused(tampered).message


def test_missing_date_fails() -> None:
    err = refused(set_header(sign(), "X-Amz-Date", None))
    assert err.error_type == "IncompleteSignatureException"
    assert "'X-Amz-Date' or a 'Date' header" in err.message

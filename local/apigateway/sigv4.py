"""Verify AWS Signature Version 4 on requests to `AWS_IAM` methods.

Why: iam mode authenticates callers by the SigV4 signature they make with identity-pool
credentials. API Gateway recomputes the signature from the request and the caller's secret; we do
the same with botocore's own signer (`SigV4Auth`), restricted to exactly the headers the caller
listed in `SignedHeaders`, and compare in constant time.

Contract: :func:`verify` returns the caller's :class:`IssuedCredentials` or raises
:class:`SigV4Error` carrying the status, gateway-response type, `x-amzn-ErrorType` and message
API Gateway answers with (403 for all of them), per
https://repost.aws/knowledge-center/api-gateway-troubleshoot-403-forbidden and
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-troubleshooting.html:

* no `Authorization` header: `Missing Authentication Token` (MISSING_AUTHENTICATION_TOKEN);
* a header that is not a complete SigV4 header: IncompleteSignatureException;
* scope (service `execute-api`, the API's region, terminator, date) or a date outside AWS's
  5-minute window: InvalidSignatureException (`Signature expired: ...`);
* unknown access key or a session token other than the one issued with it:
  `The security token included in the request is invalid.`;
* recomputed signature differs: `The request signature we calculated does not match ...`;
* credentials past their expiration: `The security token included in the request is expired`.

Presigned (query-string) SigV4 is not supported: API Gateway callers in this product sign headers.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

from botocore.auth import SIGV4_TIMESTAMP, UNSIGNED_PAYLOAD, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

__all__ = [
    "MAX_SKEW",
    "SERVICE",
    "CredentialsResolver",
    "IssuedCredentials",
    "SigV4Error",
    "default_resolver",
    "verify",
]

SERVICE = "execute-api"
ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW = timedelta(minutes=5)  # AWS rejects request dates more than 5 minutes off its clock
_INVALID_TOKEN = "The security token included in the request is invalid."  # noqa: S105 (a message)
_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)


class IssuedCredentials(Protocol):
    """Temporary credentials the emulator's identity pool issued (`local.cognito_identity.credentials`)."""

    @property
    def access_key_id(self) -> str: ...
    @property
    def secret_key(self) -> str: ...
    @property
    def session_token(self) -> str | None: ...
    @property
    def expiration(self) -> datetime: ...
    @property
    def account_id(self) -> str: ...
    @property
    def region(self) -> str: ...
    @property
    def identity_pool_id(self) -> str | None: ...
    @property
    def identity_id(self) -> str | None: ...
    @property
    def role_arn(self) -> str: ...
    @property
    def provider(self) -> str | None: ...
    @property
    def authentication_provider(self) -> str | None: ...
    @property
    def authentication_type(self) -> str: ...  # "authenticated" or "unauthenticated" (guest)
    @property
    def issued_at(self) -> datetime | None: ...  # aws:TokenIssueTime


class CredentialsResolver(Protocol):
    def __call__(self, access_key_id: str, /) -> IssuedCredentials | None: ...


def default_resolver(access_key_id: str) -> IssuedCredentials | None:
    """Look the key up in the emulator's credentials registry (imported lazily: it lives in
    `local/cognito_identity/`, built separately, and only exists in the process that runs the
    emulator)."""
    module = importlib.import_module("local.cognito_identity.credentials")
    lookup: Callable[[str], IssuedCredentials | None] = module.lookup_credentials
    return lookup(access_key_id)


class SigV4Error(Exception):
    """Why a request's signature was refused, in API Gateway's terms."""

    def __init__(self, response_type: str, error_type: str, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.response_type = response_type
        self.error_type = error_type
        self.message = message
        self.status = status


def _missing() -> SigV4Error:
    return SigV4Error(
        "MISSING_AUTHENTICATION_TOKEN", "MissingAuthenticationTokenException", "Missing Authentication Token"
    )


def _incomplete(message: str) -> SigV4Error:
    return SigV4Error("INVALID_SIGNATURE", "IncompleteSignatureException", message)


def _invalid(message: str) -> SigV4Error:
    return SigV4Error("INVALID_SIGNATURE", "InvalidSignatureException", message)


def _unrecognized() -> SigV4Error:
    return SigV4Error("ACCESS_DENIED", "UnrecognizedClientException", _INVALID_TOKEN)


@dataclass(frozen=True)
class _AuthHeader:
    access_key_id: str
    scope_date: str
    region: str
    service: str
    terminator: str
    signed_headers: tuple[str, ...]
    signature: str


def _parse_authorization(value: str) -> _AuthHeader:
    scheme, _, rest = value.strip().partition(" ")
    params: dict[str, str] = {}
    for item in rest.split(","):
        key, eq, val = item.strip().partition("=")
        if eq:
            params[key.strip()] = val.strip()
    missing = [p for p in ("Credential", "Signature", "SignedHeaders") if p not in params]
    if scheme != ALGORITHM or missing:
        required = missing or ["Credential", "Signature", "SignedHeaders"]
        raise _incomplete(" ".join(f"Authorization header requires '{p}' parameter." for p in required))
    credential = params["Credential"].split("/")
    if len(credential) != 5 or not all(credential):
        raise _incomplete(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term,"
            f" got '{len(credential)}' elements."
        )
    signed = tuple(h.strip().lower() for h in params["SignedHeaders"].split(";") if h.strip())
    return _AuthHeader(
        access_key_id=credential[0],
        scope_date=credential[1],
        region=credential[2],
        service=credential[3],
        terminator=credential[4],
        signed_headers=signed,
        signature=params["Signature"],
    )


def _header(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    found = [v for k, v in headers if k.lower() == name]
    return ",".join(found) if found else None


def _request_time(headers: list[tuple[str, str]]) -> datetime:
    amz_date = _header(headers, "x-amz-date")
    if amz_date is not None:
        try:
            return datetime.strptime(amz_date, SIGV4_TIMESTAMP).replace(tzinfo=UTC)
        except ValueError:
            raise _incomplete(
                f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See http://en.wikipedia.org/wiki/ISO_8601"
            ) from None
    date = _header(headers, "date")
    if date is not None:
        try:
            parsed = parsedate_to_datetime(date)
        except (TypeError, ValueError):
            parsed = None
        if parsed is not None:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise _incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")


def _check_scope(auth: _AuthHeader, stamp: str, region: str) -> None:
    if auth.scope_date != stamp[:8]:
        raise _invalid(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{auth.scope_date}' != '{stamp[:8]}', from '{stamp}'."
        )
    if auth.region != region:
        raise _invalid(f"Credential should be scoped to a valid region, not '{auth.region}'. ")
    if auth.service != SERVICE:
        raise _invalid(f"Credential should be scoped to correct service: '{SERVICE}'. ")
    if auth.terminator != "aws4_request":
        raise _invalid(
            f"Credential should be scoped with a valid terminator: 'aws4_request', not '{auth.terminator}'. "
        )
    if "host" not in auth.signed_headers:
        raise _invalid("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")


def _check_skew(when: datetime, now: datetime) -> None:
    fmt = SIGV4_TIMESTAMP
    if when < now - MAX_SKEW:
        raise _invalid(
            f"Signature expired: {when.strftime(fmt)} is now earlier than {(now - MAX_SKEW).strftime(fmt)} "
            f"({now.strftime(fmt)} - 5 min.)"
        )
    if when > now + MAX_SKEW:
        raise _invalid(
            f"Signature not yet current: {when.strftime(fmt)} is still later than "
            f"{(now + MAX_SKEW).strftime(fmt)} ({now.strftime(fmt)} + 5 min.)"
        )


class _ExactHeadersSigV4(SigV4Auth):
    """botocore's signer, told to sign exactly the headers the caller signed (botocore would
    otherwise pick every header but its blacklist, and add `host` from the URL)."""

    def __init__(
        self, credentials: Credentials, region: str, headers: list[tuple[str, str]], signed: tuple[str, ...]
    ) -> None:
        super().__init__(credentials, SERVICE, region)
        self._headers = headers
        self._signed = signed

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        selected = HTTPHeaders()
        present = {name.lower() for name, _ in self._headers}
        for name, value in self._headers:
            if name.lower() in self._signed:
                selected[name.lower()] = value
        for name in self._signed:
            if name not in present:
                selected[name] = ""  # a header signed but not sent cannot reproduce the signature
        return selected


def _canonical_forms(signer: _ExactHeadersSigV4, request: AWSRequest, query: str) -> list[str]:
    """Canonical requests to try: botocore's for the query exactly as sent and, when it differs,
    the RFC 3986 re-encoded form SigV4 specifies (clients built the query one way or the other;
    both cover every byte of it, so accepting either does not widen what a signature covers)."""
    forms = [signer.canonical_request(request)]
    if query:
        pairs: Any = []
        for item in query.split("&"):
            key, _, val = item.partition("=")
            pairs.append((urllib.parse.unquote(key), urllib.parse.unquote(val)))
        request.params = pairs
        spec = signer.canonical_request(request)
        request.params = {}
        if spec != forms[0]:
            forms.append(spec)
    return forms


def verify(
    *,
    method: str,
    raw_path: str,
    query: str,
    headers: list[tuple[str, str]],
    body: bytes,
    region: str,
    resolver: CredentialsResolver,
    now: datetime,
) -> IssuedCredentials:
    """Authenticate one request; see the module docstring for the refusals.

    ``raw_path`` and ``query`` are as received on the wire (still percent-encoded), ``headers``
    every header line in order, ``now`` an aware UTC datetime (injectable for tests).
    """
    authorization = _header(headers, "authorization")
    if authorization is None or not authorization.strip():
        raise _missing()
    auth = _parse_authorization(authorization)
    when = _request_time(headers)
    stamp = when.astimezone(UTC).strftime(SIGV4_TIMESTAMP)
    _check_scope(auth, stamp, region)
    _check_skew(when, now)

    creds = resolver(auth.access_key_id)
    if creds is None:
        raise _unrecognized()
    if creds.session_token:
        sent = _header(headers, "x-amz-security-token") or ""
        if not hmac.compare_digest(sent.encode(), creds.session_token.encode()):
            raise _unrecognized()

    content_sha = _header(headers, "x-amz-content-sha256")
    if content_sha is not None:
        if content_sha == UNSIGNED_PAYLOAD:
            raise _invalid("UNSIGNED-PAYLOAD is not supported: the body must be covered by the signature.")
        if not hmac.compare_digest(content_sha.lower().encode(), hashlib.sha256(body).hexdigest().encode()):
            raise _invalid("The provided 'x-amz-content-sha256' header does not match what was computed.")

    host = _header(headers, "host") or "localhost"
    request = AWSRequest(
        method=method.upper(), url=f"http://{host}{raw_path}" + (f"?{query}" if query else "")
    )
    for name, value in headers:
        request.headers[name] = value
    request.data = body
    request.context["timestamp"] = stamp
    signer = _ExactHeadersSigV4(
        Credentials(creds.access_key_id, creds.secret_key, creds.session_token),
        region,
        headers,
        auth.signed_headers,
    )

    expected_first = ""
    for canonical in _canonical_forms(signer, request, query):
        string_to_sign = signer.string_to_sign(request, canonical)
        expected = signer.signature(string_to_sign, request)
        if hmac.compare_digest(expected.encode(), auth.signature.encode()):
            break
        expected_first = expected_first or (
            f"{_MISMATCH}\n\nThe Canonical String for this request should have been\n'{canonical}'\n\n"
            f"The String-to-Sign should have been\n'{string_to_sign}'\n"
        )
    else:
        raise _invalid(expected_first)

    if now >= creds.expiration:
        raise SigV4Error(
            "EXPIRED_TOKEN", "ExpiredTokenException", "The security token included in the request is expired"
        )
    return creds

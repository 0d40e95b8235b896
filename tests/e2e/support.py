"""Helpers for the end-to-end suite: only what a client of a real deployment has.

Everything here works from the stack description (`stack.json`), Cognito's public APIs and HTTP to
the API, so the portable tests run unchanged against a real deployment. Emulator-only helpers live in
the tests marked `local_only` (see conftest.py).
"""

from __future__ import annotations

import http.client
import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import boto3
import jwt
import requests
from botocore import UNSIGNED
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives.asymmetric import rsa

from local.client import HTTP_TIMEOUT_SECONDS, Session, find_route
from local.stack import ENV as LOCAL_ENV
from tests.stack_fixture import STACK_JSON_ENV

CognitoService = Literal["cognito-idp", "cognito-identity"]
#: `DELETE /news` aimed at an item nobody has (the handler's id format, a time long past): the method
#: ARN the policies match is the bare collection's, but an allowed call deletes nothing (404).
NEWS_DELETE = "/news?id=20000101T000000Z-00000000"
UNAUTHORIZED_BODY = {"message": "Unauthorized"}
MISSING_AUTH_TOKEN_BODY = {"message": "Missing Authentication Token"}


# --- the stack description ---------------------------------------------------------------------


def collection_env() -> str:
    """The environment the suite runs against, known at collection time: the FGA_STACK_JSON file's
    (a real deployment) or the local stack's."""
    path = os.environ.get(STACK_JSON_ENV)
    if path:
        return str(json.loads(Path(path).read_text())["environment"])
    return LOCAL_ENV


def user_pool_user(stack: dict[str, Any], *groups: str) -> dict[str, Any]:
    """The demo user-pool user whose groups are exactly `groups` (in any order; none = no group)."""
    wanted = sorted(groups)
    for user in stack["users"]:
        if not user["external"] and sorted(user["groups"]) == wanted:
            return dict(user)
    raise LookupError(f"stack.json has no user-pool user in exactly the groups {wanted}")


def external_user(stack: dict[str, Any]) -> dict[str, Any]:
    """The demo user who signs in at the external OIDC IdP (federated into the identity pool)."""
    for user in stack["users"]:
        if user["external"]:
            return dict(user)
    raise LookupError("stack.json has no external IdP user")


def route_path(stack: dict[str, Any], name: str) -> str:
    """The path of a configured route (below the stage), e.g. `cip-get` -> `/cip`."""
    return str(stack["routes"][name]["path"])


def public_client(stack: dict[str, Any], service: CognitoService) -> Any:
    """A boto3 client for Cognito's unauthenticated public APIs (SignUp, InitiateAuth, GetId, ...).

    Against AWS the requests are unsigned, as an app's are; the emulator wants any credentials.
    """
    if stack.get("emulator_url"):
        return boto3.client(
            service,
            region_name=stack["region"],
            endpoint_url=stack["emulator_url"],
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
    return boto3.client(service, region_name=stack["region"], config=Config(signature_version=UNSIGNED))


def user_pool_provider(stack: dict[str, Any]) -> str:
    """The identity pool's Logins key for the user pool (also the issuer without `https://`)."""
    return f"cognito-idp.{stack['region']}.amazonaws.com/{stack['user_pool_id']}"


class DataLossError(AssertionError):
    """A test against a real deployment tried to change data the suite did not create."""


def refuse_collection_delete(stack: dict[str, Any], method: str, path: str) -> None:
    """The suite's rule against a deployment that is not the local emulator: it changes only what it
    created. A DELETE of a collection route without naming an item (`DELETE /news`) deletes what
    others wrote: refused before anything is sent; aim it at an item (`?id=`) or mark the test
    `local_only` (the emulator's data are disposable)."""
    if stack.get("emulator_url") or method.upper() != "DELETE" or "?" in path:
        return
    route = find_route(stack, method, path)
    if route is not None and "{" not in route["path"]:
        raise DataLossError(
            f"DELETE {path} against {stack.get('environment')} would delete data this suite did not "
            "create: aim it at an item it created (?id=) or mark the test local_only"
        )


@dataclass
class GuardedSession(Session):
    """A Session that refuses collection DELETEs against a real deployment (refuse_collection_delete)."""

    def request(self, method: str, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        refuse_collection_delete(self.stack, method, path)
        return super().request(method, path, body, **kwargs)


class Sessions:
    """One `Session` per demo user for the whole pytest session: each signs in (and obtains
    identity-pool credentials) once, on first use. Against a real deployment every session is a
    GuardedSession."""

    def __init__(self, stack: dict[str, Any]) -> None:
        self.stack = stack
        self._by_name: dict[str, Session] = {}

    def of(self, user: dict[str, Any]) -> Session:
        if user["name"] not in self._by_name:
            kind = Session if self.stack.get("emulator_url") else GuardedSession
            self._by_name[user["name"]] = kind(self.stack, user)
        return self._by_name[user["name"]]

    def in_groups(self, *groups: str) -> Session:
        return self.of(user_pool_user(self.stack, *groups))

    def external(self) -> Session:
        return self.of(external_user(self.stack))


# --- HTTP --------------------------------------------------------------------------------------


def call(
    stack: dict[str, Any],
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: Any = None,
) -> requests.Response:
    """A plain HTTP request to the API with exactly the given headers (no credentials added)."""
    refuse_collection_delete(stack, method, path)
    data = None if body is None else json.dumps(body)
    all_headers = {"Content-Type": "application/json"} if data is not None else {}
    all_headers.update(headers or {})
    return requests.request(
        method, f"{stack['api_url']}{path}", data=data, headers=all_headers, timeout=HTTP_TIMEOUT_SECONDS
    )


def raw_call(stack: dict[str, Any], method: str, raw_path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """Send `raw_path` byte for byte (requests/urllib3 would resolve `..` and re-encode).

    `raw_path` is below the stage, like every other path here. Returns (status, body).
    """
    api = urlsplit(stack["api_url"])
    connection_type = http.client.HTTPSConnection if api.scheme == "https" else http.client.HTTPConnection
    connection = connection_type(api.netloc, timeout=HTTP_TIMEOUT_SECONDS)
    try:
        connection.request(method, f"{api.path}{raw_path}", headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def with_token(
    stack: dict[str, Any], method: str, path: str, token: str, body: Any = None
) -> requests.Response:
    """`call` with `Authorization: <token>` (pass the `Bearer ` prefix in `token` when wanted)."""
    return call(stack, method, path, headers={"Authorization": token}, body=body)


def signed_call(
    stack: dict[str, Any],
    credentials: Credentials,
    method: str,
    path: str,
    *,
    body: Any = None,
    tamper_body: Any = None,
) -> requests.Response:
    """A SigV4-signed request (execute-api) with the given credentials, signed by botocore.

    `tamper_body`: sign `body` but send this body instead (the signature no longer matches).
    """
    refuse_collection_delete(stack, method, path)
    url = f"{stack['api_url']}{path}"
    data = None if body is None else json.dumps(body)
    headers = {"Content-Type": "application/json"} if data is not None else {}
    signed = AWSRequest(method=method, url=url, data=data, headers=headers)
    SigV4Auth(credentials, "execute-api", stack["region"]).add_auth(signed)
    sent = data if tamper_body is None else json.dumps(tamper_body)
    return requests.request(
        method, url, data=sent, headers=dict(signed.headers.items()), timeout=HTTP_TIMEOUT_SECONDS
    )


def error_type(response: requests.Response) -> str:
    """API Gateway's `x-amzn-ErrorType` header without the `:http://...` suffix AWS may add."""
    return response.headers.get("x-amzn-ErrorType", "").split(":", 1)[0]


# --- tokens ------------------------------------------------------------------------------------


def claims_of(token: str) -> dict[str, Any]:
    """The payload of a JWT, unverified: tests read what the server signed, they do not trust it."""
    payload: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return payload


def forge(token: str, **changes: Any) -> str:
    """`token`'s claims (with `changes`) signed by a key the pool never published, same `kid`.

    The header keeps the real `kid`, so a verifier finds the pool's key and must reject the signature
    (not merely fail to find a key). A fresh `jti` keeps every forged token distinct, so an
    authorizer result cached for one can never answer for another.
    """
    header = jwt.get_unverified_header(token)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    claims = {**claims_of(token), "jti": str(uuid.uuid4()), **changes}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": header["kid"]})


def unsigned(token: str) -> str:
    """`token`'s claims with `alg: none` and no signature (must never be accepted)."""
    claims = {**claims_of(token), "jti": str(uuid.uuid4())}
    return jwt.encode(claims, "", algorithm="none")  # PyJWT: the "none" algorithm takes an empty key


def expired_claims(token: str) -> dict[str, Any]:
    """`token`'s claims moved two hours into the past (expired one hour ago), with a fresh `jti`."""
    now = int(time.time())
    claims = claims_of(token)
    return {
        **claims,
        "iat": now - 7200,
        "auth_time": now - 7200,
        "exp": now - 3600,
        "jti": str(uuid.uuid4()),
    }


# --- identity pool -----------------------------------------------------------------------------


def identity_id(session: Session) -> str:
    """The caller's `cognitoIdentityId` (GetId with the session's logins: the public API)."""
    result = public_client(session.stack, "cognito-identity").get_id(
        IdentityPoolId=session.stack["identity_pool_id"], Logins=session.logins()
    )
    return str(result["IdentityId"])


def identity_pool_error(stack: dict[str, Any], logins: dict[str, str]) -> str:
    """The error code the identity pool answers GetId (then GetCredentialsForIdentity) with.

    Returns "" when both calls succeed, so a test asserting an error code fails with a clear diff.
    """
    identity = public_client(stack, "cognito-identity")
    try:
        found = identity.get_id(IdentityPoolId=stack["identity_pool_id"], Logins=logins)
        identity.get_credentials_for_identity(IdentityId=found["IdentityId"], Logins=logins)
    except ClientError as exc:
        return str(exc.response["Error"]["Code"])
    return ""


def credentials_for(
    stack: dict[str, Any], logins: dict[str, str], custom_role_arn: str | None = None
) -> Credentials:
    """GetId + GetCredentialsForIdentity, optionally asking for a role (CustomRoleArn).

    Raises botocore's ClientError when the identity pool refuses.
    """
    identity = public_client(stack, "cognito-identity")
    found = identity.get_id(IdentityPoolId=stack["identity_pool_id"], Logins=logins)
    extra = {"CustomRoleArn": custom_role_arn} if custom_role_arn else {}
    creds = identity.get_credentials_for_identity(IdentityId=found["IdentityId"], Logins=logins, **extra)[
        "Credentials"
    ]
    return Credentials(creds["AccessKeyId"], creds["SecretKey"], creds["SessionToken"])

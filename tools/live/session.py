"""A caller of the deployed API: sign in, obtain identity-pool credentials, call a route in its mode.

It uses only what a real client has: the deployment's description (the stack dict: `.local/stack.json`
for the local stack, the `verification` output of a real environment, see `tools.live.target`),
Cognito's APIs, an external IdP's token endpoint and HTTP to the API. With `emulator_url` in the
description every AWS call goes to the emulator; without it, to AWS.

How a session signs in is pluggable (`sign_in`): by default USER_PASSWORD_AUTH through the web
client (the local demo users); `make verify`'s ephemeral users sign in with AdminInitiateAuth through
the verification client (`tools.live.principals`). OAuth-scoped access tokens come from the hosted
UI's authorization-code flow, which needs a browser: a session gets them only through a
`scoped_tokens` hook (the local emulator drives its hosted UI headlessly, `local.client`); without
one it raises NotVerifiable.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
import requests
from botocore import UNSIGNED
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError as AwsClientError

# boto3-stubs types client() per literal service name; these helpers take the name as data.
_boto3_client: Callable[..., Any] = boto3.client

HTTP_TIMEOUT_SECONDS = 30
#: Retries of the AWS SDK for the admin calls (Cognito's admin APIs have low request-rate quotas).
ADMIN_RETRIES = Config(retries={"mode": "standard", "max_attempts": 8})
UNSIGNED_NOTE = "no credentials: the identity pool refused them; sent unsigned"

Stack = dict[str, Any]
SignIn = Callable[["Session"], dict[str, str]]
ScopedTokens = Callable[["Session", tuple[str, ...]], str]


class ClientError(RuntimeError):
    """Signing in or obtaining credentials failed; the message says which step and why."""


class NotVerifiable(Exception):
    """This call cannot be made from here (e.g. it needs a browser); the message says why."""


def find_route(stack: Stack, method: str, path: str) -> dict[str, Any] | None:
    """The configured route a request would hit (ANY matches every verb; {x} one segment, {x+} the rest)."""
    for name, route in stack.get("routes", {}).items():
        if route["method"] not in ("ANY", method.upper()):
            continue
        pattern = re.sub(r"\\\{[^/]+?\\\+\\\}", ".+", re.escape(route["path"]))
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", pattern)
        if re.fullmatch(pattern, path.split("?", 1)[0]):
            return {"name": name, **route}
    return None


def aws_client(stack: Stack, service: str, *, signed: bool) -> Any:
    """A boto3 client at the emulator (fixed local credentials) or at AWS: `signed` uses the caller's
    own credentials (admin APIs, the records table), unsigned is what an app sends to Cognito's
    public APIs (InitiateAuth, GetId, GetCredentialsForIdentity, AssociateSoftwareToken, ...)."""
    if stack.get("emulator_url"):
        return _boto3_client(
            service,
            region_name=stack["region"],
            endpoint_url=stack["emulator_url"],
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - the emulator's fixed, non-secret credentials
            config=ADMIN_RETRIES,
        )
    config = ADMIN_RETRIES if signed else Config(signature_version=UNSIGNED)
    return _boto3_client(service, region_name=stack["region"], config=config)


def password_sign_in(session: Session) -> dict[str, str]:
    """USER_PASSWORD_AUTH through the web client (the local demo users; the client must allow it)."""
    result = aws_client(session.stack, "cognito-idp", signed=False).initiate_auth(
        ClientId=session.stack["user_pool_client_id"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": session.user["username"], "PASSWORD": session.user["password"]},
    )["AuthenticationResult"]
    return {"id": result["IdToken"], "access": result["AccessToken"]}


@dataclass
class Session:
    """One signed-in caller; tokens and credentials are fetched once and reused.

    `user`: name, username, password, groups, external (the shape of stack.json's users).
    `on_identity` is told the identity-pool identity id as soon as GetId returns it (what a caller
    that must remove the identity later records).
    """

    stack: Stack
    user: dict[str, Any]
    sign_in: SignIn = password_sign_in
    scoped_tokens: ScopedTokens | None = None
    on_identity: Callable[[str], None] | None = None
    identity_id: str | None = None
    _tokens: dict[str, str] = field(default_factory=dict)
    _scoped: dict[tuple[str, ...], str] = field(default_factory=dict)
    _credentials: Credentials | None = None

    @property
    def external(self) -> bool:
        return bool(self.user.get("external"))

    def tokens(self) -> dict[str, str]:
        """ID and access token of a user-pool user."""
        if self.external:
            raise ClientError(f"{self.user['name']} signs in at the external IdP and has no user-pool tokens")
        if not self._tokens:
            self._tokens = self.sign_in(self)
        return self._tokens

    def scoped_access_token(self, scopes: tuple[str, ...]) -> str:
        """An access token carrying OAuth scopes, from the hosted UI's authorization-code flow."""
        if scopes not in self._scoped:
            if self.scoped_tokens is None:
                raise NotVerifiable(
                    "an access token with OAuth scopes comes from the hosted UI's authorization-code "
                    "flow, which needs a browser sign-in"
                )
            self._scoped[scopes] = self.scoped_tokens(self, scopes)
        return self._scoped[scopes]

    def external_id_token(self) -> str:
        """An ID token of the external IdP (its token endpoint's password grant: the local IdP)."""
        idp = self.stack["external_idp"]
        response = requests.post(
            idp["token_endpoint"],
            data={
                "grant_type": "password",
                "client_id": idp["client_id"],
                "username": self.user["username"],
                "password": self.user["password"],
            },
            timeout=HTTP_TIMEOUT_SECONDS,
        )
        if response.status_code != 200:
            raise ClientError(f"external IdP refused {self.user['name']}: {response.text}")
        return str(response.json()["id_token"])

    def logins(self) -> dict[str, str]:
        if self.external:
            return {self.stack["external_idp"]["provider_name"]: self.external_id_token()}
        provider = f"cognito-idp.{self.stack['region']}.amazonaws.com/{self.stack['user_pool_id']}"
        return {provider: self.tokens()["id"]}

    def aws_credentials(self) -> Credentials:
        """Temporary credentials of the IAM role the identity pool maps this user to."""
        if self._credentials is None:
            identity = aws_client(self.stack, "cognito-identity", signed=False)
            logins = self.logins()
            identity_id = identity.get_id(IdentityPoolId=self.stack["identity_pool_id"], Logins=logins)[
                "IdentityId"
            ]
            if identity_id != self.identity_id:
                self.identity_id = identity_id
                if self.on_identity is not None:
                    self.on_identity(identity_id)
            creds = identity.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)[
                "Credentials"
            ]
            self._credentials = Credentials(creds["AccessKeyId"], creds["SecretKey"], creds["SessionToken"])
        return self._credentials

    def auth_headers(self, auth: str, scopes: tuple[str, ...] = ()) -> dict[str, str]:
        """The Authorization header for a user_pool or lambda route ({} for external users)."""
        if self.external:
            return {}
        if auth == "user_pool":
            return {"Authorization": self.scoped_access_token(scopes) if scopes else self.tokens()["id"]}
        return {"Authorization": f"Bearer {self.tokens()['access']}"}

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        auth: str | None = None,
        scopes: tuple[str, ...] | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        """Call `method path` (path below the stage) the way the route's auth mode requires."""
        route = find_route(self.stack, method, path)
        mode = auth or (route["auth"] if route else "lambda")
        wanted_scopes = tuple(scopes if scopes is not None else (route or {}).get("scopes") or ())
        url = f"{self.stack['api_url']}{path}"
        data = None if body is None else json.dumps(body)
        all_headers = {"Content-Type": "application/json"} if data is not None else {}
        all_headers.update(headers or {})
        if mode == "iam":
            signed = AWSRequest(method=method.upper(), url=url, data=data, headers=all_headers)
            SigV4Auth(self.aws_credentials(), "execute-api", self.stack["region"]).add_auth(signed)
            all_headers = dict(signed.headers.items())
        else:
            all_headers.update(self.auth_headers(mode, wanted_scopes))
        return requests.request(
            method.upper(), url, data=data, headers=all_headers, timeout=HTTP_TIMEOUT_SECONDS
        )


def call(
    session: Session, method: str, path: str, body: Any, *, auth: str, scopes: tuple[str, ...]
) -> tuple[requests.Response, str]:
    """The API's answer to this call, and a note on how it was made.

    When the identity pool refuses a caller credentials (NotAuthorizedException: the Rules mapping
    gives a user in no group none), an iam call goes out unsigned, as a client left without
    credentials would send it; API Gateway answers 403 "Missing Authentication Token".
    """
    try:
        return session.request(method, path, body, auth=auth, scopes=scopes), ""
    except AwsClientError as exc:
        if auth != "iam" or exc.response.get("Error", {}).get("Code") != "NotAuthorizedException":
            raise
    headers = {"Content-Type": "application/json"} if body is not None else {}
    response = requests.request(
        method,
        f"{session.stack['api_url']}{path}",
        json=body,
        headers=headers,
        timeout=HTTP_TIMEOUT_SECONDS,
    )
    return response, UNSIGNED_NOTE

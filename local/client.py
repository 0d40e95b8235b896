"""A small client for the deployed API: sign in as a demo user (or act as a machine client) and call
a route in its auth mode.

It only uses what a real client has: the stack description (`.local/stack.json`), Cognito's public
APIs (InitiateAuth, the hosted UI's code flow, the token endpoint's client-credentials grant, the
identity pool's GetId/GetCredentialsForIdentity), an external IdP's token endpoint, and HTTP to the
API. Pointed at a real deployment's stack.json (no `emulator_url`), the same code talks to AWS.

A machine client's token is fetched once and reused until shortly before it expires
(`TokenSource`): Cognito bills every client-credentials token request, so a client that asks for a
token per call pays per call (docs/architecture.md, "Machine callers: cost").
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import requests
from botocore import UNSIGNED
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from local.cognito_idp.oauth import code_flow_tokens
from tools.config import REPO_ROOT

# boto3-stubs types client() per literal service name; these helpers take the name as data.
_boto3_client: Callable[..., Any] = boto3.client

STACK_FILE = REPO_ROOT / ".local" / "stack.json"
HTTP_TIMEOUT_SECONDS = 30
# A machine token is replaced this long before it expires, so no request leaves with a token that
# expires on the way (Cognito's shortest access-token lifetime is 5 minutes).
TOKEN_REFRESH_MARGIN_SECONDS = 60


class ClientError(RuntimeError):
    """Signing in or obtaining credentials failed; the message says which step and why."""


def load_stack(path: Path = STACK_FILE) -> dict[str, Any]:
    try:
        stack: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ClientError(f"{path} does not exist: start the stack with `make up` first") from exc
    return stack


def find_user(stack: dict[str, Any], name: str) -> dict[str, Any]:
    for user in stack["users"]:
        if name in (user["name"], user["username"]):
            return dict(user)
    known = ", ".join(u["name"] for u in stack["users"])
    raise ClientError(f"no demo user {name!r}; known users: {known}")


def find_machine(stack: dict[str, Any], name: str) -> dict[str, Any]:
    for machine in stack.get("machines") or []:
        if name in (machine["name"], machine["client_id"]):
            return dict(machine)
    known = ", ".join(m["name"] for m in stack.get("machines") or []) or "none"
    raise ClientError(f"no machine client {name!r}; known machine clients: {known}")


def find_route(stack: dict[str, Any], method: str, path: str) -> dict[str, Any] | None:
    """The configured route a request would hit (ANY matches every verb; {x} one segment, {x+} the rest)."""
    for name, route in stack["routes"].items():
        if route["method"] not in ("ANY", method.upper()):
            continue
        pattern = re.sub(r"\\\{[^/]+?\\\+\\\}", ".+", re.escape(route["path"]))
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", pattern)
        if re.fullmatch(pattern, path.split("?", 1)[0]):
            return {"name": name, **route}
    return None


def _client(stack: dict[str, Any], service: str) -> Any:
    """A boto3 client for Cognito's public (unauthenticated) APIs, at the emulator or at AWS."""
    if stack.get("emulator_url"):
        return _boto3_client(
            service,
            region_name=stack["region"],
            endpoint_url=stack["emulator_url"],
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - the emulator's fixed, non-secret credentials
        )
    return _boto3_client(service, region_name=stack["region"], config=Config(signature_version=UNSIGNED))


@dataclass
class Session:
    """One signed-in demo user; tokens and credentials are fetched once and reused."""

    stack: dict[str, Any]
    user: dict[str, Any]
    _tokens: dict[str, str] = field(default_factory=dict)
    _scoped: dict[tuple[str, ...], str] = field(default_factory=dict)
    _credentials: Credentials | None = None

    @property
    def external(self) -> bool:
        return bool(self.user.get("external"))

    def tokens(self) -> dict[str, str]:
        """ID and access token of a user-pool user (USER_PASSWORD_AUTH)."""
        if self.external:
            raise ClientError(f"{self.user['name']} signs in at the external IdP and has no user-pool tokens")
        if not self._tokens:
            result = _client(self.stack, "cognito-idp").initiate_auth(
                ClientId=self.stack["user_pool_client_id"],
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": self.user["username"], "PASSWORD": self.user["password"]},
            )["AuthenticationResult"]
            self._tokens = {"id": result["IdToken"], "access": result["AccessToken"]}
        return self._tokens

    def scoped_access_token(self, scopes: tuple[str, ...]) -> str:
        """An access token carrying OAuth scopes, from the hosted UI's authorization-code flow."""
        if scopes not in self._scoped:
            if not self.stack.get("emulator_url"):
                raise ClientError("scoped access tokens need a browser sign-in against a real hosted UI")
            response = code_flow_tokens(
                self.stack["emulator_url"],
                self.stack["user_pool_id"],
                self.stack["user_pool_client_id"],
                self.user["username"],
                self.user["password"],
                ["openid", *scopes],
                self.stack["oauth_redirect_uri"],
            )
            self._scoped[scopes] = str(response["access_token"])
        return self._scoped[scopes]

    def external_id_token(self) -> str:
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
            identity = _client(self.stack, "cognito-identity")
            logins = self.logins()
            identity_id = identity.get_id(IdentityPoolId=self.stack["identity_pool_id"], Logins=logins)[
                "IdentityId"
            ]
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


# --- machine callers ---------------------------------------------------------------------------------


class TokenSource:
    """Client-credentials access tokens of one machine client, fetched once and reused until they
    are within TOKEN_REFRESH_MARGIN_SECONDS of `expires_in`.

    `store` (optional) keeps the current token in a file (owner-only), so separate processes (each
    `python -m local call --client ...`) reuse it too. `fetched` counts the token requests made.
    """

    def __init__(
        self,
        token_endpoint: str,
        client_id: str,
        client_secret: str,
        scopes: tuple[str, ...] = (),
        *,
        store: Path | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._endpoint = token_endpoint
        self._client_id = client_id
        self._secret = client_secret
        self._scopes = scopes
        self._store = store
        self._clock = clock
        self._key = f"{token_endpoint} {client_id} {' '.join(scopes)}"
        self._token: str | None = None
        self._expires_at = 0.0
        self.fetched = 0
        self.reused = 0

    def token(self) -> str:
        """A token with more than the margin left: the current one, else a new one."""
        now = self._clock()
        if self._token is None:
            self._load()
        if self._token is not None and now < self._expires_at - TOKEN_REFRESH_MARGIN_SECONDS:
            self.reused += 1
            return self._token
        form = {"grant_type": "client_credentials"}
        if self._scopes:
            form["scope"] = " ".join(self._scopes)
        response = requests.post(
            self._endpoint, data=form, auth=(self._client_id, self._secret), timeout=HTTP_TIMEOUT_SECONDS
        )
        if response.status_code != 200:
            raise ClientError(f"the token endpoint refused client {self._client_id}: {response.text}")
        body = response.json()
        self.fetched += 1
        self._token, self._expires_at = str(body["access_token"]), now + float(body["expires_in"])
        self._save()
        return self._token

    @property
    def seconds_left(self) -> float:
        return max(0.0, self._expires_at - self._clock())

    def _load(self) -> None:
        if self._store is None:
            return
        try:
            entry = json.loads(self._store.read_text()).get(self._key)
        except (FileNotFoundError, ValueError, AttributeError):
            return
        if isinstance(entry, dict) and isinstance(entry.get("access_token"), str):
            self._token, self._expires_at = entry["access_token"], float(entry.get("expires_at", 0))

    def _save(self) -> None:
        if self._store is None:
            return
        try:
            entries = json.loads(self._store.read_text())
        except (FileNotFoundError, ValueError):
            entries = {}
        now = self._clock()
        kept = {
            k: v
            for k, v in (entries if isinstance(entries, dict) else {}).items()
            if isinstance(v, dict) and float(v.get("expires_at", 0)) > now
        }
        kept[self._key] = {"access_token": self._token, "expires_at": self._expires_at}
        self._store.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._store.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # owner-only: bearer tokens
        with os.fdopen(fd, "w") as out:
            json.dump(kept, out)
        tmp.replace(self._store)


@dataclass
class MachineSession:
    """One machine client calling the API with its access token (never a user, never credentials)."""

    stack: dict[str, Any]
    machine: dict[str, Any]
    tokens: TokenSource

    @classmethod
    def for_machine(
        cls, stack: dict[str, Any], machine: dict[str, Any], *, store: Path | None = None
    ) -> MachineSession:
        source = TokenSource(
            stack["token_endpoint"],
            machine["client_id"],
            machine["client_secret"],
            tuple(machine.get("scopes") or ()),
            store=store,
        )
        return cls(stack, machine, source)

    def auth_headers(self, auth: str) -> dict[str, str]:
        """The Authorization header for a user_pool or lambda route, as a service sends it."""
        if auth == "iam":
            raise ClientError(
                f"{self.machine['name']} cannot call an iam route: identity pools do not federate "
                "client-credentials tokens, so a machine client gets no identity-pool credentials (a "
                "service that must call it signs with an IAM role of its own)"
            )
        token = self.tokens.token()
        return {"Authorization": token if auth == "user_pool" else f"Bearer {token}"}

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        auth: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        """Call `method path` (path below the stage) with the machine's access token."""
        route = find_route(self.stack, method, path)
        mode = auth or (route["auth"] if route else "lambda")
        data = None if body is None else json.dumps(body)
        all_headers = {"Content-Type": "application/json"} if data is not None else {}
        all_headers.update(headers or {})
        all_headers.update(self.auth_headers(mode))
        return requests.request(
            method.upper(),
            f"{self.stack['api_url']}{path}",
            data=data,
            headers=all_headers,
            timeout=HTTP_TIMEOUT_SECONDS,
        )

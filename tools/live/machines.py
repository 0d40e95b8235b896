"""Machine callers: services calling the API with an access token from the client-credentials grant.

A machine caller holds a confidential app client of the user pool (its id and secret) and asks the
pool domain's token endpoint for a token, then calls user_pool and lambda routes with it. It has no
identity-pool credentials (identity pools federate sign-ins, not client-credentials tokens), so an
iam route is not applicable to it: `MachineSession` refuses to make that call.

Its token is fetched once and reused until shortly before it expires (`TokenSource`): Cognito bills
every client-credentials token request, so a client that asks for a token per call pays per call
(docs/architecture.md, "Machine callers: cost").

For a live run (tools/live/engine.py) `machine_client` finds a machine caller's credentials in the
deployment's description: stack.json's `machines` (the local stack: each declared client with its
secret, and one client the model does not declare), or, for a deployed environment, the
`machine_clients` of its `verification` output (client ids only) with each secret read by
DescribeUserPoolClient, as a deployed service reads its own. A client the model does not declare
exists in a deployed pool only if someone created it there; a run creates none, so those cells are
not verifiable there.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from tools.live.session import HTTP_TIMEOUT_SECONDS, ClientError, Stack, aws_client, find_route

__all__ = [
    "NOT_APPLICABLE_NOTE",
    "TOKEN_REFRESH_MARGIN_SECONDS",
    "MachineKind",
    "MachineSession",
    "NotApplicable",
    "TokenSource",
    "find_machine",
    "machine_client",
]

# A machine token is replaced this long before it expires, so no request leaves with a token that
# expires on the way (Cognito's shortest access-token lifetime is 5 minutes).
TOKEN_REFRESH_MARGIN_SECONDS = 60
NOT_APPLICABLE_NOTE = (
    "not applicable: identity pools do not federate client-credentials tokens, so a machine client "
    "gets no identity-pool credentials (a service that must call an iam route signs with an IAM role "
    "of its own)"
)
UNDECLARED_UNAVAILABLE = (
    "a client the access model does not declare exists in a deployed pool only if someone created it "
    "there; the run creates no app client"
)


class NotApplicable(ClientError):
    """The call cannot be made by a machine caller at all (an iam route)."""


@dataclass(frozen=True)
class MachineKind:
    """A kind of machine caller of the contract: its name there, whether the model declares it, and
    the scopes its tokens carry."""

    name: str
    declared: bool
    scopes: tuple[str, ...] = ()


def find_machine(stack: Stack, name: str) -> dict[str, Any]:
    for machine in stack.get("machines") or []:
        if name in (machine["name"], machine["client_id"]):
            return dict(machine)
    known = ", ".join(m["name"] for m in stack.get("machines") or []) or "none"
    raise ClientError(f"no machine client {name!r}; known machine clients: {known}")


def machine_client(stack: Stack, kind: MachineKind) -> dict[str, Any] | None:
    """The credentials of the machine caller `kind` in the deployment `stack`, or None when the run
    cannot have them (see the module docstring). The shape of stack.json's `machines` entries."""
    for machine in stack.get("machines") or []:
        if machine["name"] == kind.name and bool(machine.get("declared", True)) == kind.declared:
            return dict(machine)
    declared = stack.get("machine_clients") or {}
    if not kind.declared or kind.name not in declared:
        return None
    client = aws_client(stack, "cognito-idp", signed=True).describe_user_pool_client(
        UserPoolId=stack["user_pool_id"], ClientId=declared[kind.name]
    )["UserPoolClient"]
    return {
        "name": kind.name,
        "client_id": client["ClientId"],
        "client_secret": client["ClientSecret"],
        "scopes": list(client.get("AllowedOAuthScopes") or kind.scopes),
        "declared": True,
    }


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
            str(stack["token_endpoint"]),
            machine["client_id"],
            machine["client_secret"],
            tuple(machine.get("scopes") or ()),
            store=store,
        )
        return cls(stack, machine, source)

    def auth_headers(self, auth: str) -> dict[str, str]:
        """The Authorization header for a user_pool or lambda route, as a service sends it."""
        if auth == "iam":
            raise NotApplicable(
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

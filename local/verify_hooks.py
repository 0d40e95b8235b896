"""What only the emulator can do for a live run (tools/live/engine.py `Hooks`), plugged in locally.

- OAuth-scoped access tokens: the emulator's hosted UI driven headlessly (local.client), so the
  `/cup/email` cells are verified here, where AWS would need a browser.
- The external IdP's user: a user of the local OIDC issuer (the Google stand-in) created for the run
  through its administrator endpoints (local/oidc/idp.py), named like the run's user-pool users
  (`fgaverify-<run id>-external`), removed with them; its identity-pool identity is found again by
  signing it in (after a password reset) when a later run sweeps it up.
"""

from __future__ import annotations

from collections.abc import Callable

import requests

from local.client import emulator_scoped_tokens
from tools.live.engine import Hooks
from tools.live.principals import PREFIX, Kind, Principal, new_password, parse_name, principal_name
from tools.live.session import HTTP_TIMEOUT_SECONDS, ClientError, Session, Stack, aws_client


class LocalIdpPrincipals:
    """The external IdP's user of a run, at the local OIDC issuer (a PrincipalSource)."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.base = f"{stack['emulator_url']}/_local/oidc"

    def _check(self, response: requests.Response, what: str) -> None:
        if response.status_code >= 300:
            raise ClientError(f"local OIDC issuer: {what}: HTTP {response.status_code} {response.text[:200]}")

    def create(self, kind: Kind, run_id: str) -> Principal:
        return Principal(
            kind=kind.name,
            username=principal_name(run_id, kind.name, email=False),
            run_id=run_id,
            password=new_password(),
            groups=kind.groups,
            external=True,
        )

    def provision(self, principal: Principal) -> None:
        response = requests.post(
            f"{self.base}/users",
            json={
                "username": principal.username,
                "password": principal.password,
                "email": f"{principal.username}@verify.invalid",
                "given_name": "Verify",
                "family_name": principal.kind,
            },
            timeout=HTTP_TIMEOUT_SECONDS,
        )
        self._check(response, f"creating {principal.username}")
        principal.sub = str(response.json()["sub"])

    def session(self, principal: Principal, on_identity: Callable[[str], None]) -> Session:
        def identity_found(identity_id: str) -> None:
            principal.identity_id = identity_id
            on_identity(identity_id)

        return Session(self.stack, principal.describe(), on_identity=identity_found)

    def remove(self, principal: Principal) -> None:
        response = requests.delete(f"{self.base}/users/{principal.username}", timeout=HTTP_TIMEOUT_SECONDS)
        if response.status_code != 404:
            self._check(response, f"deleting {principal.username}")

    def find(self, run_id: str | None = None) -> list[Principal]:
        prefix = f"{PREFIX}-{run_id}-" if run_id else f"{PREFIX}-"
        response = requests.get(f"{self.base}/users", params={"prefix": prefix}, timeout=HTTP_TIMEOUT_SECONDS)
        self._check(response, "listing users")
        found = []
        for user in response.json()["users"]:
            parsed = parse_name(str(user["username"]))
            if parsed is not None:
                found.append(
                    Principal(
                        kind=parsed[1],
                        username=str(user["username"]),
                        run_id=parsed[0],
                        external=True,
                        sub=str(user["sub"]),
                    )
                )
        return found

    def recover(self, principal: Principal) -> None:
        """The leftover's identity: a new password (an administrator's reset), an ID token, GetId."""
        principal.password = new_password()
        response = requests.put(
            f"{self.base}/users/{principal.username}/password",
            json={"password": principal.password},
            timeout=HTTP_TIMEOUT_SECONDS,
        )
        self._check(response, f"resetting {principal.username}")
        session = Session(self.stack, principal.describe())
        identity = aws_client(self.stack, "cognito-identity", signed=False)
        principal.identity_id = str(
            identity.get_id(IdentityPoolId=self.stack["identity_pool_id"], Logins=session.logins())[
                "IdentityId"
            ]
        )


def local_hooks(stack: Stack) -> Hooks:
    """The emulator's hosted UI for scoped tokens and the local IdP for the external user."""
    return Hooks(scoped_tokens=emulator_scoped_tokens, external=LocalIdpPrincipals(stack))

"""Emulator-only helpers for the `local_only` end-to-end tests.

They reach into the embedded emulator (the pool's private signing key, admin APIs, tables), which a
real deployment does not offer; every test using them is marked `local_only`.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from local.cognito_idp.pools import find_user_pool, pool_signing_key


def pool_sign(pool_id: str, claims: dict[str, Any]) -> str:
    """Sign `claims` with the user pool's own private key (as Cognito would)."""
    pool = find_user_pool(pool_id)
    if pool is None:
        raise LookupError(f"the emulator has no user pool {pool_id}")
    return pool_signing_key(pool).sign(claims)


def password() -> str:
    """A random password that satisfies the pool's policy (12+ characters, every class)."""
    return f"{secrets.token_hex(8)}Aa7!"


def create_pool_user(
    running: Any,
    pool_id: str,
    *,
    groups: tuple[str, ...] = (),
    given_name: str = "Extra",
    family_name: str = "User",
) -> dict[str, Any]:
    """A confirmed user (unique email) in `pool_id`, in `groups`; returned in stack.json's user shape."""
    cognito = running.aws("cognito-idp")
    username = f"e2e-{uuid.uuid4().hex[:12]}@example.com"
    secret = password()
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": username},
            {"Name": "email_verified", "Value": "true"},
            {"Name": "given_name", "Value": given_name},
            {"Name": "family_name", "Value": family_name},
        ],
    )
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=secret, Permanent=True)
    for group in groups:
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=group)
    return {
        "name": username,
        "username": username,
        "password": secret,
        "groups": list(groups),
        "external": False,
    }


def create_public_client(running: Any, pool_id: str, name: str) -> str:
    """A public (no secret) app client allowing USER_PASSWORD_AUTH; returns its id."""
    cognito = running.aws("cognito-idp")
    client = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName=name,
        GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    return str(client["ClientId"])


def sign_in(running: Any, client_id: str, user: dict[str, Any]) -> dict[str, str]:
    """ID and access token of `user` through app client `client_id` (USER_PASSWORD_AUTH)."""
    result = running.aws("cognito-idp").initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user["username"], "PASSWORD": user["password"]},
    )["AuthenticationResult"]
    return {"id": str(result["IdToken"]), "access": str(result["AccessToken"])}


@dataclass(frozen=True)
class OtherPool:
    """A second user pool of the same account and region: the API and identity pool trust none of it."""

    pool_id: str
    client_id: str
    tokens: dict[str, str]

    @property
    def provider(self) -> str:
        region = self.pool_id.split("_", 1)[0]
        return f"cognito-idp.{region}.amazonaws.com/{self.pool_id}"


def create_other_pool(running: Any, groups: tuple[str, ...]) -> OtherPool:
    """A pool with the same group names as the real one and a signed-in member of `groups`.

    Same group names on purpose: a verifier that looked only at `cognito:groups` (and not at `iss`)
    would let this user in.
    """
    cognito = running.aws("cognito-idp")
    pool_id = cognito.create_user_pool(
        PoolName=f"e2e-other-{uuid.uuid4().hex[:8]}", UsernameAttributes=["email"]
    )["UserPool"]["Id"]
    for precedence, group in enumerate(groups, start=1):
        cognito.create_group(UserPoolId=pool_id, GroupName=group, Precedence=precedence)
    client_id = create_public_client(running, pool_id, "e2e-other-web")
    user = create_pool_user(running, pool_id, groups=groups)
    return OtherPool(pool_id, client_id, sign_in(running, client_id, user))


def record(running: Any, stack: dict[str, Any], pk: str, sk: str = "profile") -> dict[str, Any] | None:
    """The raw item of the records table (the emulator's DynamoDB), or None."""
    response = running.aws("dynamodb").get_item(
        TableName=stack["tables"]["records"],
        Key={"pk": {"S": pk}, "sk": {"S": sk}},
        ConsistentRead=True,
    )
    item: dict[str, Any] | None = response.get("Item")
    return item

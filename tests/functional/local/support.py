"""Builders for the emulator's functional tests: user pools, groups, roles, identity pools, tokens.

Every builder call creates resources under fresh unique names, so tests sharing one emulator (one
per module) never see each other's data.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

from local.cognito_idp.pools import find_user_pool, pool_signing_key

REGION = "us-east-1"
ACCOUNT = "123456789012"
PASSWORD = "Corr3ct-Horse!"


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def trust_policy(identity_pool_id: str, amr: str = "authenticated") -> str:
    """The trust policy Cognito's docs prescribe for identity-pool roles."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {"cognito-identity.amazonaws.com:aud": identity_pool_id},
                        "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": amr},
                    },
                }
            ],
        }
    )


@dataclass(frozen=True)
class UserPool:
    pool_id: str
    client_id: str

    @property
    def provider(self) -> str:
        return f"cognito-idp.{REGION}.amazonaws.com/{self.pool_id}"

    @property
    def mapping_key(self) -> str:
        return f"{self.provider}:{self.client_id}"


class World:
    """boto3 clients against one emulator plus builders for the resources the tests need."""

    def __init__(self, url: str) -> None:
        self.url = url
        options: dict[str, Any] = {
            "endpoint_url": url,
            "region_name": REGION,
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
            "config": Config(retries={"max_attempts": 1}),
        }
        self.idp = boto3.client("cognito-idp", **options)
        self.identity = boto3.client("cognito-identity", **options)
        self.iam = boto3.client("iam", **options)

    # --- user pools ---------------------------------------------------------------------------

    def user_pool(
        self,
        *,
        flows: tuple[str, ...] = ("ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"),
        **client: Any,
    ) -> UserPool:
        pool_id = self.idp.create_user_pool(PoolName=_unique("pool"))["UserPool"]["Id"]
        if flows:
            client.setdefault("ExplicitAuthFlows", list(flows))
        client_id = self.idp.create_user_pool_client(
            UserPoolId=pool_id, ClientName=_unique("client"), **client
        )["UserPoolClient"]["ClientId"]
        return UserPool(pool_id, client_id)

    def client(self, pool: UserPool, **config: Any) -> dict[str, Any]:
        created: dict[str, Any] = self.idp.create_user_pool_client(
            UserPoolId=pool.pool_id, ClientName=_unique("client"), **config
        )["UserPoolClient"]
        return created

    def group(
        self, pool: UserPool, name: str, *, role_arn: str | None = None, precedence: int | None = None
    ) -> None:
        kwargs: dict[str, Any] = {"UserPoolId": pool.pool_id, "GroupName": name}
        if role_arn:
            kwargs["RoleArn"] = role_arn
        if precedence is not None:
            kwargs["Precedence"] = precedence
        self.idp.create_group(**kwargs)

    def user(
        self, pool: UserPool, *, groups: tuple[str, ...] = (), attributes: dict[str, str] | None = None
    ) -> str:
        username = _unique("user")
        attrs = {"email": f"{username}@example.com", "email_verified": "true", **(attributes or {})}
        self.idp.admin_create_user(
            UserPoolId=pool.pool_id,
            Username=username,
            TemporaryPassword=PASSWORD,
            UserAttributes=[{"Name": k, "Value": v} for k, v in attrs.items()],
            MessageAction="SUPPRESS",
        )
        self.idp.admin_set_user_password(
            UserPoolId=pool.pool_id, Username=username, Password=PASSWORD, Permanent=True
        )
        for group in groups:
            self.idp.admin_add_user_to_group(UserPoolId=pool.pool_id, Username=username, GroupName=group)
        return username

    def sign_in(self, pool: UserPool, username: str, password: str = PASSWORD) -> dict[str, Any]:
        result: dict[str, Any] = self.idp.initiate_auth(
            ClientId=pool.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )["AuthenticationResult"]
        return result

    def id_token(self, pool: UserPool, *, groups: tuple[str, ...] = ()) -> str:
        return str(self.sign_in(pool, self.user(pool, groups=groups))["IdToken"])

    # --- IAM and identity pools -----------------------------------------------------------------

    def role(self, trust: str) -> str:
        arn: str = self.iam.create_role(RoleName=_unique("role"), AssumeRolePolicyDocument=trust)["Role"][
            "Arn"
        ]
        return arn

    def identity_pool(
        self,
        *,
        user_pools: tuple[UserPool, ...] = (),
        oidc_arns: tuple[str, ...] = (),
        allow_unauthenticated: bool = False,
    ) -> str:
        pool_id: str = self.identity.create_identity_pool(
            IdentityPoolName=_unique("ids").replace("-", "_"),
            AllowUnauthenticatedIdentities=allow_unauthenticated,
            CognitoIdentityProviders=[
                {"ProviderName": p.provider, "ClientId": p.client_id} for p in user_pools
            ],
            OpenIdConnectProviderARNs=list(oidc_arns),
        )["IdentityPoolId"]
        return pool_id

    def oidc_provider(self, issuer: str, client_ids: list[str]) -> str:
        arn: str = self.iam.create_open_id_connect_provider(
            Url=issuer, ClientIDList=client_ids, ThumbprintList=["0" * 40]
        )["OpenIDConnectProviderArn"]
        return arn


def mint_pool_token(pool_id: str, claims: dict[str, Any]) -> str:
    """Sign arbitrary claims with the user pool's real key (to test checks other than the signature)."""
    pool = find_user_pool(pool_id)
    assert pool is not None
    return pool_signing_key(pool).sign(claims)


def id_token_claims(
    pool: UserPool, sub: str = "00000000-0000-0000-0000-000000000000", **overrides: Any
) -> dict[str, Any]:
    """A well-formed ID token claim set for `pool` (tests override one claim to break it)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": f"https://{pool.provider}",
        "aud": pool.client_id,
        "sub": sub,
        "token_use": "id",
        "iat": now,
        "exp": now + 600,
    }
    claims.update(overrides)
    return claims

"""The client-credentials grant, no looser than Cognito: what a machine client's token holds, every
refusal with the error Cognito answers, the app-client settings Cognito will not store, and the
token-request count (what Cognito bills M2M traffic by)."""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
import requests
from botocore.exceptions import ClientError

from local.cognito_idp.oauth import CodeFlowError, client_credentials_token
from local.cognito_idp.token_requests import issued_tokens
from tests.functional.local.support import UserPool, World

# Exactly the claims of a Cognito M2M access token (Cognito Developer Guide, "Understanding the
# access token"; client-credentials tokens carry no user, so no username and no groups).
M2M_CLAIMS = {"sub", "token_use", "scope", "auth_time", "iss", "exp", "iat", "version", "jti", "client_id"}


@dataclass
class Machines:
    world: World
    pool: UserPool
    reader: dict[str, Any]  # may ask for orders/read
    writer: dict[str, Any]  # may ask for orders/write and orders/read

    def token(
        self, client: dict[str, Any], scopes: list[str] | tuple[str, ...] = (), **kw: Any
    ) -> dict[str, Any]:
        return client_credentials_token(
            self.world.url, self.pool.pool_id, client["ClientId"], client["ClientSecret"], scopes, **kw
        )

    def post(self, form: dict[str, str], auth: tuple[str, str] | None) -> requests.Response:
        url = f"{self.world.url}/_local/cognito/{self.pool.pool_id}/oauth2/token"
        return requests.post(url, data=form, auth=auth, timeout=5)


def _machine(world: World, pool: UserPool, scopes: list[str], **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "GenerateSecret": True,
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthFlows": ["client_credentials"],
        "AllowedOAuthScopes": scopes,
        "AccessTokenValidity": 30,
        "TokenValidityUnits": {"AccessToken": "minutes"},
    }
    config.update(overrides)
    return world.client(pool, **config)


@pytest.fixture(scope="module")
def machines(world: World) -> Machines:
    pool = world.user_pool(flows=())
    world.idp.create_user_pool_domain(UserPoolId=pool.pool_id, Domain=f"m{secrets.token_hex(6)}")
    world.idp.create_resource_server(
        UserPoolId=pool.pool_id,
        Identifier="orders",
        Name="orders",
        Scopes=[
            {"ScopeName": "read", "ScopeDescription": "r"},
            {"ScopeName": "write", "ScopeDescription": "w"},
        ],
    )
    reader = _machine(world, pool, ["orders/read"])
    writer = _machine(world, pool, ["orders/write", "orders/read"])
    return Machines(world, pool, reader, writer)


def _claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def test_a_machine_token_holds_exactly_cognitos_m2m_claims(machines: Machines) -> None:
    response = machines.token(machines.reader, ["orders/read"])
    assert response["token_type"] == "Bearer"
    assert response["expires_in"] == 30 * 60  # the client's AccessTokenValidity
    assert "refresh_token" not in response
    assert "id_token" not in response
    token = response["access_token"]
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256"
    jwks = requests.get(
        f"{machines.world.url}/{machines.pool.pool_id}/.well-known/jwks.json", timeout=5
    ).json()
    key = jwt.PyJWKSet.from_dict(jwks)[header["kid"]].key
    issuer = f"https://cognito-idp.us-east-1.amazonaws.com/{machines.pool.pool_id}"
    claims = jwt.decode(token, key, algorithms=["RS256"], issuer=issuer, options={"verify_aud": False})
    assert set(claims) == M2M_CLAIMS
    client_id = machines.reader["ClientId"]
    assert claims["sub"] == claims["client_id"] == client_id
    assert claims["token_use"] == "access"
    assert claims["scope"] == "orders/read"
    assert claims["version"] == 2
    assert claims["exp"] - claims["iat"] == 30 * 60
    assert claims["auth_time"] == claims["iat"]


def test_no_scope_asked_grants_every_scope_the_client_may_have(machines: Machines) -> None:
    granted = _claims(machines.token(machines.writer)["access_token"])["scope"].split()
    assert sorted(granted) == ["orders/read", "orders/write"]


def test_a_subset_is_granted_as_asked(machines: Machines) -> None:
    assert _claims(machines.token(machines.writer, ["orders/read"])["access_token"])["scope"] == "orders/read"


@pytest.mark.parametrize(
    "scopes",
    [["orders/write"], ["orders/read", "orders/write"], ["openid"], ["orders/delete"], ["email"]],
    ids=["another-clients-scope", "one-of-two", "oidc", "undeclared", "email"],
)
def test_a_scope_the_client_may_not_have_is_invalid_scope(machines: Machines, scopes: list[str]) -> None:
    with pytest.raises(CodeFlowError) as refused:
        machines.token(machines.reader, scopes)
    assert refused.value.error == "invalid_scope"


def test_a_wrong_secret_is_invalid_client_401_with_basic_and_400_in_the_body(machines: Machines) -> None:
    client_id = machines.reader["ClientId"]
    form = {"grant_type": "client_credentials", "scope": "orders/read"}
    basic = machines.post(form, (client_id, "not-the-secret"))
    assert (basic.status_code, basic.json()["error"]) == (401, "invalid_client")
    posted = machines.post({**form, "client_id": client_id, "client_secret": "not-the-secret"}, None)
    assert (posted.status_code, posted.json()["error"]) == (400, "invalid_client")
    missing = machines.post({**form, "client_id": client_id}, None)
    assert (missing.status_code, missing.json()["error"]) == (400, "invalid_client")
    unknown = machines.post(form, ("no-such-client", "x"))
    assert (unknown.status_code, unknown.json()["error"]) == (401, "invalid_client")


def test_the_secret_may_come_in_the_body(machines: Machines) -> None:
    client = machines.reader
    form = {
        "grant_type": "client_credentials",
        "client_id": client["ClientId"],
        "client_secret": client["ClientSecret"],
    }
    assert machines.post(form, None).status_code == 200


def test_a_public_client_is_unauthorized_client(machines: Machines) -> None:
    public = machines.world.client(
        machines.pool,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "orders/read"],
        CallbackURLs=["https://app.example.com/cb"],
    )
    response = machines.post({"grant_type": "client_credentials", "client_id": public["ClientId"]}, None)
    assert (response.status_code, response.json()["error"]) == (400, "unauthorized_client")


def test_a_confidential_client_without_the_grant_is_unauthorized_client(machines: Machines) -> None:
    code_only = machines.world.client(
        machines.pool,
        GenerateSecret=True,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "orders/read"],
        CallbackURLs=["https://app.example.com/cb"],
    )
    with pytest.raises(CodeFlowError) as refused:
        client_credentials_token(
            machines.world.url, machines.pool.pool_id, code_only["ClientId"], code_only["ClientSecret"]
        )
    assert refused.value.error == "unauthorized_client"


def test_the_token_endpoint_takes_only_a_form(machines: Machines) -> None:
    client = machines.reader
    url = f"{machines.world.url}/_local/cognito/{machines.pool.pool_id}/oauth2/token"
    auth = base64.b64encode(f"{client['ClientId']}:{client['ClientSecret']}".encode()).decode()
    response = requests.post(
        url,
        data=json.dumps({"grant_type": "client_credentials"}),
        headers={"Content-Type": "application/json", "Authorization": f"Basic {auth}"},
        timeout=5,
    )
    assert response.json()["error"] == "invalid_request"


# --- app-client settings Cognito refuses ------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "code", "message"),
    [
        ({"GenerateSecret": False}, "InvalidOAuthFlowException", "does not have a client secret"),
        (
            {
                "AllowedOAuthFlows": ["client_credentials", "code"],
                "CallbackURLs": ["https://x.example.com/cb"],
            },
            "InvalidOAuthFlowException",
            "along with code flow or implicit flow",
        ),
        (
            {"AllowedOAuthScopes": ["orders/read", "openid"]},
            "InvalidOAuthFlowException",
            "openid is not supported",
        ),
        ({"AllowedOAuthScopes": ["orders/delete"]}, "ScopeDoesNotExistException", "orders/delete"),
    ],
    ids=["no-secret", "with-code-flow", "oidc-scope", "undeclared-scope"],
)
def test_a_client_cognito_refuses_is_refused(
    machines: Machines, overrides: dict[str, Any], code: str, message: str
) -> None:
    with pytest.raises(ClientError) as refused:
        _machine(machines.world, machines.pool, ["orders/read"], **overrides)
    assert refused.value.response["Error"]["Code"] == code
    assert message in refused.value.response["Error"]["Message"]


def test_an_update_cognito_refuses_is_refused_and_changes_nothing(machines: Machines) -> None:
    client = _machine(machines.world, machines.pool, ["orders/read"])
    idp, pool_id = machines.world.idp, machines.pool.pool_id
    with pytest.raises(ClientError) as refused:
        idp.update_user_pool_client(
            UserPoolId=pool_id,
            ClientId=client["ClientId"],
            AllowedOAuthFlowsUserPoolClient=True,
            AllowedOAuthFlows=["client_credentials"],
            AllowedOAuthScopes=["orders/nothing"],
        )
    assert refused.value.response["Error"]["Code"] == "ScopeDoesNotExistException"
    stored = idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=client["ClientId"])["UserPoolClient"]
    assert stored["AllowedOAuthScopes"] == ["orders/read"]


# --- the count of issued tokens -----------------------------------------------------------------------


def test_issued_tokens_are_counted_per_grant_and_client_and_refusals_are_not(world: World) -> None:
    pool = world.user_pool(flows=())
    world.idp.create_user_pool_domain(UserPoolId=pool.pool_id, Domain=f"c{secrets.token_hex(6)}")
    world.idp.create_resource_server(
        UserPoolId=pool.pool_id,
        Identifier="api",
        Name="api",
        Scopes=[{"ScopeName": "a", "ScopeDescription": "a"}],
    )
    client = _machine(world, pool, ["api/a"])
    assert issued_tokens(world.url, pool.pool_id) == {}
    for _ in range(3):
        client_credentials_token(world.url, pool.pool_id, client["ClientId"], client["ClientSecret"])
    with pytest.raises(CodeFlowError):
        client_credentials_token(world.url, pool.pool_id, client["ClientId"], "wrong")
    with pytest.raises(CodeFlowError):
        client_credentials_token(
            world.url, pool.pool_id, client["ClientId"], client["ClientSecret"], ["api/b"]
        )
    assert issued_tokens(world.url, pool.pool_id) == {"client_credentials": {client["ClientId"]: 3}}
    other = world.user_pool(flows=())
    assert issued_tokens(world.url, other.pool_id) == {}
    with pytest.raises(requests.HTTPError):
        issued_tokens(world.url, "us-east-1_nonexistent")

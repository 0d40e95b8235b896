"""User-pool patches: per-pool keys and JWKS, role claims, attributes, auth flows, resource servers."""

from __future__ import annotations

import base64
import hashlib
import hmac

import jwt
import pytest
import requests
from botocore.exceptions import ClientError

from tests.functional.local.support import PASSWORD, World

ROLE_A = "arn:aws:iam::123456789012:role/group-a"
ROLE_B = "arn:aws:iam::123456789012:role/group-b"


def _claims(token: str) -> dict[str, object]:
    return jwt.decode(token, options={"verify_signature": False})


def _jwks_client(url: str, pool_id: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(f"{url}/{pool_id}/.well-known/jwks.json", cache_keys=False)


def test_each_pool_signs_with_its_own_key(world: World) -> None:
    pool_a, pool_b = world.user_pool(), world.user_pool()
    token_a = world.id_token(pool_a)
    jwks_a, jwks_b = _jwks_client(world.url, pool_a.pool_id), _jwks_client(world.url, pool_b.pool_id)

    key_a = jwks_a.get_signing_key_from_jwt(token_a)
    verified = jwt.decode(token_a, key_a.key, algorithms=["RS256"], audience=pool_a.client_id)
    assert verified["iss"] == f"https://cognito-idp.us-east-1.amazonaws.com/{pool_a.pool_id}"

    kid_b = jwks_b.get_jwk_set().keys[0].key_id
    assert kid_b != key_a.key_id
    with pytest.raises(jwt.PyJWKClientError):
        jwks_b.get_signing_key_from_jwt(token_a)
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token_a, jwks_b.get_jwk_set().keys[0].key, algorithms=["RS256"], audience=pool_a.client_id)


def test_jwks_holds_only_public_members_and_unknown_pool_is_404(world: World) -> None:
    pool = world.user_pool()
    keys = requests.get(f"{world.url}/{pool.pool_id}/.well-known/jwks.json", timeout=5).json()["keys"]
    assert len(keys) == 1
    assert set(keys[0]) == {"alg", "e", "kid", "kty", "n", "use"}

    missing = requests.get(f"{world.url}/us-east-1_doesnotexist/.well-known/jwks.json", timeout=5)
    assert missing.status_code == 404


def test_openid_configuration_describes_the_pool(world: World) -> None:
    pool = world.user_pool()
    response = requests.get(f"{world.url}/{pool.pool_id}/.well-known/openid-configuration", timeout=5)

    assert response.status_code == 200
    document = response.json()
    assert document["issuer"] == f"https://cognito-idp.us-east-1.amazonaws.com/{pool.pool_id}"
    assert document["jwks_uri"] == f"{world.url}/{pool.pool_id}/.well-known/jwks.json"
    assert document["token_endpoint"] == f"{world.url}/_local/cognito/{pool.pool_id}/oauth2/token"
    assert requests.get(document["jwks_uri"], timeout=5).json()["keys"]


def test_id_token_carries_roles_and_preferred_role_by_precedence(world: World) -> None:
    pool = world.user_pool()
    world.group(pool, "low", role_arn=ROLE_A, precedence=1)
    world.group(pool, "high", role_arn=ROLE_B, precedence=7)
    world.group(pool, "plain", precedence=0)  # no role: not in cognito:roles, cannot be preferred
    tokens = world.sign_in(pool, world.user(pool, groups=("high", "plain", "low")))

    id_claims = _claims(tokens["IdToken"])
    assert id_claims["cognito:groups"] == ["plain", "low", "high"]
    assert id_claims["cognito:roles"] == [ROLE_A, ROLE_B]
    assert id_claims["cognito:preferred_role"] == ROLE_A

    access_claims = _claims(tokens["AccessToken"])
    assert access_claims["cognito:groups"] == ["plain", "low", "high"]
    assert "cognito:roles" not in access_claims
    assert access_claims["scope"] == "aws.cognito.signin.user.admin"


def test_tied_precedence_with_different_roles_has_no_preferred_role(world: World) -> None:
    pool = world.user_pool()
    world.group(pool, "one", role_arn=ROLE_A, precedence=3)
    world.group(pool, "two", role_arn=ROLE_B, precedence=3)
    claims = _claims(world.id_token(pool, groups=("one", "two")))

    assert sorted(claims["cognito:roles"]) == sorted([ROLE_A, ROLE_B])  # type: ignore[arg-type]
    assert "cognito:preferred_role" not in claims


def test_user_without_role_groups_has_no_role_claims(world: World) -> None:
    pool = world.user_pool()
    world.group(pool, "readers", precedence=2)
    claims = _claims(world.id_token(pool, groups=("readers",)))

    assert claims["cognito:groups"] == ["readers"]
    assert "cognito:roles" not in claims
    assert "cognito:preferred_role" not in claims


def test_id_token_has_all_readable_attributes_typed(world: World) -> None:
    pool = world.user_pool()
    username = world.user(pool, attributes={"given_name": "Ada", "family_name": "Lovelace"})
    claims = _claims(world.sign_in(pool, username)["IdToken"])

    assert claims["given_name"] == "Ada"
    assert claims["family_name"] == "Lovelace"
    assert claims["email_verified"] is True

    restricted = world.client(pool, ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"], ReadAttributes=["email"])
    token = world.idp.initiate_auth(
        ClientId=restricted["ClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]["IdToken"]
    restricted_claims = _claims(token)
    assert restricted_claims["email"] == f"{username}@example.com"
    assert "given_name" not in restricted_claims


def test_custom_attributes_reach_the_id_token_only_through_read_attributes(world: World) -> None:
    """Cognito: without ReadAttributes a client reads the standard attributes only; a custom
    attribute is in its ID token only when the client lists it (never looser than AWS)."""
    pool = world.user_pool()
    world.idp.add_custom_attributes(
        UserPoolId=pool.pool_id,
        CustomAttributes=[{"Name": "tier", "AttributeDataType": "String", "Mutable": True}],
    )
    username = world.user(pool, attributes={"given_name": "Ada", "custom:tier": "gold"})
    default_claims = _claims(world.sign_in(pool, username)["IdToken"])
    assert default_claims["given_name"] == "Ada"
    assert "custom:tier" not in default_claims

    listed = world.client(
        pool, ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"], ReadAttributes=["email", "custom:tier"]
    )
    token = world.idp.initiate_auth(
        ClientId=listed["ClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]["IdToken"]
    listed_claims = _claims(token)
    assert listed_claims["custom:tier"] == "gold"
    assert "given_name" not in listed_claims


def test_token_lifetime_follows_client_validity(world: World) -> None:
    pool = world.user_pool(
        IdTokenValidity=5,
        AccessTokenValidity=10,
        TokenValidityUnits={"IdToken": "minutes", "AccessToken": "minutes"},
    )
    tokens = world.sign_in(pool, world.user(pool))
    id_claims, access_claims = _claims(tokens["IdToken"]), _claims(tokens["AccessToken"])

    assert id_claims["exp"] - id_claims["iat"] == 300  # type: ignore[operator]
    assert access_claims["exp"] - access_claims["iat"] == 600  # type: ignore[operator]


def test_user_password_auth_only_when_the_client_allows_it(world: World) -> None:
    pool = world.user_pool(flows=("ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"))
    username = world.user(pool)

    with pytest.raises(ClientError) as excinfo:
        world.sign_in(pool, username)
    assert excinfo.value.response["Error"]["Code"] == "InvalidParameterException"
    assert "USER_PASSWORD_AUTH flow not enabled for this client" in excinfo.value.response["Error"]["Message"]


def test_srp_fails_closed_instead_of_accepting_any_password(world: World) -> None:
    pool = world.user_pool(flows=("ALLOW_USER_SRP_AUTH",))
    username = world.user(pool)
    with pytest.raises(ClientError) as excinfo:
        world.idp.initiate_auth(
            ClientId=pool.client_id,
            AuthFlow="USER_SRP_AUTH",
            AuthParameters={"USERNAME": username, "SRP_A": "abc123"},
        )
    assert excinfo.value.response["Error"]["Code"] == "InvalidParameterException"
    assert "USER_PASSWORD_AUTH" in excinfo.value.response["Error"]["Message"]


def test_client_without_explicit_flows_gets_cognito_defaults(world: World) -> None:
    pool = world.user_pool(flows=())
    with pytest.raises(ClientError) as excinfo:
        world.sign_in(pool, world.user(pool))
    assert excinfo.value.response["Error"]["Code"] == "InvalidParameterException"


def test_admin_password_auth_needs_its_flow(world: World) -> None:
    pool = world.user_pool()
    username = world.user(pool)
    with pytest.raises(ClientError) as excinfo:
        world.idp.admin_initiate_auth(
            UserPoolId=pool.pool_id,
            ClientId=pool.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
        )
    assert excinfo.value.response["Error"]["Code"] == "InvalidParameterException"

    allowed = world.client(pool, ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"])
    result = world.idp.admin_initiate_auth(
        UserPoolId=pool.pool_id,
        ClientId=allowed["ClientId"],
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )
    assert result["AuthenticationResult"]["IdToken"]


def test_confidential_client_needs_secret_hash(world: World) -> None:
    pool = world.user_pool()
    username = world.user(pool)
    client = world.client(pool, GenerateSecret=True, ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])
    params = {"USERNAME": username, "PASSWORD": PASSWORD}

    with pytest.raises(ClientError) as excinfo:
        world.idp.initiate_auth(
            ClientId=client["ClientId"], AuthFlow="USER_PASSWORD_AUTH", AuthParameters=params
        )
    assert excinfo.value.response["Error"]["Code"] == "NotAuthorizedException"

    digest = hmac.new(
        client["ClientSecret"].encode(), (username + client["ClientId"]).encode(), hashlib.sha256
    ).digest()
    params["SECRET_HASH"] = base64.b64encode(digest).decode()
    result = world.idp.initiate_auth(
        ClientId=client["ClientId"], AuthFlow="USER_PASSWORD_AUTH", AuthParameters=params
    )
    assert result["AuthenticationResult"]["AccessToken"]


def test_wrong_password_is_refused(world: World) -> None:
    pool = world.user_pool()
    with pytest.raises(ClientError) as excinfo:
        world.sign_in(pool, world.user(pool), password="not-the-password")
    assert excinfo.value.response["Error"]["Code"] == "NotAuthorizedException"


def test_resource_server_update_and_delete(world: World) -> None:
    pool = world.user_pool()
    world.idp.create_resource_server(
        UserPoolId=pool.pool_id,
        Identifier="api",
        Name="api",
        Scopes=[{"ScopeName": "read", "ScopeDescription": "r"}],
    )

    updated = world.idp.update_resource_server(
        UserPoolId=pool.pool_id,
        Identifier="api",
        Name="api v2",
        Scopes=[{"ScopeName": "write", "ScopeDescription": "w"}],
    )["ResourceServer"]
    assert updated["Name"] == "api v2"
    assert updated["Scopes"] == [{"ScopeName": "write", "ScopeDescription": "w"}]

    world.idp.delete_resource_server(UserPoolId=pool.pool_id, Identifier="api")
    assert world.idp.list_resource_servers(UserPoolId=pool.pool_id, MaxResults=10)["ResourceServers"] == []
    with pytest.raises(ClientError) as excinfo:
        world.idp.delete_resource_server(UserPoolId=pool.pool_id, Identifier="api")
    assert excinfo.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_sign_up_is_refused_when_only_admins_create_users(world: World) -> None:
    pool = world.user_pool()
    world.idp.update_user_pool(
        UserPoolId=pool.pool_id, AdminCreateUserConfig={"AllowAdminCreateUserOnly": True}
    )
    with pytest.raises(ClientError) as refused:
        world.idp.sign_up(ClientId=pool.client_id, Username="someone@example.com", Password=PASSWORD)
    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"
    assert world.idp.list_users(UserPoolId=pool.pool_id)["Users"] == []


def test_sign_up_works_when_self_sign_up_is_on(world: World) -> None:
    pool = world.user_pool()
    world.idp.sign_up(ClientId=pool.client_id, Username="self@example.com", Password=PASSWORD)
    assert [u["Username"] for u in world.idp.list_users(UserPoolId=pool.pool_id)["Users"]] != []

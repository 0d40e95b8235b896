"""Token revocation in the emulator's user pools (local/cognito_idp/revocation.py), over the real API:
RevokeToken, the sign-outs and AdminDisableUser refuse refresh tokens (and revoked access tokens)
afterwards with Cognito's documented answers; the tokens themselves still verify offline."""

from __future__ import annotations

import jwt
import pytest
from botocore.exceptions import ClientError

from local.cognito_idp.pools import find_user_pool
from tests.functional.local.support import PASSWORD, UserPool, World


def _refresh(world: World, pool: UserPool, refresh_token: str, client_id: str | None = None) -> str:
    result = world.idp.initiate_auth(
        ClientId=client_id or pool.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": refresh_token},
    )["AuthenticationResult"]
    return str(result["AccessToken"])


def _refused(call: object, code: str, message: str) -> None:
    assert callable(call)
    with pytest.raises(ClientError) as raised:
        call()
    error = raised.value.response["Error"]
    assert (error["Code"], error["Message"]) == (code, message)


@pytest.fixture
def pool(world: World) -> UserPool:
    return world.user_pool()


def test_revoke_token_refuses_the_refresh_token_and_its_familys_access_tokens(
    world: World, pool: UserPool
) -> None:
    username = world.user(pool)
    signed_in = world.sign_in(pool, username)
    other_session = world.sign_in(pool, username)
    family = jwt.decode(signed_in["AccessToken"], options={"verify_signature": False})["origin_jti"]
    refreshed = _refresh(world, pool, signed_in["RefreshToken"])  # same family, new token
    assert jwt.decode(refreshed, options={"verify_signature": False})["origin_jti"] == family

    world.idp.revoke_token(Token=signed_in["RefreshToken"], ClientId=pool.client_id)

    _refused(
        lambda: _refresh(world, pool, signed_in["RefreshToken"]),
        "NotAuthorizedException",
        "Refresh Token has been revoked",
    )
    for access in (signed_in["AccessToken"], refreshed):
        _refused(
            lambda access=access: world.idp.get_user(AccessToken=access),
            "NotAuthorizedException",
            "Access Token has been revoked",
        )
    # The user's other session goes on; revoking again is not an error.
    assert world.idp.get_user(AccessToken=other_session["AccessToken"])["Username"] == username
    assert _refresh(world, pool, other_session["RefreshToken"])
    world.idp.revoke_token(Token=signed_in["RefreshToken"], ClientId=pool.client_id)


def test_revoke_token_takes_only_refresh_tokens_of_its_own_client(world: World, pool: UserPool) -> None:
    tokens = world.sign_in(pool, world.user(pool))
    other = world.client(pool, ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    _refused(
        lambda: world.idp.revoke_token(Token=tokens["AccessToken"], ClientId=pool.client_id),
        "UnsupportedTokenTypeException",
        "Only refresh tokens can be revoked",
    )
    _refused(
        lambda: world.idp.revoke_token(Token=tokens["RefreshToken"], ClientId=other["ClientId"]),
        "UnauthorizedException",
        "A refresh token must be revoked by the app client that obtained it",
    )
    _refused(
        lambda: world.idp.revoke_token(Token="not-a-refresh-token", ClientId=pool.client_id),
        "UnauthorizedException",
        "Invalid Refresh Token",
    )
    assert _refresh(world, pool, tokens["RefreshToken"])  # none of that revoked anything


def test_revoke_token_needs_token_revocation_on_and_the_clients_secret(world: World) -> None:
    off = world.user_pool(EnableTokenRevocation=False)
    tokens = world.sign_in(off, world.user(off))
    _refused(
        lambda: world.idp.revoke_token(Token=tokens["RefreshToken"], ClientId=off.client_id),
        "UnsupportedOperationException",
        "Token revocation isn't enabled for this app client",
    )
    secret_pool = world.user_pool(flows=(), GenerateSecret=True)
    client = world.idp.describe_user_pool_client(
        UserPoolId=secret_pool.pool_id, ClientId=secret_pool.client_id
    )["UserPoolClient"]
    # A confidential client signs in with SECRET_HASH; the refresh token is what matters here.
    refresh, _ = find_user_pool(secret_pool.pool_id).create_refresh_token(
        secret_pool.client_id, world.user(secret_pool)
    )
    _refused(
        lambda: world.idp.revoke_token(Token=refresh, ClientId=secret_pool.client_id, ClientSecret="wrong"),
        "UnauthorizedException",
        f"Unable to verify the secret of client {secret_pool.client_id}",
    )
    world.idp.revoke_token(Token=refresh, ClientId=secret_pool.client_id, ClientSecret=client["ClientSecret"])


def test_a_refresh_token_is_redeemed_only_by_its_own_client(world: World, pool: UserPool) -> None:
    tokens = world.sign_in(pool, world.user(pool))
    other = world.client(pool, ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    _refused(
        lambda: _refresh(world, pool, tokens["RefreshToken"], other["ClientId"]),
        "NotAuthorizedException",
        "Invalid Refresh Token",
    )


@pytest.mark.parametrize("how", ["GlobalSignOut", "AdminUserGlobalSignOut"])
def test_sign_outs_refuse_every_refresh_token_and_access_token_of_the_user(
    world: World, pool: UserPool, how: str
) -> None:
    username = world.user(pool)
    sessions = [world.sign_in(pool, username) for _ in range(2)]
    if how == "GlobalSignOut":
        world.idp.global_sign_out(AccessToken=sessions[0]["AccessToken"])
    else:
        world.idp.admin_user_global_sign_out(UserPoolId=pool.pool_id, Username=username)
    for session in sessions:
        _refused(
            lambda s=session: _refresh(world, pool, s["RefreshToken"]),
            "NotAuthorizedException",
            "Refresh Token has been revoked",
        )
        _refused(
            lambda s=session: world.idp.get_user(AccessToken=s["AccessToken"]),
            "NotAuthorizedException",
            "Access Token has been revoked",
        )
    assert world.sign_in(pool, username)["AccessToken"]  # signing in again is allowed


def test_a_disabled_user_cannot_refresh_and_its_access_tokens_are_revoked(
    world: World, pool: UserPool
) -> None:
    username = world.user(pool)
    tokens = world.sign_in(pool, username)
    world.idp.admin_disable_user(UserPoolId=pool.pool_id, Username=username)
    _refused(
        lambda: _refresh(world, pool, tokens["RefreshToken"]),
        "NotAuthorizedException",
        "User is disabled.",
    )
    _refused(
        lambda: world.idp.get_user(AccessToken=tokens["AccessToken"]),
        "NotAuthorizedException",
        "Access Token has been revoked",
    )
    world.idp.admin_enable_user(UserPoolId=pool.pool_id, Username=username)
    assert _refresh(world, pool, tokens["RefreshToken"])  # the refresh token itself was not revoked


def test_revoked_tokens_still_verify_offline_as_on_aws(world: World, pool: UserPool) -> None:
    """ "Revoked tokens will still be valid if they are verified using any JWT library": refusing
    them is the API's job (the product's authorizer), not the signature's."""
    tokens = world.sign_in(pool, world.user(pool))
    world.idp.revoke_token(Token=tokens["RefreshToken"], ClientId=pool.client_id)
    jwks = jwt.PyJWKClient(f"{world.url}/{pool.pool_id}/.well-known/jwks.json")
    key = jwks.get_signing_key_from_jwt(tokens["AccessToken"]).key
    claims = jwt.decode(tokens["AccessToken"], key, algorithms=["RS256"])
    assert claims["token_use"] == "access"


def test_global_sign_outs_find_the_user_by_any_of_its_names(world: World) -> None:
    """In a pool that signs in by email (the product's), a session is issued to the email, and the
    access token's `username` claim is the sub: AdminUserGlobalSignOut with either name, and
    GlobalSignOut, end it."""
    pool_id = world.idp.create_user_pool(PoolName="by-email", UsernameAttributes=["email"])["UserPool"]["Id"]
    client_id = world.idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="web",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    pool = UserPool(pool_id, client_id)
    email = "someone@example.com"
    world.idp.admin_create_user(UserPoolId=pool_id, Username=email, MessageAction="SUPPRESS")
    world.idp.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=PASSWORD, Permanent=True)
    for name in ("sub", "email"):
        tokens = world.sign_in(pool, email)
        sub = jwt.decode(tokens["AccessToken"], options={"verify_signature": False})["username"]
        world.idp.admin_user_global_sign_out(UserPoolId=pool_id, Username=sub if name == "sub" else email)
        _refused(
            lambda t=tokens: _refresh(world, pool, t["RefreshToken"]),
            "NotAuthorizedException",
            "Refresh Token has been revoked",
        )

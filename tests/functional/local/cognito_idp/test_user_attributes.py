"""User attributes are checked like Cognito checks them, and never stand in for a token claim.

The attack these tests reproduce: a user in no group calls UpdateUserAttributes with
`cognito:preferred_role` = the admin group's role; if the emulator stored it, the next ID token would
carry it and the identity pool's Token mapping would hand out the admin role's credentials.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from botocore.exceptions import ClientError

from local.cognito_identity.credentials import lookup_credentials
from local.cognito_idp.pools import find_user_pool
from tests.functional.local.support import PASSWORD, UserPool, World, trust_policy


def _claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def _error(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response["Error"]
    return str(error["Code"]), str(error["Message"])


@dataclass
class Setup:
    world: World
    pool: UserPool
    identity_pool_id: str
    authenticated_role: str
    admin_role: str

    def user(self, **attributes: str) -> str:
        return self.world.user(self.pool, attributes=attributes)

    def tokens(self, username: str, client_id: str | None = None) -> dict[str, Any]:
        result: dict[str, Any] = self.world.idp.initiate_auth(
            ClientId=client_id or self.pool.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
        )["AuthenticationResult"]
        return result

    def update(self, access_token: str, **attributes: str) -> Any:
        return self.world.idp.update_user_attributes(
            AccessToken=access_token,
            UserAttributes=[{"Name": k, "Value": v} for k, v in attributes.items()],
        )

    def role_for(self, id_token: str) -> str:
        logins = {self.pool.provider: id_token}
        identity = self.world.identity
        identity_id = identity.get_id(IdentityPoolId=self.identity_pool_id, Logins=logins)["IdentityId"]
        creds = identity.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)["Credentials"]
        found = lookup_credentials(creds["AccessKeyId"])
        assert found is not None
        return found.role_arn


def _pool(world: World, **settings: Any) -> UserPool:
    pool_id = world.idp.create_user_pool(
        PoolName="attributes",
        Schema=[
            {"Name": "email", "AttributeDataType": "String", "Mutable": True, "Required": True},
            {"Name": "tier", "AttributeDataType": "String", "Mutable": True},
            {"Name": "badge", "AttributeDataType": "String", "Mutable": False},
        ],
        AutoVerifiedAttributes=["email"],
        **settings,
    )["UserPool"]["Id"]
    client_id = world.idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="web",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    return UserPool(pool_id, client_id)


@pytest.fixture(scope="module")
def setup(world: World) -> Setup:
    pool = _pool(world)
    identity_pool_id = world.identity_pool(user_pools=(pool,))
    trust = trust_policy(identity_pool_id)
    authenticated, admin = world.role(trust), world.role(trust)
    world.group(pool, "admin", role_arn=admin, precedence=1)
    world.identity.set_identity_pool_roles(
        IdentityPoolId=identity_pool_id,
        Roles={"authenticated": authenticated},
        RoleMappings={pool.mapping_key: {"Type": "Token", "AmbiguousRoleResolution": "Deny"}},
    )
    return Setup(world, pool, identity_pool_id, authenticated, admin)


def test_a_user_in_no_group_cannot_make_itself_admin(setup: Setup) -> None:
    username = setup.user()
    tokens = setup.tokens(username)
    assert setup.role_for(tokens["IdToken"]) == setup.authenticated_role

    code, message = _error(
        lambda: setup.update(tokens["AccessToken"], **{"cognito:preferred_role": setup.admin_role})
    )
    assert (code, message) == (
        "InvalidParameterException",
        "user.cognito:preferred_role: Attribute does not exist in the schema.",
    )

    fresh = setup.tokens(username)["IdToken"]
    assert "cognito:preferred_role" not in _claims(fresh)
    assert setup.role_for(fresh) == setup.authenticated_role


@pytest.mark.parametrize(
    "name", ["exp", "iss", "token_use", "cognito:roles", "cognito:groups", "custom:nope"]
)
def test_names_outside_the_schema_are_refused(setup: Setup, name: str) -> None:
    username = setup.user()
    access = setup.tokens(username)["AccessToken"]
    code, message = _error(lambda: setup.update(access, **{name: "x"}))
    assert code == "InvalidParameterException"
    assert message == f"user.{name}: Attribute does not exist in the schema."
    stored = setup.world.idp.admin_get_user(UserPoolId=setup.pool.pool_id, Username=username)
    assert name not in {a["Name"] for a in stored["UserAttributes"]}


def test_a_client_cannot_mark_its_own_email_verified(setup: Setup) -> None:
    username = setup.user(email_verified="false")
    access = setup.tokens(username)["AccessToken"]
    assert _error(lambda: setup.update(access, email_verified="true")) == (
        "NotAuthorizedException",
        "A client attempted to write unauthorized attribute",
    )
    assert _claims(setup.tokens(username)["IdToken"])["email_verified"] is False


def test_a_refused_update_changes_nothing(setup: Setup) -> None:
    username = setup.user(given_name="Ada")
    access = setup.tokens(username)["AccessToken"]
    _error(lambda: setup.update(access, given_name="Eve", email_verified="true"))
    assert _claims(setup.tokens(username)["IdToken"])["given_name"] == "Ada"


def test_the_client_write_attributes_are_enforced(setup: Setup) -> None:
    narrow = setup.world.client(
        setup.pool,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"],
        WriteAttributes=["given_name", "custom:tier"],
    )["ClientId"]
    username = setup.user()
    access = setup.tokens(username, narrow)["AccessToken"]

    assert _error(lambda: setup.update(access, family_name="Lovelace"))[0] == "NotAuthorizedException"
    setup.update(access, given_name="Ada", **{"custom:tier": "gold"})
    # Read back as an administrator: the default client's ID token carries no custom attribute
    # (it lists no ReadAttributes), as on Cognito.
    stored = {
        a["Name"]: a["Value"]
        for a in setup.world.idp.admin_get_user(UserPoolId=setup.pool.pool_id, Username=username)[
            "UserAttributes"
        ]
    }
    assert (stored["given_name"], stored["custom:tier"]) == ("Ada", "gold")


def test_custom_attributes_need_write_permission_by_default(setup: Setup) -> None:
    access = setup.tokens(setup.user())["AccessToken"]
    assert _error(lambda: setup.update(access, **{"custom:tier": "gold"}))[0] == "NotAuthorizedException"


def test_immutable_attributes_cannot_change(setup: Setup) -> None:
    username = setup.user(**{"custom:badge": "blue"})
    code, message = _error(
        lambda: setup.world.idp.admin_update_user_attributes(
            UserPoolId=setup.pool.pool_id,
            Username=username,
            UserAttributes=[{"Name": "custom:badge", "Value": "red"}],
        )
    )
    assert code == "InvalidParameterException"
    assert message.startswith("user.custom:badge: Attribute cannot be updated")


def test_administrators_are_held_to_the_schema_too(setup: Setup) -> None:
    username = setup.user()
    code, message = _error(
        lambda: setup.world.idp.admin_update_user_attributes(
            UserPoolId=setup.pool.pool_id,
            Username=username,
            UserAttributes=[{"Name": "cognito:preferred_role", "Value": setup.admin_role}],
        )
    )
    assert (code, message) == (
        "InvalidParameterException",
        "user.cognito:preferred_role: Attribute does not exist in the schema.",
    )
    code, message = _error(
        lambda: setup.world.idp.admin_create_user(
            UserPoolId=setup.pool.pool_id,
            Username="mallory",
            UserAttributes=[{"Name": "token_use", "Value": "access"}],
            MessageAction="SUPPRESS",
        )
    )
    assert code == "InvalidParameterException"
    assert message.startswith("Attributes did not conform to the schema: token_use: Attribute does not exist")


def test_an_administrator_may_verify_an_email(setup: Setup) -> None:
    username = setup.user(email_verified="false")
    setup.world.idp.admin_update_user_attributes(
        UserPoolId=setup.pool.pool_id,
        Username=username,
        UserAttributes=[{"Name": "email_verified", "Value": "true"}],
    )
    assert _claims(setup.tokens(username)["IdToken"])["email_verified"] is True


def test_a_changed_email_is_unverified_when_the_pool_applies_changes_at_once(setup: Setup) -> None:
    username = setup.user()
    setup.update(setup.tokens(username)["AccessToken"], email="new@example.com")
    claims = _claims(setup.tokens(username)["IdToken"])
    assert (claims["email"], claims["email_verified"]) == ("new@example.com", False)


def test_a_changed_email_waits_for_verification_when_the_pool_requires_it(world: World) -> None:
    pool = _pool(world, UserAttributeUpdateSettings={"AttributesRequireVerificationBeforeUpdate": ["email"]})
    setup = Setup(world, pool, "", "", "")
    username = setup.user()
    original = f"{username}@example.com"
    setup.update(setup.tokens(username)["AccessToken"], email="victim@example.com")
    claims = _claims(setup.tokens(username)["IdToken"])
    assert (claims["email"], claims["email_verified"]) == (original, True)

    # An administrator may confirm the new address in the same request (Cognito documents this).
    world.idp.admin_update_user_attributes(
        UserPoolId=pool.pool_id,
        Username=username,
        UserAttributes=[
            {"Name": "email", "Value": "confirmed@example.com"},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    claims = _claims(setup.tokens(username)["IdToken"])
    assert (claims["email"], claims["email_verified"]) == ("confirmed@example.com", True)


def test_sign_up_checks_schema_and_client_permissions(world: World) -> None:
    pool_id = world.idp.create_user_pool(
        PoolName="signup", AdminCreateUserConfig={"AllowAdminCreateUserOnly": False}
    )["UserPool"]["Id"]
    client_id = world.idp.create_user_pool_client(UserPoolId=pool_id, ClientName="web")["UserPoolClient"][
        "ClientId"
    ]

    def sign_up(name: str) -> Any:
        return world.idp.sign_up(
            ClientId=client_id,
            Username=f"u-{name.replace(':', '-')}",
            Password=PASSWORD,
            UserAttributes=[{"Name": name, "Value": "true"}],
        )

    assert _error(lambda: sign_up("cognito:preferred_role"))[0] == "InvalidParameterException"
    assert _error(lambda: sign_up("email_verified")) == (
        "NotAuthorizedException",
        "A client attempted to write unauthorized attribute",
    )


def test_reserved_claims_win_over_any_stored_attribute(setup: Setup) -> None:
    """Even an attribute that got into the store some other way cannot replace a Cognito claim."""
    username = setup.user()
    pool = find_user_pool(setup.pool.pool_id)
    assert pool is not None
    user = pool._get_user(username)
    user.attributes.extend(
        [
            {"Name": "cognito:preferred_role", "Value": setup.admin_role},
            {"Name": "exp", "Value": "9999999999"},
            {"Name": "iss", "Value": "https://attacker.example"},
            {"Name": "token_use", "Value": "access"},
        ]
    )
    tokens = setup.tokens(username)
    claims = _claims(tokens["IdToken"])
    assert "cognito:preferred_role" not in claims
    assert claims["iss"] == f"https://{setup.pool.provider}"
    assert claims["token_use"] == "id"
    assert claims["exp"] - claims["iat"] == 3600
    assert setup.role_for(tokens["IdToken"]) == setup.authenticated_role

"""Identity-pool federation: GetId login checks, role mapping, trust policies, issued credentials."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
import requests
from botocore.exceptions import ClientError

from local.cognito_identity.credentials import lookup_credentials
from local.core.keys import generate_signing_key
from local.emulator.server import EmulatorHandle
from tests.functional.local.support import (
    UserPool,
    World,
    id_token_claims,
    mint_pool_token,
    trust_policy,
)


@dataclass
class Federation:
    """A user pool with three role groups and an identity pool that federates it."""

    world: World
    pool: UserPool
    identity_pool_id: str
    authenticated_role: str
    admin_role: str  # group "admin", precedence 1
    vet_role: str  # group "vet", precedence 10
    peer_role: str  # group "peer", precedence 10 (ties with vet)

    def map(self, mapping: dict[str, Any] | None) -> None:
        mappings = {self.pool.mapping_key: mapping} if mapping else {}
        self.world.identity.set_identity_pool_roles(
            IdentityPoolId=self.identity_pool_id,
            Roles={"authenticated": self.authenticated_role},
            RoleMappings=mappings,
        )

    def logins(self, token: str) -> dict[str, str]:
        return {self.pool.provider: token}

    def credentials(self, token: str, **kwargs: Any) -> dict[str, Any]:
        identity_id = self.world.identity.get_id(
            IdentityPoolId=self.identity_pool_id, Logins=self.logins(token)
        )["IdentityId"]
        result: dict[str, Any] = self.world.identity.get_credentials_for_identity(
            IdentityId=identity_id, Logins=self.logins(token), **kwargs
        )
        return result

    def role_for(self, token: str, **kwargs: Any) -> str:
        creds = lookup_credentials(self.credentials(token, **kwargs)["Credentials"]["AccessKeyId"])
        assert creds is not None
        return creds.role_arn


@pytest.fixture(scope="module")
def shared_federation(world: World) -> Federation:
    pool = world.user_pool()
    identity_pool_id = world.identity_pool(user_pools=(pool,))
    trust = trust_policy(identity_pool_id)
    roles = {name: world.role(trust) for name in ("authenticated", "admin", "vet", "peer")}
    world.group(pool, "admin", role_arn=roles["admin"], precedence=1)
    world.group(pool, "vet", role_arn=roles["vet"], precedence=10)
    world.group(pool, "peer", role_arn=roles["peer"], precedence=10)
    world.group(pool, "plain", precedence=5)
    federation = Federation(
        world, pool, identity_pool_id, roles["authenticated"], roles["admin"], roles["vet"], roles["peer"]
    )
    return federation


@pytest.fixture
def fed(shared_federation: Federation) -> Federation:
    """The module's federation with its default mapping (Token, Deny) restored; users are per test."""
    shared_federation.map({"Type": "Token", "AmbiguousRoleResolution": "Deny"})
    return shared_federation


def _error(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as excinfo:
        call()
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


# --- GetId: which logins count ----------------------------------------------------------------------


def test_get_id_without_logins_is_refused_when_unauthenticated_access_is_off(fed: Federation) -> None:
    code, message = _error(lambda: fed.world.identity.get_id(IdentityPoolId=fed.identity_pool_id))
    assert code == "NotAuthorizedException"
    assert message == "Unauthenticated access is not supported for this identity pool."


def test_get_id_is_stable_per_user_and_distinct_between_users(fed: Federation) -> None:
    ids = fed.world.identity
    alice = fed.world.user(fed.pool)
    first = ids.get_id(
        IdentityPoolId=fed.identity_pool_id, Logins=fed.logins(fed.world.sign_in(fed.pool, alice)["IdToken"])
    )
    again = ids.get_id(
        IdentityPoolId=fed.identity_pool_id, Logins=fed.logins(fed.world.sign_in(fed.pool, alice)["IdToken"])
    )
    other = ids.get_id(IdentityPoolId=fed.identity_pool_id, Logins=fed.logins(fed.world.id_token(fed.pool)))

    assert first["IdentityId"] == again["IdentityId"]
    assert first["IdentityId"] != other["IdentityId"]
    assert first["IdentityId"].startswith("us-east-1:")
    listed = ids.list_identities(IdentityPoolId=fed.identity_pool_id, MaxResults=10)["Identities"]
    assert {i["IdentityId"] for i in listed} == {first["IdentityId"], other["IdentityId"]}


def test_get_id_refuses_a_provider_the_pool_does_not_have(fed: Federation, world: World) -> None:
    stranger = world.user_pool()
    token = world.id_token(stranger)
    code, message = _error(
        lambda: world.identity.get_id(IdentityPoolId=fed.identity_pool_id, Logins={stranger.provider: token})
    )
    assert code == "NotAuthorizedException"
    assert message == "Token is not from a supported provider of this identity pool."


def test_get_id_refuses_a_forged_signature(fed: Federation) -> None:
    forged = generate_signing_key().sign(id_token_claims(fed.pool))
    code, message = _error(
        lambda: fed.world.identity.get_id(IdentityPoolId=fed.identity_pool_id, Logins=fed.logins(forged))
    )
    assert code == "NotAuthorizedException"
    assert message == "Invalid login token. Couldn't verify signed token."


def test_get_id_refuses_a_token_of_another_pool_under_this_provider(fed: Federation, world: World) -> None:
    other_pool_token = world.id_token(world.user_pool())
    code, _ = _error(
        lambda: world.identity.get_id(
            IdentityPoolId=fed.identity_pool_id, Logins=fed.logins(other_pool_token)
        )
    )
    assert code == "NotAuthorizedException"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            {"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"},
            "Invalid login token. Issuer doesn't match providerName",
        ),
        ({"aud": "some-other-client"}, "Invalid login token. Incorrect token audience."),
        (
            {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},
            "Invalid login token. Token expired",
        ),
        ({"token_use": "access"}, "Invalid login token. Not a valid OpenId Connect identity token."),
    ],
    ids=["wrong-iss", "wrong-aud", "expired", "access-token"],
)
def test_get_id_refuses_bad_claims_even_when_correctly_signed(
    fed: Federation, override: dict[str, Any], message: str
) -> None:
    token = mint_pool_token(fed.pool.pool_id, id_token_claims(fed.pool, **override))
    code, got = _error(
        lambda: fed.world.identity.get_id(IdentityPoolId=fed.identity_pool_id, Logins=fed.logins(token))
    )
    assert code == "NotAuthorizedException"
    assert got.startswith(message)


def test_a_correctly_signed_well_formed_token_is_accepted(fed: Federation) -> None:
    token = mint_pool_token(fed.pool.pool_id, id_token_claims(fed.pool))
    identity_id = fed.world.identity.get_id(IdentityPoolId=fed.identity_pool_id, Logins=fed.logins(token))[
        "IdentityId"
    ]
    assert identity_id.startswith("us-east-1:")


# --- GetCredentialsForIdentity: Token mapping ---------------------------------------------------------


def test_token_mapping_uses_the_preferred_role(fed: Federation) -> None:
    token = fed.world.id_token(fed.pool, groups=("vet", "admin"))
    assert fed.role_for(token) == fed.admin_role


def test_token_mapping_single_role_without_preferred_claim(fed: Federation) -> None:
    claims = id_token_claims(fed.pool, **{"cognito:roles": [fed.vet_role]})
    assert fed.role_for(mint_pool_token(fed.pool.pool_id, claims)) == fed.vet_role


def test_token_mapping_multiple_roles_with_deny_is_refused(fed: Federation) -> None:
    token = fed.world.id_token(fed.pool, groups=("vet", "peer"))  # tied precedence: no preferred role
    code, message = _error(lambda: fed.credentials(token))
    assert code == "NotAuthorizedException"
    assert message == f"The ambiguous role mapping rules for: {fed.pool.provider} denied this request."


def test_token_mapping_multiple_roles_with_authenticated_role_resolution(fed: Federation) -> None:
    fed.map({"Type": "Token", "AmbiguousRoleResolution": "AuthenticatedRole"})
    token = fed.world.id_token(fed.pool, groups=("vet", "peer"))
    assert fed.role_for(token) == fed.authenticated_role


def test_token_mapping_without_role_claims_gets_the_authenticated_role(fed: Federation) -> None:
    token = fed.world.id_token(fed.pool, groups=("plain",))
    assert fed.role_for(token) == fed.authenticated_role


def test_no_mapping_for_the_provider_gets_the_authenticated_role(fed: Federation) -> None:
    fed.map(None)
    token = fed.world.id_token(fed.pool, groups=("admin",))
    assert fed.role_for(token) == fed.authenticated_role


def test_no_authenticated_role_is_an_error_not_a_default(fed: Federation) -> None:
    fed.world.identity.set_identity_pool_roles(IdentityPoolId=fed.identity_pool_id, Roles={})
    token = fed.world.id_token(fed.pool, groups=("plain",))
    code, _ = _error(lambda: fed.credentials(token))
    assert code == "InvalidIdentityPoolConfigurationException"


def test_custom_role_arn_must_be_one_of_the_token_roles(fed: Federation) -> None:
    token = fed.world.id_token(fed.pool, groups=("vet", "peer"))
    assert fed.role_for(token, CustomRoleArn=fed.peer_role) == fed.peer_role

    code, _ = _error(lambda: fed.credentials(token, CustomRoleArn=fed.admin_role))
    assert code == "NotAuthorizedException"


# --- the product's user-pool mappings (terraform/modules/identity_pool): Rules by default, Token option --


def _preferred_role_rules(fed: Federation) -> dict[str, Any]:
    """What the identity_pool module renders by default: one rule per group role on cognito:preferred_role."""
    return {
        "Type": "Rules",
        "AmbiguousRoleResolution": "Deny",
        "RulesConfiguration": {
            "Rules": [
                {"Claim": "cognito:preferred_role", "MatchType": "Equals", "Value": role, "RoleARN": role}
                for role in (fed.admin_role, fed.vet_role, fed.peer_role)
            ]
        },
    }


def test_default_rules_mapping_hands_a_multi_group_user_only_its_preferred_role(fed: Federation) -> None:
    fed.map(_preferred_role_rules(fed))
    token = fed.world.id_token(fed.pool, groups=("vet", "admin"))  # cognito:roles = both, preferred = admin
    assert fed.role_for(token) == fed.admin_role
    assert fed.role_for(token, CustomRoleArn=fed.admin_role) == fed.admin_role
    code, _ = _error(lambda: fed.credentials(token, CustomRoleArn=fed.vet_role))  # its own other role
    assert code == "NotAuthorizedException"


def test_default_rules_mapping_gives_a_user_in_no_role_group_no_credentials(fed: Federation) -> None:
    fed.map(_preferred_role_rules(fed))
    token = fed.world.id_token(fed.pool, groups=("plain",))
    code, message = _error(lambda: fed.credentials(token))
    assert code == "NotAuthorizedException"
    assert message == f"The ambiguous role mapping rules for: {fed.pool.provider} denied this request."


def test_token_option_lets_a_multi_group_user_choose_its_other_role(fed: Federation) -> None:
    """The documented consequence of the Token option (fed's mapping: Token, Deny)."""
    token = fed.world.id_token(fed.pool, groups=("vet", "admin"))
    assert fed.role_for(token) == fed.admin_role
    assert fed.role_for(token, CustomRoleArn=fed.vet_role) == fed.vet_role
    plain = fed.world.id_token(fed.pool, groups=("plain",))
    assert fed.role_for(plain) == fed.authenticated_role  # no role claims: the default role


def test_role_whose_trust_policy_does_not_admit_the_pool_is_refused(fed: Federation, world: World) -> None:
    other_pool_trust = trust_policy("us-east-1:11111111-2222-3333-4444-555555555555")
    outsider = world.role(other_pool_trust)
    world.group(fed.pool, "outsiders", role_arn=outsider, precedence=0)
    token = world.id_token(fed.pool, groups=("outsiders",))

    code, message = _error(lambda: fed.credentials(token))
    assert code == "InvalidIdentityPoolConfigurationException"
    assert "Check assigned IAM roles" in message


def test_role_trusting_only_unauthenticated_identities_is_refused(fed: Federation, world: World) -> None:
    guest_only = world.role(trust_policy(fed.identity_pool_id, amr="unauthenticated"))
    world.group(fed.pool, "guests", role_arn=guest_only, precedence=0)
    code, _ = _error(lambda: fed.credentials(world.id_token(fed.pool, groups=("guests",))))
    assert code == "InvalidIdentityPoolConfigurationException"


def test_logins_must_belong_to_the_identity(fed: Federation) -> None:
    ids = fed.world.identity
    alice_token, bob_token = fed.world.id_token(fed.pool), fed.world.id_token(fed.pool)
    alice_id = ids.get_id(IdentityPoolId=fed.identity_pool_id, Logins=fed.logins(alice_token))["IdentityId"]

    code, message = _error(
        lambda: ids.get_credentials_for_identity(IdentityId=alice_id, Logins=fed.logins(bob_token))
    )
    assert code == "NotAuthorizedException"
    assert message.startswith("Logins don't match")
    code, _ = _error(lambda: ids.get_credentials_for_identity(IdentityId=alice_id))
    assert code == "NotAuthorizedException"


def test_unknown_identity_is_not_found(fed: Federation) -> None:
    token = fed.world.id_token(fed.pool)
    code, _ = _error(
        lambda: fed.world.identity.get_credentials_for_identity(
            IdentityId="us-east-1:00000000-0000-0000-0000-000000000000", Logins=fed.logins(token)
        )
    )
    assert code == "ResourceNotFoundException"


def test_issued_credentials_are_fresh_temporary_and_registered(fed: Federation) -> None:
    username = fed.world.user(fed.pool, groups=("admin",))
    token = fed.world.sign_in(fed.pool, username)["IdToken"]
    first, second = fed.credentials(token), fed.credentials(token)
    creds = first["Credentials"]

    assert creds["AccessKeyId"].startswith("ASIA")
    assert len(creds["AccessKeyId"]) == 20
    assert creds["AccessKeyId"] != second["Credentials"]["AccessKeyId"]
    expires_in = creds["Expiration"] - datetime.now(UTC)
    assert timedelta(minutes=59) < expires_in <= timedelta(hours=1)

    issued = lookup_credentials(creds["AccessKeyId"])
    assert issued is not None
    assert issued.secret_key == creds["SecretKey"]
    assert issued.session_token == creds["SessionToken"]
    assert issued.role_arn == fed.admin_role
    assert issued.identity_id == first["IdentityId"]
    assert issued.identity_pool_id == fed.identity_pool_id
    assert issued.provider == fed.pool.provider
    sub = jwt.decode(token, options={"verify_signature": False})["sub"]
    assert issued.authentication_provider == f"{fed.pool.provider},{fed.pool.provider}:CognitoSignIn:{sub}"
    assert issued.authentication_type == "authenticated"
    assert lookup_credentials("ASIANOTISSUEDBYUS00") is None


# --- unauthenticated identities (only when the pool allows them) ----------------------------------------


def test_unauthenticated_identity_gets_the_unauthenticated_role(world: World) -> None:
    pool_id = world.identity_pool(allow_unauthenticated=True)
    guest = world.role(trust_policy(pool_id, amr="unauthenticated"))
    world.identity.set_identity_pool_roles(IdentityPoolId=pool_id, Roles={"unauthenticated": guest})

    identity_id = world.identity.get_id(IdentityPoolId=pool_id)["IdentityId"]
    creds = world.identity.get_credentials_for_identity(IdentityId=identity_id)["Credentials"]

    issued = lookup_credentials(creds["AccessKeyId"])
    assert issued is not None
    assert issued.role_arn == guest
    assert issued.authentication_type == "unauthenticated"


def test_signed_in_identity_cannot_fall_back_to_guest_credentials(world: World) -> None:
    """Dropping the Logins must not turn a signed-in identity into a guest of a pool that allows
    guests: Cognito requires the identity's logins, so the unauthenticated role is out of reach."""
    pool = world.user_pool()
    pool_id = world.identity_pool(user_pools=(pool,), allow_unauthenticated=True)
    guest = world.role(trust_policy(pool_id, amr="unauthenticated"))
    world.identity.set_identity_pool_roles(
        IdentityPoolId=pool_id,
        Roles={"unauthenticated": guest, "authenticated": world.role(trust_policy(pool_id))},
    )
    identity_id = world.identity.get_id(IdentityPoolId=pool_id, Logins={pool.provider: world.id_token(pool)})[
        "IdentityId"
    ]

    code, message = _error(lambda: world.identity.get_credentials_for_identity(IdentityId=identity_id))
    assert code == "NotAuthorizedException"
    assert message.startswith("Logins don't match.")


def test_guest_credentials_need_guest_access_and_a_trusting_role(world: World) -> None:
    pool_id = world.identity_pool(allow_unauthenticated=True)
    identity_id = world.identity.get_id(IdentityPoolId=pool_id)["IdentityId"]

    # The unauthenticated role must trust the pool's *unauthenticated* identities (amr).
    signed_in_only = world.role(trust_policy(pool_id, amr="authenticated"))
    world.identity.set_identity_pool_roles(IdentityPoolId=pool_id, Roles={"unauthenticated": signed_in_only})
    code, _ = _error(lambda: world.identity.get_credentials_for_identity(IdentityId=identity_id))
    assert code == "InvalidIdentityPoolConfigurationException"

    # Guest access switched off after the identity was created: no more guest credentials.
    guest = world.role(trust_policy(pool_id, amr="unauthenticated"))
    world.identity.set_identity_pool_roles(IdentityPoolId=pool_id, Roles={"unauthenticated": guest})
    assert world.identity.get_credentials_for_identity(IdentityId=identity_id)["IdentityId"] == identity_id
    world.identity.update_identity_pool(
        IdentityPoolId=pool_id,
        IdentityPoolName=world.identity.describe_identity_pool(IdentityPoolId=pool_id)["IdentityPoolName"],
        AllowUnauthenticatedIdentities=False,
    )
    code, message = _error(lambda: world.identity.get_credentials_for_identity(IdentityId=identity_id))
    assert code == "NotAuthorizedException"
    assert message == "Unauthenticated access is not supported for this identity pool."


def test_server_side_token_check_refuses_a_disabled_user(world: World) -> None:
    pool = world.user_pool()
    pool_id = world.identity.create_identity_pool(
        IdentityPoolName=f"ssc_{time.monotonic_ns()}",
        AllowUnauthenticatedIdentities=False,
        CognitoIdentityProviders=[
            {"ProviderName": pool.provider, "ClientId": pool.client_id, "ServerSideTokenCheck": True}
        ],
    )["IdentityPoolId"]
    username = world.user(pool)
    token = str(world.sign_in(pool, username)["IdToken"])
    assert world.identity.get_id(IdentityPoolId=pool_id, Logins={pool.provider: token})["IdentityId"]

    world.idp.admin_disable_user(UserPoolId=pool.pool_id, Username=username)
    code, message = _error(
        lambda: world.identity.get_id(IdentityPoolId=pool_id, Logins={pool.provider: token})
    )
    assert code == "NotAuthorizedException"
    assert message == "Invalid login token. Token is not valid for this user pool user."


@pytest.mark.parametrize("how", ["AdminUserGlobalSignOut", "RevokeToken"])
def test_server_side_token_check_refuses_an_id_token_whose_session_ended(world: World, how: str) -> None:
    """ "Amazon Cognito no longer accepts a signed-out user's ID token in a GetId request to an
    identity pool with ServerSideTokenCheck enabled"; nor the ID token of a revoked refresh token.
    A new sign-in is accepted again."""
    pool = world.user_pool()
    pool_id = world.identity.create_identity_pool(
        IdentityPoolName=f"ssc_{time.monotonic_ns()}",
        AllowUnauthenticatedIdentities=False,
        CognitoIdentityProviders=[
            {"ProviderName": pool.provider, "ClientId": pool.client_id, "ServerSideTokenCheck": True}
        ],
    )["IdentityPoolId"]
    username = world.user(pool)
    tokens = world.sign_in(pool, username)
    old = str(tokens["IdToken"])
    assert world.identity.get_id(IdentityPoolId=pool_id, Logins={pool.provider: old})["IdentityId"]
    if how == "RevokeToken":
        world.idp.revoke_token(Token=tokens["RefreshToken"], ClientId=pool.client_id)
    else:
        world.idp.admin_user_global_sign_out(UserPoolId=pool.pool_id, Username=username)
    code, message = _error(lambda: world.identity.get_id(IdentityPoolId=pool_id, Logins={pool.provider: old}))
    assert (code, message) == (
        "NotAuthorizedException",
        "Invalid login token. The user signed out or the token was revoked.",
    )
    # `iat` is whole seconds: a token of the sign-out's own second counts as issued before it.
    time.sleep(math.ceil(time.time()) - time.time() + 0.01)
    fresh = str(world.sign_in(pool, username)["IdToken"])
    assert world.identity.get_id(IdentityPoolId=pool_id, Logins={pool.provider: fresh})["IdentityId"]


# --- OpenID Connect provider (the local issuer standing in for Google) -----------------------------------


@dataclass
class OidcFederation:
    emulator: EmulatorHandle
    world: World
    identity_pool_id: str
    client_id: str
    vet_role: str
    authenticated_role: str

    def user(self, email: str) -> tuple[str, str]:
        username = email.split("@", maxsplit=1)[0] + str(time.monotonic_ns())
        self.emulator.oidc.add_user(username, "pw-" + username, email=email, given_name="G", family_name="F")
        return username, "pw-" + username

    def token(self, email: str) -> str:
        username, password = self.user(email)
        response = requests.post(
            f"{self.emulator.url}/_local/oidc/token",
            data={
                "grant_type": "password",
                "username": username,
                "password": password,
                "client_id": self.client_id,
            },
            timeout=5,
        )
        assert response.status_code == 200, response.text
        return str(response.json()["id_token"])

    def logins(self, token: str) -> dict[str, str]:
        return {self.emulator.oidc_provider_name: token}

    def credentials(self, token: str) -> dict[str, Any]:
        ids = self.world.identity
        identity_id = ids.get_id(IdentityPoolId=self.identity_pool_id, Logins=self.logins(token))[
            "IdentityId"
        ]
        result: dict[str, Any] = ids.get_credentials_for_identity(
            IdentityId=identity_id, Logins=self.logins(token)
        )
        return result


@pytest.fixture
def oidc(emulator: EmulatorHandle, world: World) -> OidcFederation:
    client_id = f"google-client-{time.monotonic_ns()}"
    emulator.oidc.add_client(client_id)
    provider_arns = [
        a["Arn"]
        for a in world.iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
        if emulator.oidc_provider_name in a["Arn"]
    ]
    if provider_arns:
        world.iam.add_client_id_to_open_id_connect_provider(
            OpenIDConnectProviderArn=provider_arns[0], ClientID=client_id
        )
        arn = provider_arns[0]
    else:
        arn = world.oidc_provider(emulator.oidc_issuer, [client_id])
    identity_pool_id = world.identity_pool(oidc_arns=(arn,))
    trust = trust_policy(identity_pool_id)
    vet, authenticated = world.role(trust), world.role(trust)
    world.identity.set_identity_pool_roles(
        IdentityPoolId=identity_pool_id,
        Roles={"authenticated": authenticated},
        RoleMappings={
            emulator.oidc_provider_name: {
                "Type": "Rules",
                "AmbiguousRoleResolution": "Deny",
                "RulesConfiguration": {
                    "Rules": [
                        {
                            "Claim": "email",
                            "MatchType": "StartsWith",
                            "Value": "nobody@",
                            "RoleARN": authenticated,
                        },
                        {"Claim": "email", "MatchType": "Contains", "Value": "@vets.example", "RoleARN": vet},
                    ]
                },
            }
        },
    )
    return OidcFederation(emulator, world, identity_pool_id, client_id, vet, authenticated)


def test_oidc_login_with_matching_rule_gets_the_rule_role(oidc: OidcFederation) -> None:
    result = oidc.credentials(oidc.token("dana@vets.example"))
    issued = lookup_credentials(result["Credentials"]["AccessKeyId"])
    assert issued is not None
    assert issued.role_arn == oidc.vet_role
    assert issued.provider == oidc.emulator.oidc_provider_name
    assert issued.authentication_provider.startswith(
        f"{oidc.emulator.oidc_provider_name},{oidc.emulator.oidc_provider_name}:"
    )


def test_oidc_login_matching_no_rule_with_deny_is_refused(oidc: OidcFederation) -> None:
    code, message = _error(lambda: oidc.credentials(oidc.token("eve@elsewhere.example")))
    assert code == "NotAuthorizedException"
    assert (
        message
        == f"The ambiguous role mapping rules for: {oidc.emulator.oidc_provider_name} denied this request."
    )


def test_oidc_token_for_a_client_not_in_the_provider_is_refused(oidc: OidcFederation) -> None:
    stray_client = f"stray-{time.monotonic_ns()}"
    oidc.emulator.oidc.add_client(stray_client)
    username, password = oidc.user("dana@vets.example")
    token = oidc.emulator.oidc.issue_id_token(client_id=stray_client, username=username, password=password)
    code, message = _error(
        lambda: oidc.world.identity.get_id(IdentityPoolId=oidc.identity_pool_id, Logins=oidc.logins(token))
    )
    assert code == "NotAuthorizedException"
    assert message == "Invalid login token. Incorrect token audience."


def test_oidc_login_under_an_issuer_the_pool_does_not_federate_is_refused(oidc: OidcFederation) -> None:
    """The Logins key must be the URL of one of the pool's OIDC providers, not any issuer name."""
    token = oidc.token("dana@vets.example")
    code, message = _error(
        lambda: oidc.world.identity.get_id(
            IdentityPoolId=oidc.identity_pool_id, Logins={"accounts.example.invalid": token}
        )
    )
    assert code == "NotAuthorizedException"
    assert message == "Token is not from a supported provider of this identity pool."


def test_oidc_token_signed_by_another_key_is_refused(oidc: OidcFederation) -> None:
    now = int(time.time())
    claims = {
        "iss": oidc.emulator.oidc_issuer,
        "aud": oidc.client_id,
        "sub": "x",
        "iat": now,
        "exp": now + 60,
    }
    forged = generate_signing_key().sign(claims)
    code, _ = _error(
        lambda: oidc.world.identity.get_id(IdentityPoolId=oidc.identity_pool_id, Logins=oidc.logins(forged))
    )
    assert code == "NotAuthorizedException"

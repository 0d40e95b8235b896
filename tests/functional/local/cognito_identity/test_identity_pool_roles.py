"""SetIdentityPoolRoles / GetIdentityPoolRoles: missing from moto, needed by the roles attachment."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.functional.local.support import World, trust_policy

AUTH_ARN = "arn:aws:iam::123456789012:role/authenticated-default"
ROLE_ARN = "arn:aws:iam::123456789012:role/google-users"


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def test_round_trip_stores_roles_and_both_mapping_types(world: World) -> None:
    pool_id = world.identity_pool()
    mappings: dict[str, Any] = {
        "cognito-idp.us-east-1.amazonaws.com/us-east-1_abc:client1": {
            "Type": "Token",
            "AmbiguousRoleResolution": "Deny",
        },
        "issuer.example.com": {
            "Type": "Rules",
            "AmbiguousRoleResolution": "AuthenticatedRole",
            "RulesConfiguration": {
                "Rules": [
                    {"Claim": "email", "MatchType": "Contains", "Value": "@example.com", "RoleARN": ROLE_ARN},
                    {"Claim": "hd", "MatchType": "NotEqual", "Value": "other", "RoleARN": AUTH_ARN},
                ]
            },
        },
    }
    world.identity.set_identity_pool_roles(
        IdentityPoolId=pool_id, Roles={"authenticated": AUTH_ARN}, RoleMappings=mappings
    )

    stored = world.identity.get_identity_pool_roles(IdentityPoolId=pool_id)

    assert stored["IdentityPoolId"] == pool_id
    assert stored["Roles"] == {"authenticated": AUTH_ARN}
    assert stored["RoleMappings"] == mappings


def test_setting_again_replaces_and_empty_roles_clear(world: World) -> None:
    pool_id = world.identity_pool()
    world.identity.set_identity_pool_roles(
        IdentityPoolId=pool_id,
        Roles={"authenticated": AUTH_ARN},
        RoleMappings={"issuer.example.com": {"Type": "Token", "AmbiguousRoleResolution": "Deny"}},
    )

    world.identity.set_identity_pool_roles(
        IdentityPoolId=pool_id, Roles={}
    )  # what Terraform sends on destroy

    stored = world.identity.get_identity_pool_roles(IdentityPoolId=pool_id)
    assert stored["Roles"] == {}
    assert stored.get("RoleMappings", {}) == {}


def test_pools_do_not_share_roles(world: World) -> None:
    first, second = world.identity_pool(), world.identity_pool()
    world.identity.set_identity_pool_roles(IdentityPoolId=first, Roles={"authenticated": AUTH_ARN})

    assert world.identity.get_identity_pool_roles(IdentityPoolId=second)["Roles"] == {}


@pytest.mark.parametrize(
    ("roles", "mappings", "code", "fragment"),
    [
        ({"admin": AUTH_ARN}, {}, "ValidationException", "(un)?authenticated"),
        (
            {},
            {"p.example.com": {"Type": "Groups", "AmbiguousRoleResolution": "Deny"}},
            "ValidationException",
            "Token, Rules",
        ),
        ({}, {"p.example.com": {"Type": "Token"}}, "InvalidParameterException", "AmbiguousRoleResolution"),
        (
            {},
            {"p.example.com": {"Type": "Token", "AmbiguousRoleResolution": "Allow"}},
            "ValidationException",
            "Deny",
        ),
        (
            {},
            {"p.example.com": {"Type": "Rules", "AmbiguousRoleResolution": "Deny"}},
            "InvalidParameterException",
            "RulesConfiguration",
        ),
        (
            {},
            {
                "p.example.com": {
                    "Type": "Rules",
                    "AmbiguousRoleResolution": "Deny",
                    "RulesConfiguration": {
                        "Rules": [{"Claim": "email", "MatchType": "Regex", "Value": "x", "RoleARN": ROLE_ARN}]
                    },
                }
            },
            "ValidationException",
            "Equals, Contains, StartsWith, NotEqual",
        ),
    ],
    ids=["roles-key", "type", "missing-ambiguous", "ambiguous-value", "rules-without-config", "match-type"],
)
def test_invalid_configuration_is_rejected_and_changes_nothing(
    world: World, roles: dict[str, str], mappings: dict[str, Any], code: str, fragment: str
) -> None:
    pool_id = world.identity_pool()
    world.identity.set_identity_pool_roles(IdentityPoolId=pool_id, Roles={"authenticated": AUTH_ARN})

    with pytest.raises(ClientError) as excinfo:
        world.identity.set_identity_pool_roles(IdentityPoolId=pool_id, Roles=roles, RoleMappings=mappings)

    error_code, message = _error(excinfo)
    assert error_code == code
    assert fragment in message
    assert world.identity.get_identity_pool_roles(IdentityPoolId=pool_id)["Roles"] == {
        "authenticated": AUTH_ARN
    }


def test_unknown_pool_is_resource_not_found(world: World) -> None:
    with pytest.raises(ClientError) as excinfo:
        world.identity.get_identity_pool_roles(
            IdentityPoolId="us-east-1:00000000-0000-0000-0000-000000000000"
        )
    assert _error(excinfo)[0] == "ResourceNotFoundException"

    with pytest.raises(ClientError) as excinfo:
        world.identity.set_identity_pool_roles(
            IdentityPoolId="us-east-1:00000000-0000-0000-0000-000000000000", Roles={}
        )
    assert _error(excinfo)[0] == "ResourceNotFoundException"


def test_deleting_the_pool_forgets_its_roles(world: World) -> None:
    pool_id = world.identity_pool()
    role = world.role(trust_policy(pool_id))
    world.identity.set_identity_pool_roles(IdentityPoolId=pool_id, Roles={"authenticated": role})

    world.identity.delete_identity_pool(IdentityPoolId=pool_id)

    with pytest.raises(ClientError) as excinfo:
        world.identity.get_identity_pool_roles(IdentityPoolId=pool_id)
    assert _error(excinfo)[0] == "ResourceNotFoundException"

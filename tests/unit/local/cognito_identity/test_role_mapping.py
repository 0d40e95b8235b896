"""Role-mapping validation (SetIdentityPoolRoles) and role resolution (GetCredentialsForIdentity)."""

from __future__ import annotations

from typing import Any

import pytest

from local.cognito_identity.role_mapping import (
    resolve_role,
    rule_matches,
    token_roles,
    validate_role_mapping,
    validate_role_mappings,
    validate_roles,
)
from local.core.errors import AwsError

AUTH = "arn:aws:iam::123456789012:role/authenticated"
ADMIN = "arn:aws:iam::123456789012:role/admin"
VET = "arn:aws:iam::123456789012:role/vet"
PROVIDER = "cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool"

TOKEN_DENY = {"Type": "Token", "AmbiguousRoleResolution": "Deny"}
TOKEN_AUTH = {"Type": "Token", "AmbiguousRoleResolution": "AuthenticatedRole"}


def _rule(claim: str, match: str, value: str, role: str = VET) -> dict[str, str]:
    return {"Claim": claim, "MatchType": match, "Value": value, "RoleARN": role}


def _rules(*rules: dict[str, str], resolution: str = "Deny") -> dict[str, Any]:
    return {
        "Type": "Rules",
        "AmbiguousRoleResolution": resolution,
        "RulesConfiguration": {"Rules": list(rules)},
    }


def _resolve(mapping: dict[str, Any] | None, claims: dict[str, Any], **kwargs: Any) -> str:
    kwargs.setdefault("authenticated_role", AUTH)
    return resolve_role(provider=PROVIDER, mapping=mapping, claims=claims, **kwargs).role_arn


def _code(excinfo: pytest.ExceptionInfo[AwsError]) -> str:
    return excinfo.value.code


# --- validation -----------------------------------------------------------------------------------


def test_valid_configuration_round_trips() -> None:
    mapping = _rules(_rule("email", "Contains", "@x.io"), resolution="AuthenticatedRole")
    assert validate_roles({"authenticated": AUTH, "unauthenticated": VET}) == {
        "authenticated": AUTH,
        "unauthenticated": VET,
    }
    assert validate_role_mappings({PROVIDER: TOKEN_DENY, "issuer.example": mapping}) == {
        PROVIDER: TOKEN_DENY,
        "issuer.example": mapping,
    }


@pytest.mark.parametrize(
    "roles",
    [{"admin": AUTH}, {"authenticated": "arn:short"}, {"authenticated": 7}, ["authenticated"]],
    ids=["key", "arn-too-short", "arn-not-string", "not-a-map"],
)
def test_invalid_roles_are_validation_errors(roles: Any) -> None:
    with pytest.raises(AwsError) as excinfo:
        validate_roles(roles)
    assert _code(excinfo) == "ValidationException"


@pytest.mark.parametrize(
    ("mapping", "code"),
    [
        ({"AmbiguousRoleResolution": "Deny"}, "ValidationException"),  # no Type
        ({"Type": "Groups", "AmbiguousRoleResolution": "Deny"}, "ValidationException"),
        ({"Type": "Token"}, "InvalidParameterException"),
        ({"Type": "Token", "AmbiguousRoleResolution": "Allow"}, "ValidationException"),
        ({"Type": "Rules", "AmbiguousRoleResolution": "Deny"}, "InvalidParameterException"),
        (
            {"Type": "Rules", "AmbiguousRoleResolution": "Deny", "RulesConfiguration": {"Rules": []}},
            "InvalidParameterException",
        ),
        (_rules(_rule("email", "Regex", "x")), "ValidationException"),
        (
            _rules({"Claim": "email", "MatchType": "Equals", "Value": "x"}),
            "ValidationException",
        ),  # no RoleARN
        (_rules(_rule("has space", "Equals", "x")), "ValidationException"),
        (_rules(_rule("email", "Equals", "")), "ValidationException"),
        (_rules(_rule("email", "Equals", "x" * 129)), "ValidationException"),
        (_rules(*[_rule("email", "Equals", str(i)) for i in range(401)]), "ValidationException"),
    ],
    ids=[
        "no-type",
        "bad-type",
        "no-ambiguous",
        "bad-ambiguous",
        "rules-without-config",
        "rules-empty",
        "bad-match-type",
        "rule-missing-role",
        "claim-whitespace",
        "empty-value",
        "long-value",
        "too-many-rules",
    ],
)
def test_invalid_mappings_are_rejected(mapping: dict[str, Any], code: str) -> None:
    with pytest.raises(AwsError) as excinfo:
        validate_role_mapping(PROVIDER, mapping)
    assert _code(excinfo) == code


def test_too_many_mappings_and_bad_keys_are_rejected() -> None:
    with pytest.raises(AwsError):
        validate_role_mappings({f"p{i}.example": TOKEN_DENY for i in range(11)})
    with pytest.raises(AwsError):
        validate_role_mappings({"": TOKEN_DENY})
    with pytest.raises(AwsError):
        validate_role_mappings({"x" * 129: TOKEN_DENY})


# --- Token mapping ----------------------------------------------------------------------------------


def test_token_preferred_role_wins() -> None:
    claims = {"cognito:roles": [ADMIN, VET], "cognito:preferred_role": VET}
    assert _resolve(TOKEN_DENY, claims) == VET


def test_token_single_role_without_preferred() -> None:
    assert _resolve(TOKEN_DENY, {"cognito:roles": [VET]}) == VET


def test_token_multiple_roles_deny() -> None:
    with pytest.raises(AwsError) as excinfo:
        _resolve(TOKEN_DENY, {"cognito:roles": [ADMIN, VET]})
    assert _code(excinfo) == "NotAuthorizedException"
    assert excinfo.value.message == f"The ambiguous role mapping rules for: {PROVIDER} denied this request."


def test_token_multiple_roles_authenticated_role() -> None:
    assert _resolve(TOKEN_AUTH, {"cognito:roles": [ADMIN, VET]}) == AUTH


def test_token_no_role_claims_gets_authenticated_role() -> None:
    assert _resolve(TOKEN_DENY, {"sub": "x"}) == AUTH


def test_comma_separated_roles_are_understood() -> None:
    assert token_roles({"cognito:roles": f"{ADMIN}, {VET}"}) == [ADMIN, VET]
    with pytest.raises(AwsError):
        _resolve(TOKEN_DENY, {"cognito:roles": f"{ADMIN},{VET}"})


def test_no_mapping_gets_authenticated_role_even_with_role_claims() -> None:
    assert _resolve(None, {"cognito:roles": [ADMIN], "cognito:preferred_role": ADMIN}) == AUTH


@pytest.mark.parametrize(
    ("mapping", "claims"),
    [
        (None, {}),
        (TOKEN_DENY, {}),
        (TOKEN_AUTH, {"cognito:roles": [ADMIN, VET]}),
        (_rules(_rule("email", "Equals", "a@b"), resolution="AuthenticatedRole"), {"email": "c@d"}),
    ],
    ids=["no-mapping", "token-no-claims", "token-ambiguous", "rules-no-match"],
)
def test_missing_authenticated_role_is_a_configuration_error(
    mapping: dict[str, Any] | None, claims: dict[str, Any]
) -> None:
    with pytest.raises(AwsError) as excinfo:
        _resolve(mapping, claims, authenticated_role=None)
    assert _code(excinfo) == "InvalidIdentityPoolConfigurationException"


def test_custom_role_arn_must_be_in_the_token_roles() -> None:
    claims = {"cognito:roles": [ADMIN, VET], "cognito:preferred_role": ADMIN}
    assert _resolve(TOKEN_DENY, claims, custom_role_arn=VET) == VET  # wins over the preferred role
    with pytest.raises(AwsError) as excinfo:
        _resolve(TOKEN_DENY, claims, custom_role_arn=AUTH)
    assert _code(excinfo) == "NotAuthorizedException"


def test_custom_role_arn_under_rules_picks_only_among_matching_rules() -> None:
    """AWS: the first matching rule's role is used "unless CustomRoleArn is specified to override the
    order"; a user can assume a rule's role only when it has the matching claim value."""
    claims = {"cognito:roles": [ADMIN, VET], "email": "x", "custom:dept": "vets"}
    rules = _rules(_rule("email", "Equals", "x", ADMIN), _rule("custom:dept", "Equals", "vets", VET))
    assert _resolve(rules, claims) == ADMIN  # first match
    assert _resolve(rules, claims, custom_role_arn=VET) == VET  # overrides the order: its rule matches
    only_admin = _rules(_rule("email", "Equals", "x", ADMIN), _rule("custom:dept", "Equals", "other", VET))
    assert _resolve(only_admin, claims, custom_role_arn=ADMIN) == ADMIN
    with pytest.raises(AwsError) as excinfo:
        _resolve(only_admin, claims, custom_role_arn=VET)  # in cognito:roles, but its rule does not match
    assert _code(excinfo) == "NotAuthorizedException"
    with pytest.raises(AwsError):
        _resolve(None, claims, custom_role_arn=VET)


def test_rules_on_the_preferred_role_hand_out_only_the_preferred_role() -> None:
    """The product's default mapping: one rule per group role on cognito:preferred_role. A user in
    two groups holds both roles in cognito:roles, but only its preferred role's rule matches."""
    rules = _rules(
        _rule("cognito:preferred_role", "Equals", ADMIN, ADMIN),
        _rule("cognito:preferred_role", "Equals", VET, VET),
    )
    two_groups = {"cognito:roles": [VET, ADMIN], "cognito:preferred_role": VET}
    assert _resolve(rules, two_groups) == VET
    assert _resolve(rules, two_groups, custom_role_arn=VET) == VET
    with pytest.raises(AwsError) as excinfo:
        _resolve(rules, two_groups, custom_role_arn=ADMIN)
    assert _code(excinfo) == "NotAuthorizedException"
    with pytest.raises(AwsError) as excinfo:
        _resolve(rules, {"email": "no-group@example.com"})  # no group: no rule, Deny
    assert _code(excinfo) == "NotAuthorizedException"


# --- Rules mapping ----------------------------------------------------------------------------------


def test_first_matching_rule_wins() -> None:
    mapping = _rules(_rule("email", "StartsWith", "vet", VET), _rule("email", "Contains", "@", ADMIN))
    assert _resolve(mapping, {"email": "vet@x.io"}) == VET
    assert _resolve(mapping, {"email": "ops@x.io"}) == ADMIN


def test_no_rule_matching_with_deny_and_with_authenticated_role() -> None:
    deny = _rules(_rule("email", "Equals", "a@b"))
    with pytest.raises(AwsError) as excinfo:
        _resolve(deny, {"email": "c@d"})
    assert _code(excinfo) == "NotAuthorizedException"
    assert (
        _resolve(_rules(_rule("email", "Equals", "a@b"), resolution="AuthenticatedRole"), {"email": "c@d"})
        == AUTH
    )


@pytest.mark.parametrize(
    ("match", "value", "claim", "expected"),
    [
        ("Equals", "admin", "admin", True),
        ("Equals", "admin", "Admin", False),
        ("Contains", "dmi", "admin", True),
        ("Contains", "xyz", "admin", False),
        ("StartsWith", "ad", "admin", True),
        ("StartsWith", "min", "admin", False),
        ("NotEqual", "admin", "vet", True),
        ("NotEqual", "admin", "admin", False),
        ("Equals", "true", True, True),
        ("Equals", "admin", ["vet", "admin"], True),
        ("NotEqual", "admin", ["vet", "admin"], False),
        ("Contains", "dm", ["vet", "admin"], True),
    ],
)
def test_match_types(match: str, value: str, claim: Any, expected: bool) -> None:
    assert rule_matches(_rule("c", match, value), {"c": claim}) is expected


@pytest.mark.parametrize("match", ["Equals", "Contains", "StartsWith", "NotEqual"])
def test_a_missing_claim_never_matches(match: str) -> None:
    assert rule_matches(_rule("department", match, "x"), {"email": "a@b"}) is False

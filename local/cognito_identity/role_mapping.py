"""Identity-pool roles and role mappings: shape validation and role resolution.

Pure logic, no moto. The behaviour follows the Cognito Identity API reference (SetIdentityPoolRoles,
RoleMapping, MappingRule, GetCredentialsForIdentity) and the Developer Guide, "Role-based access
control" ("Using tokens to assign roles to users", "Using rule-based mapping"):

Token mapping, in order:
1. `CustomRoleArn` given: it must be one of the token's `cognito:roles`, else the request is denied.
2. `cognito:preferred_role` present: that role.
3. exactly one `cognito:roles` entry: that role; several: ambiguous (see below).
4. no role claims at all: the pool's authenticated role.

Rules mapping: the first rule (in order) whose claim matches gives the role, unless `CustomRoleArn`
names the role of another rule that matches too ("Rules are evaluated in order, and the IAM role for
the first matching rule is used, unless CustomRoleArn is specified to override the order"; "if a user
has a matching value for the claim, the user can assume that role"); a `CustomRoleArn` that is not
the role of a matching rule is denied. No rule matches → ambiguous.
https://docs.aws.amazon.com/cognito/latest/developerguide/role-based-access-control.html

Ambiguous: `AmbiguousRoleResolution = AuthenticatedRole` → the pool's authenticated role;
`Deny` → NotAuthorizedException ("The ambiguous role mapping rules for: <provider> denied this
request.", the message Cognito returns). No mapping for the provider → the authenticated role.
Whenever the answer is "the authenticated role" and the pool has none, the request fails with
InvalidIdentityPoolConfigurationException: there is never a made-up default.

Choices where AWS documents nothing (each fails closed): with no mapping for the provider, or when
no rule matches, `CustomRoleArn` must equal the role the pool resolves anyway (the authenticated
role), else the request is denied. A rule on a claim the token lacks never matches
(also for `NotEqual`), so a missing claim cannot grant a role; a list-valued claim (e.g.
`cognito:groups`) matches when any of its members matches (`NotEqual`: when none equals the value).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from local.core.errors import (
    AwsError,
    invalid_parameter,
    invalid_pool_configuration,
    not_authorized,
    validation_error,
)

MAPPING_TYPES = ("Token", "Rules")
AMBIGUOUS_RESOLUTIONS = ("AuthenticatedRole", "Deny")
MATCH_TYPES = ("Equals", "Contains", "StartsWith", "NotEqual")
ROLE_KEYS = ("authenticated", "unauthenticated")
MAX_ROLE_MAPPINGS = 10
MAX_RULES = 400
ARN_MIN, ARN_MAX = 20, 2048
CLAIM_MAX = 64
VALUE_MAX = 128
PROVIDER_KEY_MAX = 128
# The API's claim pattern is [\p{L}\p{M}\p{S}\p{N}\p{P}]+: letters, marks, symbols, numbers and
# punctuation, i.e. no whitespace or control characters.
_CLAIM_RE = re.compile(r"^[^\s\x00-\x1f\x7f]+$")


def _constraint(value: object, where: str, constraint: str) -> AwsError:
    return validation_error(
        f"1 validation error detected: Value '{value}' at '{where}' failed to satisfy constraint: "
        f"{constraint}"
    )


def _check_arn(value: object, where: str) -> str:
    if not isinstance(value, str) or not ARN_MIN <= len(value) <= ARN_MAX:
        raise _constraint(value, where, f"Member must have length between {ARN_MIN} and {ARN_MAX}")
    return value


def validate_roles(roles: object) -> dict[str, str]:
    """Check the `Roles` map of SetIdentityPoolRoles; return a clean copy."""
    if not isinstance(roles, Mapping):
        raise _constraint(roles, "roles", "Member must be a map")
    if len(roles) > len(ROLE_KEYS):
        raise _constraint(roles, "roles", "Member must have at most 2 entries")
    clean: dict[str, str] = {}
    for key, arn in roles.items():
        if key not in ROLE_KEYS:
            raise _constraint(
                key,
                "roles",
                "Map keys must satisfy constraint: "
                "[Member must satisfy regular expression pattern: (un)?authenticated]",
            )
        clean[str(key)] = _check_arn(arn, f"roles.{key}")
    return clean


def _validate_rule(rule: object, where: str) -> dict[str, str]:
    if not isinstance(rule, Mapping):
        raise _constraint(rule, where, "Member must be a structure")
    for member in ("Claim", "MatchType", "Value", "RoleARN"):
        if member not in rule:
            raise _constraint(None, f"{where}.{member[0].lower()}{member[1:]}", "Member must not be null")
    claim, match_type, value = rule["Claim"], rule["MatchType"], rule["Value"]
    if not isinstance(claim, str) or not 1 <= len(claim) <= CLAIM_MAX or not _CLAIM_RE.match(claim):
        raise _constraint(
            claim, f"{where}.claim", f"Member must have length between 1 and {CLAIM_MAX} and no whitespace"
        )
    if match_type not in MATCH_TYPES:
        raise _constraint(
            match_type,
            f"{where}.matchType",
            f"Member must satisfy enum value set: [{', '.join(MATCH_TYPES)}]",
        )
    if not isinstance(value, str) or not 1 <= len(value) <= VALUE_MAX:
        raise _constraint(value, f"{where}.value", f"Member must have length between 1 and {VALUE_MAX}")
    return {
        "Claim": claim,
        "MatchType": str(match_type),
        "Value": value,
        "RoleARN": _check_arn(rule["RoleARN"], f"{where}.roleARN"),
    }


def validate_role_mapping(key: str, mapping: object) -> dict[str, Any]:
    """Check one RoleMapping (the value under provider `key`); return a clean copy."""
    where = f"roleMappings.{key}.member"
    if not isinstance(mapping, Mapping):
        raise _constraint(mapping, where, "Member must be a structure")
    mapping_type = mapping.get("Type")
    if mapping_type is None:
        raise _constraint(None, f"{where}.type", "Member must not be null")
    if mapping_type not in MAPPING_TYPES:
        raise _constraint(
            mapping_type, f"{where}.type", f"Member must satisfy enum value set: [{', '.join(MAPPING_TYPES)}]"
        )
    resolution = mapping.get("AmbiguousRoleResolution")
    if resolution is None:
        raise invalid_parameter(
            f"AmbiguousRoleResolution must be specified for {mapping_type} role mapping of {key}"
        )
    if resolution not in AMBIGUOUS_RESOLUTIONS:
        raise _constraint(
            resolution,
            f"{where}.ambiguousRoleResolution",
            f"Member must satisfy enum value set: [{', '.join(AMBIGUOUS_RESOLUTIONS)}]",
        )
    clean: dict[str, Any] = {"Type": str(mapping_type), "AmbiguousRoleResolution": str(resolution)}
    rules_config = mapping.get("RulesConfiguration")
    if mapping_type == "Rules" and (not isinstance(rules_config, Mapping) or not rules_config.get("Rules")):
        raise invalid_parameter(
            f"RulesConfiguration with at least one rule is required for Rules role mapping of {key}"
        )
    if rules_config is not None:
        if not isinstance(rules_config, Mapping):
            raise _constraint(rules_config, f"{where}.rulesConfiguration", "Member must be a structure")
        rules = rules_config.get("Rules")
        if not isinstance(rules, Sequence) or isinstance(rules, str) or not 1 <= len(rules) <= MAX_RULES:
            raise _constraint(
                rules,
                f"{where}.rulesConfiguration.rules",
                f"Member must have between 1 and {MAX_RULES} items",
            )
        clean["RulesConfiguration"] = {
            "Rules": [
                _validate_rule(rule, f"{where}.rulesConfiguration.rules.{i + 1}.member")
                for i, rule in enumerate(rules)
            ]
        }
    return clean


def validate_role_mappings(mappings: object) -> dict[str, dict[str, Any]]:
    """Check the `RoleMappings` map of SetIdentityPoolRoles; return a clean copy."""
    if not isinstance(mappings, Mapping):
        raise _constraint(mappings, "roleMappings", "Member must be a map")
    if len(mappings) > MAX_ROLE_MAPPINGS:
        raise _constraint(
            len(mappings), "roleMappings", f"Member must have at most {MAX_ROLE_MAPPINGS} entries"
        )
    clean: dict[str, dict[str, Any]] = {}
    for key, mapping in mappings.items():
        if not isinstance(key, str) or not 1 <= len(key) <= PROVIDER_KEY_MAX:
            raise _constraint(
                key, "roleMappings", f"Map keys must have length between 1 and {PROVIDER_KEY_MAX}"
            )
        clean[key] = validate_role_mapping(key, mapping)
    return clean


def _claim_strings(value: Any) -> list[str] | None:
    """A claim as the list of strings rules compare against (None when the claim is absent)."""
    if value is None:
        return None
    items = value if isinstance(value, list | tuple) else [value]
    out: list[str] = []
    for item in items:
        if isinstance(item, bool):
            out.append("true" if item else "false")
        else:
            out.append(str(item))
    return out


def rule_matches(rule: Mapping[str, str], claims: Mapping[str, Any]) -> bool:
    """Whether one MappingRule matches the token's claims (see the module docstring for lists)."""
    values = _claim_strings(claims.get(rule["Claim"]))
    if values is None:
        return False
    expected = rule["Value"]
    match_type = rule["MatchType"]
    if match_type == "Equals":
        return expected in values
    if match_type == "NotEqual":
        return expected not in values
    if match_type == "Contains":
        return any(expected in v for v in values)
    if match_type == "StartsWith":
        return any(v.startswith(expected) for v in values)
    return False  # validated on write; an unknown type never grants


def token_roles(claims: Mapping[str, Any]) -> list[str]:
    """The token's `cognito:roles`: a JSON list in Cognito's tokens (a comma-separated string is accepted)."""
    raw = claims.get("cognito:roles")
    if raw is None:
        return []
    if isinstance(raw, str):
        return [part.strip() for part in raw.split(",") if part.strip()]
    if isinstance(raw, list | tuple):
        return [str(part) for part in raw]
    return []


@dataclass(frozen=True)
class RoleDecision:
    """The role chosen for a login and why (the reason goes into the emulator's decision log)."""

    role_arn: str
    reason: str


def _authenticated(authenticated_role: str | None, reason: str) -> RoleDecision:
    if not authenticated_role:
        raise invalid_pool_configuration()
    return RoleDecision(authenticated_role, reason)


def _ambiguous(mapping: Mapping[str, Any], provider: str, authenticated_role: str | None) -> RoleDecision:
    if mapping.get("AmbiguousRoleResolution") == "AuthenticatedRole":
        return _authenticated(authenticated_role, "ambiguous: AuthenticatedRole")
    raise not_authorized(f"The ambiguous role mapping rules for: {provider} denied this request.")


def _resolve_token(
    provider: str, mapping: Mapping[str, Any], claims: Mapping[str, Any], authenticated_role: str | None
) -> RoleDecision:
    preferred = claims.get("cognito:preferred_role")
    if isinstance(preferred, str) and preferred:
        return RoleDecision(preferred, "token: cognito:preferred_role")
    roles = token_roles(claims)
    if len(roles) == 1:
        return RoleDecision(roles[0], "token: single cognito:roles entry")
    if len(roles) > 1:
        return _ambiguous(mapping, provider, authenticated_role)
    return _authenticated(authenticated_role, "token: no role claims: authenticated role")


def _resolve_rules(
    provider: str,
    mapping: Mapping[str, Any],
    claims: Mapping[str, Any],
    authenticated_role: str | None,
    custom_role_arn: str | None,
) -> RoleDecision:
    rules = mapping.get("RulesConfiguration", {}).get("Rules", [])
    matched = [(index, rule) for index, rule in enumerate(rules) if rule_matches(rule, claims)]
    for index, rule in matched:
        if custom_role_arn and rule["RoleARN"] == custom_role_arn:
            return RoleDecision(
                custom_role_arn, f"rules: CustomRoleArn is the role of matching rule {index + 1}"
            )
    if matched:
        index, rule = matched[0]
        return RoleDecision(
            rule["RoleARN"], f"rules: rule {index + 1} matched ({rule['Claim']} {rule['MatchType']})"
        )
    return _ambiguous(mapping, provider, authenticated_role)


def resolve_role(
    *,
    provider: str,
    mapping: Mapping[str, Any] | None,
    claims: Mapping[str, Any],
    authenticated_role: str | None,
    custom_role_arn: str | None = None,
) -> RoleDecision:
    """Choose the IAM role for an authenticated login, or raise the AwsError Cognito would return.

    `provider` is the Logins key (used in messages), `mapping` the pool's RoleMapping for this
    provider's mapping key (None when there is none), `claims` the verified token's claims.
    """
    token_mapping = mapping is not None and mapping.get("Type") == "Token"
    if custom_role_arn and token_mapping:
        if custom_role_arn not in token_roles(claims):
            raise not_authorized(
                f"CustomRoleArn {custom_role_arn} is not one of the roles the token of {provider} allows "
                "(cognito:roles)."
            )
        return RoleDecision(custom_role_arn, "token: CustomRoleArn")
    if mapping is None:
        decision = _authenticated(authenticated_role, "no role mapping for provider: authenticated role")
    elif token_mapping:
        decision = _resolve_token(provider, mapping, claims, authenticated_role)
    elif mapping.get("Type") == "Rules":
        decision = _resolve_rules(provider, mapping, claims, authenticated_role, custom_role_arn)
    else:
        raise invalid_pool_configuration()
    if custom_role_arn and custom_role_arn != decision.role_arn:
        # Rules: not the role of any matching rule; no mapping: not the authenticated role.
        raise not_authorized(f"CustomRoleArn {custom_role_arn} is not a role mapped for {provider}.")
    return decision

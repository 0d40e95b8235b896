"""Would STS let Cognito assume this role? A small evaluator for role trust policies.

On AWS, GetCredentialsForIdentity calls STS AssumeRoleWithWebIdentity with a Cognito OpenID token
whose context keys are `cognito-identity.amazonaws.com:aud` (the identity pool id),
`cognito-identity.amazonaws.com:sub` (the identity id) and the multi-valued
`cognito-identity.amazonaws.com:amr` ("authenticated" or "unauthenticated", plus the login
providers). If the role's trust policy does not allow that, the call fails. The emulator
evaluates the trust policy the same way so that a wrong trust policy fails locally too.

Supported: Effect Allow/Deny (explicit Deny wins), Principal `*` or `{"Federated": ...}`, Action
with `*`/`?` wildcards, and the string condition operators (`StringEquals`, `StringNotEquals`,
`StringEqualsIgnoreCase`, `StringNotEqualsIgnoreCase`, `StringLike`, `StringNotLike`), each with the
`ForAnyValue:`/`ForAllValues:` qualifiers and the `IfExists` suffix, plus `Null`. Anything else
(NotPrincipal, NotAction, other operators) makes the statement not apply to an Allow and apply to a
Deny, so an unsupported policy fails closed.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping, Sequence
from typing import Any

COGNITO_PRINCIPAL = "cognito-identity.amazonaws.com"
ASSUME_ACTION = "sts:AssumeRoleWithWebIdentity"

_STRING_OPERATORS = {
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
}


class UnsupportedPolicy(ValueError):
    """The statement uses something this evaluator does not model."""


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def _wildcard(pattern: str, value: str, *, ignore_case: bool) -> bool:
    if ignore_case:
        pattern, value = pattern.lower(), value.lower()
    # fnmatchcase treats [ ] specially; IAM does not, so escape them first.
    escaped = pattern.replace("[", "[[]")
    return fnmatch.fnmatchcase(value, escaped)


def _single_match(base: str, policy_value: str, context_value: str) -> bool:
    if base in ("StringEquals", "StringNotEquals"):
        return policy_value == context_value
    if base in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
        return policy_value.lower() == context_value.lower()
    return _wildcard(policy_value, context_value, ignore_case=False)  # StringLike / StringNotLike


def _condition_holds(operator: str, policy_values: list[str], context_value: list[str] | None) -> bool:
    qualifier = ""
    if ":" in operator:
        qualifier, operator = operator.split(":", 1)
        if qualifier not in ("ForAnyValue", "ForAllValues"):
            raise UnsupportedPolicy(f"condition qualifier {qualifier}")
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    if base == "Null":
        wants_null = [str(v).lower() for v in policy_values]
        return ("true" in wants_null) == (context_value is None)
    if base not in _STRING_OPERATORS:
        raise UnsupportedPolicy(f"condition operator {operator}")
    negated = "Not" in base
    if context_value is None:
        # IfExists and ForAllValues hold vacuously; ForAnyValue fails; otherwise a missing key
        # equals nothing (so only the negated operators hold).
        return if_exists or qualifier == "ForAllValues" or (qualifier != "ForAnyValue" and negated)
    values = [str(v) for v in policy_values]

    def positive(item: str) -> bool:
        return any(_single_match(base, pv, item) for pv in values)

    if qualifier == "ForAllValues":
        results = [positive(item) for item in context_value]
        return all((not r) if negated else r for r in results)
    # No qualifier on a multi-valued key behaves like ForAnyValue here (AWS recommends qualifiers).
    if negated:
        return any(not positive(item) for item in context_value)
    return any(positive(item) for item in context_value)


def _conditions_hold(conditions: Mapping[str, Any], context: Mapping[str, list[str]]) -> bool:
    for operator, block in conditions.items():
        if not isinstance(block, Mapping):
            raise UnsupportedPolicy("condition block is not a map")
        for key, policy_values in block.items():
            context_value = context.get(str(key).lower())
            if not _condition_holds(str(operator), [str(v) for v in _as_list(policy_values)], context_value):
                return False
    return True


def _principal_matches(statement: Mapping[str, Any], principal: str) -> bool:
    if "NotPrincipal" in statement:
        raise UnsupportedPolicy("NotPrincipal")
    value = statement.get("Principal")
    if value == "*":
        return True
    if isinstance(value, Mapping):
        return principal in _as_list(value.get("Federated"))
    return False


def _action_matches(statement: Mapping[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        raise UnsupportedPolicy("NotAction")
    return any(_wildcard(str(a), action, ignore_case=True) for a in _as_list(statement.get("Action")))


def _statement_applies(
    statement: Mapping[str, Any], principal: str, action: str, context: Mapping[str, list[str]]
) -> bool:
    return (
        _principal_matches(statement, principal)
        and _action_matches(statement, action)
        and _conditions_hold(statement.get("Condition") or {}, context)
    )


def trust_allows(
    policy: str | Mapping[str, Any],
    context: Mapping[str, str | Sequence[str]],
    *,
    principal: str = COGNITO_PRINCIPAL,
    action: str = ASSUME_ACTION,
) -> bool:
    """Whether the trust `policy` (JSON text or parsed) lets `principal` do `action` in `context`.

    `context` maps condition keys (any case) to a value or a list of values.
    """
    try:
        document = json.loads(policy) if isinstance(policy, str) else policy
    except json.JSONDecodeError:
        return False
    if not isinstance(document, Mapping):
        return False
    ctx = {k.lower(): ([v] if isinstance(v, str) else list(v)) for k, v in context.items()}
    allowed = False
    for statement in _as_list(document.get("Statement")):
        if not isinstance(statement, Mapping):
            continue
        effect = statement.get("Effect")
        try:
            applies = _statement_applies(statement, principal, action, ctx)
        except UnsupportedPolicy:
            applies = effect == "Deny"  # fail closed
        if applies and effect == "Deny":
            return False
        if applies and effect == "Allow":
            allowed = True
    return allowed


def cognito_context(
    identity_pool_id: str, identity_id: str, amr: Sequence[str]
) -> dict[str, str | list[str]]:
    """The condition keys STS sees for a Cognito identity (see the module docstring)."""
    return {
        f"{COGNITO_PRINCIPAL}:aud": identity_pool_id,
        f"{COGNITO_PRINCIPAL}:sub": identity_id,
        f"{COGNITO_PRINCIPAL}:amr": list(amr),
    }

"""Would STS let Cognito assume this role? Role trust policies, checked the way STS does.

On AWS, GetCredentialsForIdentity calls STS AssumeRoleWithWebIdentity with a Cognito OpenID token
whose context keys are `cognito-identity.amazonaws.com:aud` (the identity pool id),
`cognito-identity.amazonaws.com:sub` (the identity id) and the multi-valued
`cognito-identity.amazonaws.com:amr` ("authenticated" or "unauthenticated", plus the login
providers). If the role's trust policy does not allow that, the call fails. The emulator
evaluates the trust policy the same way so that a wrong trust policy fails locally too.

Action and condition matching are the project's one IAM evaluator (`tools.iam_policy`: every
condition operator, qualifiers, `IfExists`, `Null`, policy variables, and AWS's NOR rule for a
negated operator on a multivalued key such as `amr`). This module adds only what a trust policy
has and an identity policy does not: the `Principal` (`*` or `{"Federated": ...}`). Explicit Deny
wins. What it does not model (`NotPrincipal`, `NotAction`, an unknown condition operator) makes a
statement not apply to an Allow and apply to a Deny, so an unsupported policy fails closed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from tools.iam_policy import VARIABLES_VERSION, PolicyError, action_matches, conditions_hold

COGNITO_PRINCIPAL = "cognito-identity.amazonaws.com"
ASSUME_ACTION = "sts:AssumeRoleWithWebIdentity"


class UnsupportedPolicy(ValueError):
    """The statement uses something this evaluator does not model."""


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


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
    return action_matches((str(a) for a in _as_list(statement.get("Action"))), action)


def _statement_applies(
    statement: Mapping[str, Any],
    principal: str,
    action: str,
    context: Mapping[str, list[str]],
    *,
    variables: bool,
) -> bool:
    condition = statement.get("Condition") or {}
    if not isinstance(condition, Mapping):
        raise UnsupportedPolicy("condition block is not a map")
    try:
        return (
            _principal_matches(statement, principal)
            and _action_matches(statement, action)
            and conditions_hold(condition, context, variables=variables)
        )
    except PolicyError as exc:
        raise UnsupportedPolicy(str(exc)) from exc


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
    variables = str(document.get("Version", "")) == VARIABLES_VERSION
    ctx = {k: ([v] if isinstance(v, str) else list(v)) for k, v in context.items()}
    allowed = False
    for statement in _as_list(document.get("Statement")):
        if not isinstance(statement, Mapping):
            continue
        effect = statement.get("Effect")
        try:
            applies = _statement_applies(statement, principal, action, ctx, variables=variables)
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

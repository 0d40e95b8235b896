"""Trust-policy evaluation: would STS let Cognito assume the role for this identity?"""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.cognito_identity.trust import cognito_context, trust_allows
from tools.iam_policy import evaluate

POOL = "us-east-1:11111111-2222-3333-4444-555555555555"
PROVIDER = "cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool"
AUTHENTICATED = cognito_context(POOL, "us-east-1:identity", ["authenticated", PROVIDER])
GUEST = cognito_context(POOL, "us-east-1:identity", ["unauthenticated"])


def _statement(**overrides: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Federated": "cognito-identity.amazonaws.com"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {
            "StringEquals": {"cognito-identity.amazonaws.com:aud": POOL},
            "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"},
        },
    }
    statement.update(overrides)
    return statement


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_documented_trust_policy_admits_authenticated_identities_of_the_pool() -> None:
    assert trust_allows(_policy(_statement()), AUTHENTICATED)


def test_other_pool_is_refused() -> None:
    assert not trust_allows(
        _policy(_statement()), cognito_context("us-east-1:other", "id", ["authenticated"])
    )


def test_unauthenticated_identity_is_refused_by_an_authenticated_role() -> None:
    assert not trust_allows(_policy(_statement()), GUEST)


@pytest.mark.parametrize(
    "overrides",
    [
        {"Principal": {"Federated": "accounts.google.com"}},
        {"Principal": {"Service": "lambda.amazonaws.com"}},
        {"Action": "sts:AssumeRole"},
        {"Effect": "Deny"},
        {"NotPrincipal": {"Federated": "x"}},
    ],
    ids=["other-federated", "service", "other-action", "deny", "not-principal"],
)
def test_policies_that_do_not_allow_cognito_are_refused(overrides: dict[str, Any]) -> None:
    assert not trust_allows(_policy(_statement(**overrides)), AUTHENTICATED)


def test_explicit_deny_wins_over_allow() -> None:
    deny = _statement(
        Effect="Deny",
        Condition={"ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "cognito-idp.*"}},
    )
    assert not trust_allows(_policy(_statement(), deny), AUTHENTICATED)


def test_wildcards_and_lists_in_principal_and_action() -> None:
    statement = _statement(
        Principal={"Federated": ["accounts.google.com", "cognito-identity.amazonaws.com"]},
        Action=["sts:AssumeRoleWith*"],
    )
    assert trust_allows(_policy(statement), AUTHENTICATED)


def test_amr_can_name_the_provider() -> None:
    statement = _statement(
        Condition={
            "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "cognito-idp.*/us-east-1_Pool"}
        }
    )
    assert trust_allows(_policy(statement), AUTHENTICATED)


def test_missing_condition_key_fails_positive_operators() -> None:
    statement = _statement(Condition={"StringEquals": {"cognito-identity.amazonaws.com:unknown": "x"}})
    assert not trust_allows(_policy(statement), AUTHENTICATED)


def test_negated_and_if_exists_operators() -> None:
    negated = _statement(
        Condition={"StringNotEquals": {"cognito-identity.amazonaws.com:aud": "us-east-1:other"}}
    )
    assert trust_allows(_policy(negated), AUTHENTICATED)
    if_exists = _statement(
        Condition={"StringEqualsIfExists": {"cognito-identity.amazonaws.com:unknown": "x"}}
    )
    assert trust_allows(_policy(if_exists), AUTHENTICATED)
    for_all = _statement(
        Condition={"ForAllValues:StringLike": {"cognito-identity.amazonaws.com:amr": ["authenticated"]}}
    )
    assert not trust_allows(_policy(for_all), AUTHENTICATED)  # the provider entry is not "authenticated"


def test_unsupported_operator_fails_closed() -> None:
    statement = _statement(Condition={"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}})
    assert not trust_allows(_policy(statement), AUTHENTICATED)


def test_condition_keys_are_case_insensitive_and_bad_json_is_refused() -> None:
    statement = _statement(Condition={"StringEquals": {"Cognito-Identity.amazonaws.com:AUD": POOL}})
    assert trust_allows(_policy(statement), AUTHENTICATED)
    assert not trust_allows("{not json", AUTHENTICATED)


AMR = "cognito-identity.amazonaws.com:amr"
GOOGLE_LOGIN = cognito_context(POOL, "us-east-1:identity", ["authenticated", "accounts.google.com"])


def test_negated_operator_on_multivalued_amr_holds_only_when_no_value_matches() -> None:
    """AWS evaluates a negated operator over a multivalued key as a NOR: one value that matches
    makes it false, even when the other values do not match. (The emulator once had its own
    condition code that let any non-matching value through; it now uses tools.iam_policy.)
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html"""
    statement = _statement(
        Condition={
            "StringEquals": {"cognito-identity.amazonaws.com:aud": POOL},
            "StringNotLike": {AMR: "cognito-idp.*"},
        }
    )
    assert not trust_allows(_policy(statement), AUTHENTICATED)  # amr holds "cognito-idp.<region>..."
    assert trust_allows(_policy(statement), GOOGLE_LOGIN)  # no amr value is a user-pool login
    deny_user_pools = _statement(Effect="Deny", Condition={"StringNotEquals": {AMR: "accounts.google.com"}})
    assert trust_allows(_policy(_statement(), deny_user_pools), GOOGLE_LOGIN)
    assert not trust_allows(_policy(_statement(), deny_user_pools), AUTHENTICATED)


@pytest.mark.parametrize(
    "condition",
    [
        {"StringNotEquals": {AMR: "unauthenticated"}},
        {"StringNotLike": {AMR: ["cognito-idp.*", "graph.facebook.com"]}},
        {"ForAnyValue:StringNotLike": {AMR: "cognito-idp.*"}},
        {"ForAllValues:StringNotEquals": {AMR: "unauthenticated"}},
        {"StringEqualsIgnoreCase": {AMR: "AUTHENTICATED"}},
        {"Null": {"cognito-identity.amazonaws.com:unknown": "true"}},
        {"StringLike": {"cognito-identity.amazonaws.com:sub": "${cognito-identity.amazonaws.com:sub}"}},
    ],
)
def test_trust_conditions_are_decided_by_the_one_iam_evaluator(condition: dict[str, Any]) -> None:
    """The trust check and the gateway's evaluator give the same verdict for every condition."""
    trust = trust_allows(_policy(_statement(Condition=condition)), AUTHENTICATED)
    identity_policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:*", "Resource": "*", "Condition": condition}],
    }
    decision = evaluate([identity_policy], "sts:AssumeRoleWithWebIdentity", "*", AUTHENTICATED)
    assert trust == decision.allowed


@pytest.mark.parametrize("effect", ["Allow", "Deny"])
def test_unknown_condition_operator_fails_closed(effect: str) -> None:
    unknown = _statement(Effect=effect, Condition={"StringMatchesRegex": {AMR: ".*"}})
    statements = [unknown] if effect == "Allow" else [_statement(), unknown]
    assert not trust_allows(_policy(*statements), AUTHENTICATED)

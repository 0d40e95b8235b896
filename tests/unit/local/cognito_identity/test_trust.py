"""Trust-policy evaluation: would STS let Cognito assume the role for this identity?"""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.emulator.trust import cognito_context, trust_allows

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

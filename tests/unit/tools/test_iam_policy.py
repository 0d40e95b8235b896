"""The IAM policy evaluator: each rule API Gateway relies on, one test (or table row) per rule."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from tools.iam_policy import Effect, PolicyError, evaluate, load_document, method_arn, validate

API = "arn:aws:execute-api:us-east-1:123456789012:abc123/local"
INVOKE = "execute-api:Invoke"


def policy(*statements: dict[str, Any], version: str = "2012-10-17") -> dict[str, Any]:
    return {"Version": version, "Statement": list(statements)}


def allow(resource: Any, action: Any = INVOKE, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(resource: Any, action: Any = INVOKE, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def test_method_arn_has_the_execute_api_shape() -> None:
    arn = method_arn(
        region="us-east-1",
        account_id="123456789012",
        api_id="abc123",
        stage="local",
        http_method="get",
        path="/cip",
    )
    assert arn == f"{API}/GET/cip"
    root = method_arn(
        region="us-east-1",
        account_id="123456789012",
        api_id="abc123",
        stage="local",
        http_method="GET",
        path="/",
    )
    assert root == f"{API}/GET/"


def test_allow_matches_exact_resource_and_nothing_else() -> None:
    doc = policy(allow(f"{API}/GET/cip", Sid="Cip"))
    decision = evaluate([doc], INVOKE, f"{API}/GET/cip")
    assert decision.effect is Effect.ALLOW
    assert decision.sid == "Cip"
    assert evaluate([doc], INVOKE, f"{API}/POST/cip").effect is Effect.IMPLICIT_DENY
    assert evaluate([doc], INVOKE, f"{API}/GET/cip/extra").effect is Effect.IMPLICIT_DENY


def test_no_policies_is_implicit_deny() -> None:
    assert evaluate([], INVOKE, f"{API}/GET/cip").effect is Effect.IMPLICIT_DENY


def test_explicit_deny_wins_over_allow_in_any_policy_and_order() -> None:
    allow_all = policy(allow("*", Sid="All"))
    deny_one = policy(deny(f"{API}/DELETE/news", Sid="NoDelete"))
    for order in ([allow_all, deny_one], [deny_one, allow_all]):
        decision = evaluate(order, INVOKE, f"{API}/DELETE/news")
        assert decision.effect is Effect.EXPLICIT_DENY
        assert decision.sid == "NoDelete"
    assert evaluate([allow_all, deny_one], INVOKE, f"{API}/GET/news").allowed


def test_action_matching_is_case_insensitive_with_wildcards() -> None:
    assert evaluate([policy(allow("*", action="EXECUTE-API:invoke"))], INVOKE, f"{API}/GET/x").allowed
    assert evaluate([policy(allow("*", action="execute-api:*"))], INVOKE, f"{API}/GET/x").allowed
    assert evaluate([policy(allow("*", action="execute-api:Inv?ke"))], INVOKE, f"{API}/GET/x").allowed
    assert not evaluate(
        [policy(allow("*", action="execute-api:ManageConnections"))], INVOKE, f"{API}/GET/x"
    ).allowed
    assert evaluate(
        [policy(allow("*", action=["s3:GetObject", "execute-api:Invoke"]))], INVOKE, f"{API}/GET/x"
    ).allowed


def test_not_action_applies_to_every_other_action() -> None:
    doc = policy({"Effect": "Allow", "NotAction": "execute-api:ManageConnections", "Resource": "*"})
    assert evaluate([doc], INVOKE, f"{API}/GET/x").allowed
    assert not evaluate([doc], "execute-api:ManageConnections", f"{API}/GET/x").allowed
    deny_doc = policy(allow("*"), {"Effect": "Deny", "NotAction": "execute-api:Invoke", "Resource": "*"})
    assert evaluate([deny_doc], INVOKE, f"{API}/GET/x").allowed
    assert evaluate([deny_doc], "execute-api:InvalidateCache", f"{API}/GET/x").effect is Effect.EXPLICIT_DENY


def test_not_resource_applies_to_every_other_resource() -> None:
    doc = policy({"Effect": "Allow", "Action": INVOKE, "NotResource": f"{API}/DELETE/*"})
    assert evaluate([doc], INVOKE, f"{API}/GET/news").allowed
    assert not evaluate([doc], INVOKE, f"{API}/DELETE/news").allowed
    deny_doc = policy(allow("*"), {"Effect": "Deny", "Action": INVOKE, "NotResource": f"{API}/GET/*"})
    assert evaluate([deny_doc], INVOKE, f"{API}/POST/news").effect is Effect.EXPLICIT_DENY
    assert evaluate([deny_doc], INVOKE, f"{API}/GET/news").allowed


@pytest.mark.parametrize(
    ("pattern", "resource", "expected"),
    [
        # `*` spans '/' inside the resource part of an execute-api ARN
        (f"{API}/*/petstore/v1/*", f"{API}/GET/petstore/v1/pets", True),
        (f"{API}/*/petstore/v1/*", f"{API}/DELETE/petstore/v1/pets/42", True),
        (f"{API}/*/petstore/v1/*", f"{API}/GET/petstore/v2/status", False),
        (f"{API}/*/petstore/v1/*", f"{API}/GET/petstore/v1", False),
        (f"{API}/*", f"{API}/GET/", True),
        # `?` is exactly one character
        (f"{API}/GET/pets/?", f"{API}/GET/pets/7", True),
        (f"{API}/GET/pets/?", f"{API}/GET/pets/77", False),
        (f"{API}/GET/pe?s", f"{API}/GET/pets", True),
        # wildcards work inside their colon-delimited ARN segment
        ("arn:aws:execute-api:*:123456789012:abc123/*", f"{API}/GET/x", True),
        ("arn:aws:execute-api:us-*:*:*/local/GET/x", f"{API}/GET/x", True),
        # a `*` that ends a segment may extend past the colons after it (IAM User Guide, Resource)
        ("arn:aws:execute-api:*", f"{API}/GET/x", True),
        ("arn:aws:execute-api:*:abc123/*", f"{API}/GET/x", True),
        ("arn:aws:execute-api:us-east-1:*", f"{API}/GET/x", True),
        ("arn:aws:lambda:*", f"{API}/GET/x", False),
        # ... a `*` (or `?`) inside a segment never crosses a colon
        ("arn:aws:execute-api:us-east-1:*/local/GET/x", f"{API}/GET/x", False),
        ("arn:aws:execute-api:us-*1:abc123/*", f"{API}/GET/x", False),
        ("arn:aws:execute-api:us-east-1?123456789012:abc123/*", f"{API}/GET/x", False),
        # a pattern that ends before the resource segment, without a trailing `*`, matches no API
        ("arn:aws:execute-api:us-east-1:123456789012", f"{API}/GET/x", False),
        # in the resource segment `*` spans colons too (they belong to the resource)
        ("arn:aws:s3:::bucket/*/x", "arn:aws:s3:::bucket/a:b/x", True),
        # the resource part is case-sensitive
        (f"{API}/get/x", f"{API}/GET/x", False),
        ("*", f"{API}/GET/anything", True),
        # other stages and APIs do not match
        (f"{API}/*", "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/x", False),
        (f"{API}/*", "arn:aws:execute-api:us-east-1:123456789012:zzz999/local/GET/x", False),
    ],
)
def test_resource_wildcards_follow_arn_segment_rules(pattern: str, resource: str, expected: bool) -> None:
    assert evaluate([policy(allow(pattern))], INVOKE, resource).allowed is expected


def test_a_mid_segment_star_cannot_swallow_the_account_and_api_id() -> None:
    """The review finding: a five-segment pattern whose `*` sits inside the account segment matched
    every account's and every API's `dev/GET/news`. Per AWS only a segment-final `*` crosses a
    colon, so it matches nothing; the documented short form with a segment-final `*` still works."""
    swallowing = policy(allow("arn:aws:execute-api:us-east-1:*/dev/GET/news"))
    for other in (
        "arn:aws:execute-api:us-east-1:999999999999:zzz999/dev/GET/news",
        "arn:aws:execute-api:us-east-1:123456789012:abc123/dev/GET/news",
    ):
        assert not evaluate([swallowing], INVOKE, other).allowed
    account_wide = policy(allow("arn:aws:execute-api:us-east-1:123456789012:*/dev/GET/news"))
    mine = "arn:aws:execute-api:us-east-1:123456789012:abc123/dev/GET/news"
    theirs = "arn:aws:execute-api:us-east-1:999999999999:zzz999/dev/GET/news"
    assert evaluate([account_wide], INVOKE, mine).allowed
    assert not evaluate([account_wide], INVOKE, theirs).allowed


def test_arn_condition_operators_use_the_same_segment_rules() -> None:
    def holds(pattern: str, value: str) -> bool:
        doc = policy(allow(f"{API}/*", Condition={"ArnLike": {"aws:SourceArn": pattern}}))
        return evaluate([doc], INVOKE, f"{API}/GET/x", {"aws:SourceArn": value}).allowed

    assert holds("arn:aws:execute-api:*:abc123/*", f"{API}/GET/x")
    assert not holds("arn:aws:execute-api:us-east-1:*/local/GET/x", f"{API}/GET/x")


def test_resource_list_matches_any_entry() -> None:
    doc = policy(allow([f"{API}/GET/cip", f"{API}/POST/cip"]))
    assert evaluate([doc], INVOKE, f"{API}/POST/cip").allowed
    assert not evaluate([doc], INVOKE, f"{API}/PUT/cip").allowed


def test_single_statement_object_and_json_text_are_accepted() -> None:
    doc = {"Version": "2012-10-17", "Statement": allow(f"{API}/GET/x")}
    assert evaluate([json.dumps(doc)], INVOKE, f"{API}/GET/x").allowed
    assert load_document("%7B%22Statement%22%3A%5B%5D%7D") == {"Statement": []}


@pytest.mark.parametrize(
    "document",
    [
        {"Version": "2012-10-17"},
        policy({"Effect": "Permit", "Action": INVOKE, "Resource": "*"}),
        policy({"Effect": "Allow", "Resource": "*"}),
        policy({"Effect": "Allow", "Action": INVOKE}),
        policy({"Effect": "Allow", "Action": INVOKE, "NotAction": "x:y", "Resource": "*"}),
        "not json",
        "[1, 2]",
    ],
)
def test_structurally_invalid_documents_raise(document: Any) -> None:
    with pytest.raises(PolicyError):
        evaluate([document], INVOKE, f"{API}/GET/x")
    assert validate(document)


CTX = {
    "aws:SourceIp": "10.1.2.3",
    "aws:CurrentTime": "2024-06-01T12:00:00Z",
    "aws:EpochTime": 1717243200,
    "aws:SecureTransport": False,
    "aws:PrincipalTag/team": "Vets",
    "cognito-identity.amazonaws.com:amr": [
        "authenticated",
        "cognito-idp.us-east-1.amazonaws.com/us-east-1_A",
    ],
    "cognito-identity.amazonaws.com:sub": "us-east-1:1111",
    "aws:PrincipalArn": "arn:aws:iam::123456789012:role/vets",
}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"StringEquals": {"aws:PrincipalTag/team": "Vets"}}, True),
        ({"StringEquals": {"aws:PrincipalTag/team": "vets"}}, False),
        ({"StringEquals": {"aws:principaltag/TEAM": "Vets"}}, True),  # key names are case-insensitive
        ({"StringEquals": {"aws:PrincipalTag/team": ["Admins", "Vets"]}}, True),  # values are OR-ed
        ({"StringNotEquals": {"aws:PrincipalTag/team": "Admins"}}, True),
        ({"StringNotEquals": {"aws:PrincipalTag/team": ["Admins", "Vets"]}}, False),
        ({"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "VETS"}}, True),
        ({"StringNotEqualsIgnoreCase": {"aws:PrincipalTag/team": "VETS"}}, False),
        ({"StringLike": {"aws:PrincipalTag/team": "V*"}}, True),
        ({"StringLike": {"aws:PrincipalTag/team": "V?ts"}}, True),
        ({"StringLike": {"aws:PrincipalTag/team": "v*"}}, False),
        ({"StringNotLike": {"aws:PrincipalTag/team": "Adm*"}}, True),
        ({"StringNotLike": {"aws:PrincipalTag/team": "Ve*"}}, False),
        ({"NumericEquals": {"aws:EpochTime": "1717243200"}}, True),
        ({"NumericNotEquals": {"aws:EpochTime": "1717243200"}}, False),
        ({"NumericLessThan": {"aws:EpochTime": "1717243201"}}, True),
        ({"NumericLessThan": {"aws:EpochTime": "1717243200"}}, False),
        ({"NumericLessThanEquals": {"aws:EpochTime": "1717243200"}}, True),
        ({"NumericGreaterThan": {"aws:EpochTime": "1717243199"}}, True),
        ({"NumericGreaterThanEquals": {"aws:EpochTime": "1717243201"}}, False),
        ({"NumericEquals": {"aws:EpochTime": "not-a-number"}}, False),
        ({"DateLessThan": {"aws:CurrentTime": "2024-06-02T00:00:00Z"}}, True),
        ({"DateLessThan": {"aws:CurrentTime": "2024-06-01T00:00:00Z"}}, False),
        ({"DateGreaterThan": {"aws:CurrentTime": "2024-05-31T23:59:59Z"}}, True),
        ({"DateGreaterThanEquals": {"aws:CurrentTime": "2024-06-01T12:00:00Z"}}, True),
        ({"DateLessThanEquals": {"aws:CurrentTime": "1717243199"}}, False),  # epoch seconds work too
        ({"DateEquals": {"aws:CurrentTime": "2024-06-01T12:00:00+00:00"}}, True),
        ({"DateNotEquals": {"aws:CurrentTime": "2024-06-01T12:00:00Z"}}, False),
        ({"Bool": {"aws:SecureTransport": "false"}}, True),
        ({"Bool": {"aws:SecureTransport": "true"}}, False),
        ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, True),
        ({"IpAddress": {"aws:SourceIp": ["192.168.0.0/16", "10.1.2.3/32"]}}, True),
        ({"IpAddress": {"aws:SourceIp": "192.168.0.0/16"}}, False),
        ({"IpAddress": {"aws:SourceIp": "2001:db8::/32"}}, False),  # IPv4 caller, IPv6 range
        ({"NotIpAddress": {"aws:SourceIp": "192.168.0.0/16"}}, True),
        ({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, False),
        ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/v*"}}, True),
        ({"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/vets"}}, True),
        ({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/admin*"}}, True),
        ({"ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/vets"}}, False),
        ({"ArnLike": {"aws:SourceIp": "arn:aws:iam::*:role/*"}}, False),  # the value is not an ARN
        # a policy variable without a value matches nothing (the key is present, the variable is not)
        ({"StringLike": {"aws:PrincipalTag/team": "${aws:username}"}}, False),
        ({"StringLike": {"aws:PrincipalTag/team": "${aws:username, 'Vets'}"}}, True),
        ({"Null": {"aws:PrincipalTag/missing": "true"}}, True),
        ({"Null": {"aws:PrincipalTag/team": "true"}}, False),
        ({"Null": {"aws:PrincipalTag/team": "false"}}, True),
        # several keys and several operators are AND-ed
        (
            {"StringEquals": {"aws:PrincipalTag/team": "Vets"}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
            True,
        ),
        (
            {"StringEquals": {"aws:PrincipalTag/team": "Vets"}, "IpAddress": {"aws:SourceIp": "11.0.0.0/8"}},
            False,
        ),
        ({"StringEquals": {"aws:PrincipalTag/team": "Vets", "aws:SecureTransport": "true"}}, False),
    ],
)
def test_condition_operators(condition: dict[str, Any], expected: bool) -> None:
    doc = policy(allow(f"{API}/*", Condition=condition))
    assert evaluate([doc], INVOKE, f"{API}/GET/x", CTX).allowed is expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        # a missing key: positive operators do not hold, negated ones do
        ({"StringEquals": {"aws:PrincipalTag/missing": "x"}}, False),
        ({"StringNotEquals": {"aws:PrincipalTag/missing": "x"}}, True),
        ({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, True),
        ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, False),
        # ...IfExists holds when the key is missing, and tests it when present
        ({"StringEqualsIfExists": {"aws:PrincipalTag/missing": "x"}}, True),
        ({"IpAddressIfExists": {"aws:SourceIp": "10.0.0.0/8"}}, True),
    ],
)
def test_missing_keys_and_if_exists(condition: dict[str, Any], expected: bool) -> None:
    doc = policy(allow(f"{API}/*", Condition=condition))
    assert evaluate([doc], INVOKE, f"{API}/GET/x", {}).allowed is expected


def test_if_exists_still_tests_a_present_key() -> None:
    doc = policy(allow(f"{API}/*", Condition={"IpAddressIfExists": {"aws:SourceIp": "10.0.0.0/8"}}))
    assert evaluate([doc], INVOKE, f"{API}/GET/x", {"aws:SourceIp": "10.9.9.9"}).allowed
    assert not evaluate([doc], INVOKE, f"{API}/GET/x", {"aws:SourceIp": "172.16.0.1"}).allowed


@pytest.mark.parametrize(
    ("condition", "context", "expected"),
    [
        (
            {"ForAnyValue:StringLike": {"k": "cognito-idp.*"}},
            {"k": ["authenticated", "cognito-idp.x/y"]},
            True,
        ),
        ({"ForAnyValue:StringEquals": {"k": "unauthenticated"}}, {"k": ["authenticated", "x"]}, False),
        ({"ForAnyValue:StringEquals": {"k": "x"}}, {}, False),  # missing: ForAnyValue does not hold
        ({"ForAnyValue:StringNotEquals": {"k": "x"}}, {}, False),  # ...not even when negated
        ({"ForAllValues:StringEquals": {"k": ["a", "b", "c"]}}, {"k": ["a", "b"]}, True),
        ({"ForAllValues:StringEquals": {"k": ["a", "b"]}}, {"k": ["a", "z"]}, False),
        (
            {"ForAllValues:StringEquals": {"k": ["a"]}},
            {},
            True,
        ),  # missing: ForAllValues holds (AWS semantics)
        ({"ForAnyValue:StringNotEquals": {"k": "a"}}, {"k": ["a", "b"]}, True),
        ({"ForAllValues:StringNotEquals": {"k": "a"}}, {"k": ["a", "b"]}, False),
        # without a set operator, a multi-valued key matches when any value does
        ({"StringEquals": {"k": "b"}}, {"k": ["a", "b"]}, True),
    ],
)
def test_set_operators(condition: dict[str, Any], context: dict[str, Any], expected: bool) -> None:
    doc = policy(allow(f"{API}/*", Condition=condition))
    assert evaluate([doc], INVOKE, f"{API}/GET/x", context).allowed is expected


def test_arn_operators_never_match_a_value_with_fewer_arn_parts() -> None:
    doc = policy(allow(f"{API}/*", Condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/*"}}))
    for truncated in ("arn:aws:iam", "arn:aws:iam::123456789012"):
        assert not evaluate([doc], INVOKE, f"{API}/GET/x", {"aws:PrincipalArn": truncated}).allowed


def test_condition_on_deny_only_denies_when_it_holds() -> None:
    doc = policy(
        allow(f"{API}/*"), deny(f"{API}/*", Condition={"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}})
    )
    assert evaluate([doc], INVOKE, f"{API}/GET/x", {"aws:SourceIp": "10.0.0.1"}).allowed
    assert evaluate([doc], INVOKE, f"{API}/GET/x", {"aws:SourceIp": "8.8.8.8"}).effect is Effect.EXPLICIT_DENY


def test_ipv6_cidrs() -> None:
    doc = policy(allow(f"{API}/*", Condition={"IpAddress": {"aws:SourceIp": "2001:db8::/32"}}))
    assert evaluate([doc], INVOKE, f"{API}/GET/x", {"aws:SourceIp": "2001:db8::1"}).allowed
    assert not evaluate([doc], INVOKE, f"{API}/GET/x", {"aws:SourceIp": "2001:db9::1"}).allowed


def test_unknown_operator_fails_closed_and_is_reported() -> None:
    allow_doc = policy(allow(f"{API}/*", Condition={"StringSoundsLike": {"k": "v"}}))
    decision = evaluate([allow_doc], INVOKE, f"{API}/GET/x", {"k": "v"})
    assert decision.effect is Effect.IMPLICIT_DENY
    assert decision.warnings
    deny_doc = policy(allow(f"{API}/*"), deny(f"{API}/*", Condition={"StringSoundsLike": {"k": "v"}}))
    assert evaluate([deny_doc], INVOKE, f"{API}/GET/x", {}).effect is Effect.EXPLICIT_DENY
    assert validate(allow_doc) == ["statement 0.0: unknown condition operator 'StringSoundsLike'"]
    assert validate(policy(allow("*"))) == []


def test_policy_variables_are_substituted_in_resources() -> None:
    doc = policy(allow(f"{API}/*/records/${{cognito-identity.amazonaws.com:sub}}"))
    ctx = {"cognito-identity.amazonaws.com:sub": "us-east-1:1111"}
    assert evaluate([doc], INVOKE, f"{API}/GET/records/us-east-1:1111", ctx).allowed
    assert not evaluate([doc], INVOKE, f"{API}/GET/records/us-east-1:2222", ctx).allowed
    # no value for the variable: the pattern matches nothing
    assert not evaluate([doc], INVOKE, f"{API}/GET/records/us-east-1:1111", {}).allowed


def test_policy_variable_values_are_literal_and_defaults_apply() -> None:
    doc = policy(allow(f"{API}/GET/u/${{aws:username}}"))
    assert not evaluate([doc], INVOKE, f"{API}/GET/u/anything", {"aws:username": "*"}).allowed
    assert evaluate([doc], INVOKE, f"{API}/GET/u/*", {"aws:username": "*"}).allowed
    with_default = policy(allow(f"{API}/GET/u/${{aws:username, 'nobody'}}"))
    assert evaluate([with_default], INVOKE, f"{API}/GET/u/nobody", {}).allowed
    escaped = policy(allow(f"{API}/GET/${{*}}"))
    assert evaluate([escaped], INVOKE, f"{API}/GET/*").allowed
    assert not evaluate([escaped], INVOKE, f"{API}/GET/x").allowed


def test_policy_variables_in_conditions() -> None:
    doc = policy(allow(f"{API}/*", Condition={"StringEquals": {"aws:PrincipalTag/owner": "${aws:username}"}}))
    assert evaluate(
        [doc], INVOKE, f"{API}/GET/x", {"aws:PrincipalTag/owner": "ann", "aws:username": "ann"}
    ).allowed
    assert not evaluate(
        [doc], INVOKE, f"{API}/GET/x", {"aws:PrincipalTag/owner": "ann", "aws:username": "bob"}
    ).allowed


def test_variables_are_literal_text_in_2008_policies() -> None:
    doc = policy(allow(f"{API}/GET/${{aws:username}}"), version="2008-10-17")
    assert evaluate([doc], INVOKE, f"{API}/GET/${{aws:username}}", {"aws:username": "ann"}).allowed
    assert not evaluate([doc], INVOKE, f"{API}/GET/ann", {"aws:username": "ann"}).allowed


def test_datetime_context_values_are_accepted() -> None:
    doc = policy(allow(f"{API}/*", Condition={"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}))
    assert evaluate(
        [doc], INVOKE, f"{API}/GET/x", {"aws:CurrentTime": datetime(2024, 1, 1, tzinfo=UTC)}
    ).allowed


def test_rendered_project_template_shape() -> None:
    """The pet-veterinarian template's shape: v1 any verb, v2 status only, nothing else."""
    doc = policy(
        allow(f"{API}/*/petstore/v1/*", Sid="PetStoreV1AnyVerb"),
        allow(f"{API}/GET/petstore/v2/status", Sid="PetStoreV2Status"),
    )
    assert evaluate([doc], INVOKE, f"{API}/POST/petstore/v1/pets").sid == "PetStoreV1AnyVerb"
    assert evaluate([doc], INVOKE, f"{API}/GET/petstore/v2/status").allowed
    assert not evaluate([doc], INVOKE, f"{API}/GET/petstore/v2/pets").allowed

"""Faults a deployment or a hand edit can introduce: a policy-table item the authorizer must refuse,
and an authorizer started with a broken environment.

Like the other fault suites, everything goes through `app.handler(event, context)` with the
function's documented environment, the policy table behind the `DynamoFaults` proxy (forwarding:
the fault here is in the data). For each: the answer fails closed (a Deny for the stage, or 401),
the decision log says why, and the authorizer recovers once the item or the environment is fixed.
These are the scenarios the `fail_closed_policy_items` and `fail_closed_internal` alarms exist for
(docs/operations.md).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import app as _app
import pytest

from tests.functional.functions import support
from tests.reliability import figures
from tests.reliability.calls import decide, decisions, json_lines
from tests.reliability.faults import FaultyJwks
from tests.reliability.fixtures import Dynamo

pytestmark = pytest.mark.reliability

ROUTE = support.method_arn("GET", "/petstore/v1/pets")
GROUP = "pet-veterinarian"


@pytest.fixture
def authorizer(
    monkeypatch: pytest.MonkeyPatch, dynamo: Dynamo, faulty_jwks: FaultyJwks
) -> Iterator[ModuleType]:
    env = support.authorizer_env(
        faulty_jwks.url, POLICY_TABLE=dynamo.policy_table, REVOCATION_TABLE=dynamo.revocation_table
    )
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", dynamo.proxy.url)
    _app.reset()
    yield _app
    _app.reset()


def _item(group: str, precedence: int, policy: str) -> dict[str, Any]:
    return {
        "group": {"S": group},
        "precedence": {"N": str(precedence)},
        "policy": {"S": policy},
        "version": {"S": "x"},
    }


def _outside_api() -> str:
    document = json.loads(support.render_template(GROUP))
    document["Statement"][0]["Resource"] = "arn:aws:execute-api:us-east-1:123456789012:other-api/prod/*"
    return json.dumps(document)


def _too_large() -> str:
    document = json.loads(support.render_template(GROUP))
    resource = support.API_ARN + "/GET/petstore/v1/pets"
    document["Statement"].append(
        {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": [resource] * 200}
    )
    return json.dumps(document)


# kind -> (the items written over the group's own, the groups the caller is in, the logged reason)
CORRUPTIONS: dict[str, tuple[list[dict[str, Any]], list[str], str]] = {
    "not JSON": ([_item(GROUP, 2, "{not json")], [GROUP], "malformed_policy_item"),
    "no Statement": ([_item(GROUP, 2, '{"Version": "2012-10-17"}')], [GROUP], "malformed_policy_item"),
    "reaching outside the API": ([_item(GROUP, 2, _outside_api())], [GROUP], "policy_outside_api"),
    "over the size limit": ([_item(GROUP, 2, _too_large())], [GROUP], "policy_too_large"),
    "two groups with one precedence": (
        [_item("cip-users", support.GROUP_PRECEDENCE[GROUP], support.render_template("cip-users"))],
        [GROUP, "cip-users"],
        "ambiguous_precedence",
    ),
}


@pytest.mark.parametrize("kind", CORRUPTIONS)
def test_an_unusable_policy_item_denies_its_group_until_it_is_fixed(
    kind: str,
    capsys: pytest.CaptureFixture[str],
    authorizer: ModuleType,
    tokens: support.TokenFactory,
    dynamo: Dynamo,
) -> None:
    items, groups, reason = CORRUPTIONS[kind]
    originals = [
        dynamo.direct.get_item(TableName=dynamo.policy_table, Key={"group": item["group"]}).get("Item")
        for item in items
    ]
    for item in items:
        dynamo.direct.put_item(TableName=dynamo.policy_table, Item=item)
    capsys.readouterr()
    token = tokens.token(**{"cognito:groups": groups})
    outcome, response = decide(authorizer, support.token_event(f"Bearer {token}", ROUTE))
    logged = decisions(capsys.readouterr().out)
    assert outcome == "deny"
    assert response is not None
    assert response["policyDocument"]["Statement"] == [
        {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": support.API_ARN + "/*"}
    ]
    assert [(d["decision"], d["reason"]) for d in logged] == [("deny", reason)]

    for item, original in zip(items, originals, strict=True):
        if original is None:
            dynamo.direct.delete_item(TableName=dynamo.policy_table, Key={"group": item["group"]})
        else:
            dynamo.direct.put_item(TableName=dynamo.policy_table, Item=original)
    authorizer.reset()  # a container that has not cached the broken item (warm ones: after P seconds)
    assert (
        decide(
            authorizer, support.token_event(f"Bearer {tokens.token(**{'cognito:groups': [GROUP]})}", ROUTE)
        )[0]
        == "allow"
    )
    figures.record(
        "fault",
        f"policy table item unusable: {kind}",
        decisions=2,
        wrong_allows=0,
        outcome="403 Deny for the stage for the group's users (the item is refused, never used)",
        log_reason=reason,
        recovery="once the item is fixed: new containers at once, warm ones when their policy cache expires",
    )


@pytest.mark.parametrize(
    ("kind", "override"),
    [
        ("policy table name missing", {"POLICY_TABLE": ""}),
        ("no allowed client", {"ALLOWED_CLIENT_IDS": ""}),
        ("unknown token use", {"TOKEN_USE": "refresh"}),
    ],
)
def test_an_authorizer_started_with_a_broken_environment_refuses_every_token_and_says_why(  # noqa: PLR0917 - pytest fixtures
    kind: str,
    override: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    authorizer: ModuleType,
    tokens: support.TokenFactory,
) -> None:
    deployed = {name: os.environ[name] for name in override}
    for name, value in override.items():
        monkeypatch.setenv(name, value)
    authorizer.reset()
    capsys.readouterr()
    outcomes = [
        decide(authorizer, support.token_event(f"Bearer {tokens.token()}", ROUTE))[0] for _ in range(3)
    ]
    lines = json_lines(capsys.readouterr().out)
    assert outcomes == ["unauthorized"] * 3
    assert [(line["level"], line["message"]) for line in lines] == [("ERROR", "authorizer misconfigured")] * 3
    assert all(next(iter(override)) in line["error"] for line in lines), "the log names the setting"

    for name, value in deployed.items():  # the fixed deployment, then a cold start
        monkeypatch.setenv(name, value)
    authorizer.reset()
    assert decide(authorizer, support.token_event(f"Bearer {tokens.token()}", ROUTE))[0] == "allow"
    figures.record(
        "fault",
        f"authorizer deployed with a broken environment: {kind}",
        decisions=3,
        wrong_allows=0,
        outcome="401 Unauthorized for every token (fail closed), an ERROR line naming the setting",
        log_error="authorizer misconfigured",
        recovery="the next cold start after a fixed deployment",
    )

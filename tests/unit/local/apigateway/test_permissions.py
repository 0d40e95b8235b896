"""May API Gateway invoke the function? (the Lambda resource policy the gateway checks)."""

from __future__ import annotations

import json
from typing import Any

from local.apigateway.permissions import invoke_allowed

ACCOUNT = "123456789012"
FUNCTION = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:profiles"
API = f"arn:aws:execute-api:us-east-1:{ACCOUNT}:abc123"
SOURCE = f"{API}/local/GET/cip"


def permission(principal: Any, source_arn: str = f"{API}/*/*/*", resource: str = FUNCTION) -> dict[str, Any]:
    return {
        "Sid": "AllowInvoke",
        "Effect": "Allow",
        "Principal": principal,
        "Action": "lambda:InvokeFunction",
        "Resource": resource,
        "Condition": {"ArnLike": {"AWS:SourceArn": source_arn}},
    }


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Id": "default", "Statement": list(statements)})


def test_api_gateway_permission_scoped_to_this_api_allows() -> None:
    policy = doc(permission({"Service": "apigateway.amazonaws.com"}))
    assert invoke_allowed(policy, FUNCTION, [SOURCE], ACCOUNT)


def test_source_arn_of_another_api_is_refused() -> None:
    policy = doc(permission({"Service": "apigateway.amazonaws.com"}, f"{API}/*/*/*"))
    other = f"arn:aws:execute-api:us-east-1:{ACCOUNT}:zzz999/local/GET/cip"
    assert not invoke_allowed(policy, FUNCTION, [other], ACCOUNT)


def test_a_permission_for_another_service_does_not_let_api_gateway_invoke() -> None:
    policy = doc(
        permission({"Service": "events.amazonaws.com"}), permission({"AWS": f"arn:aws:iam::{ACCOUNT}:root"})
    )
    assert not invoke_allowed(policy, FUNCTION, [SOURCE], ACCOUNT)


def test_no_policy_is_no_permission() -> None:
    assert not invoke_allowed(None, FUNCTION, [SOURCE], ACCOUNT)


def test_a_permission_on_the_function_covers_a_qualified_arn() -> None:
    policy = doc(permission({"Service": "apigateway.amazonaws.com"}))
    assert invoke_allowed(policy, f"{FUNCTION}:live", [SOURCE], ACCOUNT)
    # ...but one on another function does not
    other = doc(permission({"Service": "apigateway.amazonaws.com"}, resource=f"{FUNCTION}-other"))
    assert not invoke_allowed(other, FUNCTION, [SOURCE], ACCOUNT)

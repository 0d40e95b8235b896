"""May API Gateway invoke this Lambda function? (the function's resource-based policy).

Why: on AWS a missing or too narrow `aws_lambda_permission` makes API Gateway answer 500
("Execution failed due to configuration error: Invalid permissions on Lambda function"); the
SPEC requires a `SourceArn` on every such permission. Checking it locally catches that class of
Terraform mistake before it reaches an account.

Contract: :func:`invoke_allowed` evaluates the statements whose principal is
`apigateway.amazonaws.com` (or `*`; another service with `principal=`, e.g. EventBridge's) for
`lambda:InvokeFunction` on the function with the request's
`AWS:SourceArn`/`AWS:SourceAccount`. Source ARNs: `<api>/authorizers/<id>` for authorizers
(https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-use-lambda-authorizer.html)
and `<api>/<stage>/<VERB>/<path>` for integrations; because AWS documentation shows both the
resource path and wildcards there, a permission matching either the resource's path template or
the request's actual path is accepted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tools import iam_policy

__all__ = ["invoke_allowed"]

APIGATEWAY_PRINCIPAL = "apigateway.amazonaws.com"


def _principal_is(principal: Any, service_principal: str) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        service = principal.get("Service")
        services = service if isinstance(service, list) else [service]
        if service_principal in services:
            return True
        aws = principal.get("AWS")
        return aws == "*" or (isinstance(aws, list) and "*" in aws)
    return False


def invoke_allowed(
    policy: Mapping[str, Any] | str | None,
    function_arn: str,
    source_arns: Iterable[str],
    account_id: str,
    *,
    principal: str = APIGATEWAY_PRINCIPAL,
) -> bool:
    """`principal`: the service that invokes (API Gateway; EventBridge for rule targets)."""
    if policy is None:
        return False
    document = iam_policy.load_document(policy)
    raw = document.get("Statement", [])
    statements = [
        s for s in (raw if isinstance(raw, list) else [raw]) if _principal_is(s.get("Principal"), principal)
    ]
    if not statements:
        return False
    filtered = {"Version": document.get("Version", "2012-10-17"), "Statement": statements}
    unqualified = function_arn if function_arn.count(":") <= 6 else function_arn.rsplit(":", 1)[0]
    for source_arn in source_arns:
        context = {"AWS:SourceArn": source_arn, "AWS:SourceAccount": account_id}
        for resource in {function_arn, unqualified}:
            if iam_policy.evaluate([filtered], "lambda:InvokeFunction", resource, context).allowed:
                return True
    return False

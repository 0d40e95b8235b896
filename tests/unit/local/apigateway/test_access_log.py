"""The stage's access log in its configured format (local/apigateway/access_log.py)."""

from __future__ import annotations

import json

from local.apigateway.access_log import AccessLogSettings, context_values, render

# The shape of the stack's format (terraform/modules/api/stage.tf): a JSON template.
FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "status": "$context.status",
        "resourcePath": "$context.resourcePath",
        "httpMethod": "$context.httpMethod",
        "principalId": "$context.authorizer.principalId",
        "authorizerError": "$context.authorizer.error",
        "authorizerStatus": "$context.authorizer.status",
        "authorizeError": "$context.authorize.error",
        "authenticateError": "$context.authenticate.error",
        "errorMessage": "$context.error.message",
        "integrationError": "$context.integration.error",
        "userAgent": "$context.identity.userAgent",
    }
)


GROUP_ARN = "arn:aws:logs:us-east-1:123456789012:log-group"


def line(status: int, **fields: object) -> dict[str, str]:
    values = context_values(
        request_id="r-1",
        request_time_ms=1_700_000_000_000,
        method="GET",
        source_ip="127.0.0.1",
        status=status,
        response_length=10,
        fields=fields,
    )
    parsed: dict[str, str] = json.loads(render(FORMAT, values))
    return parsed


def test_an_allowed_lambda_request() -> None:
    logged = line(200, resourcePath="/pets", principalId="sub-1", authorizationType="CUSTOM")
    assert logged["status"] == "200"
    assert (logged["resourcePath"], logged["httpMethod"], logged["principalId"]) == ("/pets", "GET", "sub-1")
    assert (logged["authorizerStatus"], logged["authorizerError"]) == ("200", "-")
    assert logged["userAgent"] == "-", "a variable the gateway does not know renders -"


def test_an_authorizer_failure_carries_the_authorizer_error_on_a_500() -> None:
    logged = line(
        500,
        resourcePath="/pets",
        authorizationType="CUSTOM",
        responseType="AUTHORIZER_CONFIGURATION_ERROR",
        authorizerError="function error: Sandbox.Timedout",
    )
    assert (logged["status"], logged["authorizerStatus"]) == ("500", "500")
    assert logged["authorizerError"] == "function error: Sandbox.Timedout"


def test_refusals_name_what_refused() -> None:
    unauthorized = line(
        401, authorizationType="CUSTOM", responseType="UNAUTHORIZED", authorizerError="Unauthorized"
    )
    assert (unauthorized["authorizerError"], unauthorized["authorizerStatus"]) == ("Unauthorized", "401")
    denied = line(
        403, authorizationType="CUSTOM", responseType="ACCESS_DENIED", authorizerError="policy: deny"
    )
    assert (denied["authorizerError"], denied["authorizeError"], denied["authorizerStatus"]) == (
        "-",
        "policy: deny",
        "403",
    )
    unsigned = line(403, authorizationType="AWS_IAM", responseType="INVALID_SIGNATURE", authorizerError="bad")
    assert (unsigned["authenticateError"], unsigned["authorizerError"], unsigned["authorizerStatus"]) == (
        "bad",
        "-",
        "-",
    )
    failed = line(502, responseType="DEFAULT_5XX", error="function error: ValueError")
    assert failed["integrationError"] == "function error: ValueError"


def test_values_are_escaped_so_the_line_stays_json() -> None:
    logged = line(403, responseType="ACCESS_DENIED", authorizerError='he said "no"\nand left\\')
    assert logged["authorizeError"] == 'he said "no"\nand left\\'


def test_settings_name_their_log_group() -> None:
    settings = AccessLogSettings.from_stage(
        {
            "accessLogSettings": {
                "destinationArn": f"{GROUP_ARN}:/aws/apigateway/x/local/access",
                "format": FORMAT,
            }
        }
    )
    assert settings is not None
    assert settings.log_group == "/aws/apigateway/x/local/access"
    assert AccessLogSettings.from_stage({}) is None
    assert AccessLogSettings("arn:aws:s3:::bucket", FORMAT).log_group is None

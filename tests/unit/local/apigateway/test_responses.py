"""Gateway responses: default bodies, the API's configured headers, templates and status codes."""

from __future__ import annotations

import json

from local.apigateway.api_model import ApiModel, GatewayResponseConfig
from local.apigateway.responses import GatewayError, RequestValues, render

VALUES = RequestValues(
    request_id="req-1",
    headers={"origin": "http://localhost:3000"},
    query={"q": "1"},
    path_parameters={"id": "7"},
    stage_variables={"allowed": "http://app"},
)


def api(*responses: GatewayResponseConfig) -> ApiModel:
    return ApiModel(
        api_id="abc",
        name="t",
        region="us-east-1",
        account_id="123456789012",
        resources=(),
        authorizers={},
        stages={},
        gateway_responses={r.response_type: r for r in responses},
        functions={},
    )


def gr(
    kind: str, status: int | None = None, headers: dict[str, str] | None = None, template: str | None = None
) -> GatewayResponseConfig:
    return GatewayResponseConfig(
        kind, status, headers or {}, {"application/json": template} if template else {}
    )


UNAUTHORIZED = GatewayError("UNAUTHORIZED", "Unauthorized", "UnauthorizedException")
DENIED = GatewayError(
    "ACCESS_DENIED",
    "User is not authorized to access this resource",
    "AccessDeniedException",
    body_key="Message",
)
FAILED = GatewayError("AUTHORIZER_CONFIGURATION_ERROR", None, "AuthorizerConfigurationException")


def test_unconfigured_api_answers_aws_default_bodies() -> None:
    r = render(api(), UNAUTHORIZED, VALUES)
    assert (r.status, json.loads(r.body)) == (401, {"message": "Unauthorized"})
    assert r.header("x-amzn-ErrorType") == "UnauthorizedException"
    d = render(api(), DENIED, VALUES)
    assert (d.status, json.loads(d.body)) == (
        403,
        {"Message": "User is not authorized to access this resource"},
    )
    f = render(api(), FAILED, VALUES)
    assert (f.status, json.loads(f.body)) == (500, {"message": None})


def test_specific_gateway_response_headers_apply() -> None:
    model = api(gr("UNAUTHORIZED", headers={"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"}))
    r = render(model, UNAUTHORIZED, VALUES)
    assert r.header("Access-Control-Allow-Origin") == "*"
    assert json.loads(r.body) == {"message": "Unauthorized"}
    # the UNAUTHORIZED configuration does not leak into other types
    assert render(model, DENIED, VALUES).header("Access-Control-Allow-Origin") is None


def test_default_4xx_applies_to_unconfigured_4xx_types_only() -> None:
    model = api(gr("DEFAULT_4XX", headers={"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"}))
    denied = render(model, DENIED, VALUES)
    assert denied.status == 403
    assert denied.header("Access-Control-Allow-Origin") == "*"
    # configured types render the default template: {"message": ...}
    assert json.loads(denied.body) == {"message": "User is not authorized to access this resource"}
    assert render(model, FAILED, VALUES).header("Access-Control-Allow-Origin") is None


def test_default_5xx_covers_502_from_bad_proxy_responses() -> None:
    model = api(gr("DEFAULT_5XX", headers={"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"}))
    bad = GatewayError("DEFAULT_5XX", "Internal server error", status=502)
    r = render(model, bad, VALUES)
    assert r.status == 502
    assert r.header("Access-Control-Allow-Origin") == "*"
    assert json.loads(r.body) == {"message": "Internal server error"}


def test_parameter_references_and_templates() -> None:
    model = api(
        gr(
            "ACCESS_DENIED",
            status=404,
            headers={
                "gatewayresponse.header.Access-Control-Allow-Origin": "method.request.header.Origin",
                "gatewayresponse.header.X-Stage-Var": "stageVariables.allowed",
                "gatewayresponse.header.X-Path": "method.request.path.id",
                "gatewayresponse.header.X-Query": "method.request.querystring.q",
            },
            template='{"error":$context.error.messageString,"type":"$context.error.responseType","id":"$context.requestId"}',
        )
    )
    r = render(model, DENIED, VALUES)
    assert r.status == 404
    assert r.header("Access-Control-Allow-Origin") == "http://localhost:3000"
    assert r.header("X-Stage-Var") == "http://app"
    assert r.header("X-Path") == "7"
    assert r.header("X-Query") == "1"
    assert json.loads(r.body) == {
        "error": "User is not authorized to access this resource",
        "type": "ACCESS_DENIED",
        "id": "req-1",
    }


def test_default_status_override_changes_every_unconfigured_type() -> None:
    model = api(gr("DEFAULT_4XX", status=400))
    assert render(model, UNAUTHORIZED, VALUES).status == 400
    model_with_own = api(gr("DEFAULT_4XX", status=400), gr("UNAUTHORIZED", status=401))
    assert render(model_with_own, UNAUTHORIZED, VALUES).status == 401

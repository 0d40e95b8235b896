"""API Gateway's own answers (gateway responses): status, body and the API's configured headers.

Why: callers (and browsers, through CORS headers) see these answers for every refusal, so they
must come out as the deployed API configures them.

Contract (https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html):
* each refusal has a response type with a default status (table below);
* the API's configured gateway response for that type applies; when the type is not configured,
  the configured ``DEFAULT_4XX``/``DEFAULT_5XX`` applies (a status set there replaces the type's);
* configured ``gatewayresponse.header.*`` parameters become headers (``'literal'`` values and
  ``method.request.header|querystring|path.*`` / ``stageVariables.*`` references);
* the body is the configured ``application/json`` template, else API Gateway's default template
  ``{"message":$context.error.messageString}``; when neither the type nor its DEFAULT_xXX is
  configured, the body is what an unconfigured API answers (note the capitalised ``Message`` of
  policy denials, as observed on AWS: https://repost.aws/knowledge-center/api-gateway-troubleshoot-403-forbidden).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from local.apigateway.api_model import ApiModel
from local.apigateway.messages import HttpResponse

__all__ = ["DEFAULT_STATUS", "GatewayError", "render"]

DEFAULT_STATUS: dict[str, int] = {
    "ACCESS_DENIED": 403,
    "API_CONFIGURATION_ERROR": 500,
    "AUTHORIZER_CONFIGURATION_ERROR": 500,
    "AUTHORIZER_FAILURE": 500,
    "BAD_REQUEST_PARAMETERS": 400,
    "BAD_REQUEST_BODY": 400,
    "EXPIRED_TOKEN": 403,
    "INTEGRATION_FAILURE": 504,
    "INTEGRATION_TIMEOUT": 504,
    "INVALID_API_KEY": 403,
    "INVALID_SIGNATURE": 403,
    "MISSING_AUTHENTICATION_TOKEN": 403,
    "QUOTA_EXCEEDED": 429,
    "REQUEST_TOO_LARGE": 413,
    "RESOURCE_NOT_FOUND": 404,
    "THROTTLED": 429,
    "UNAUTHORIZED": 401,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "WAF_FILTERED": 403,
}
DEFAULT_TEMPLATE = '{"message":$context.error.messageString}'
_CONTEXT_VAR = re.compile(r"\$(?:\{context\.([A-Za-z0-9_.]+)\}|context\.([A-Za-z0-9_.]+))")


@dataclass
class GatewayError(Exception):
    """A refusal or failure API Gateway answers itself (no integration response involved).

    ``message`` None renders as JSON ``null`` (what authorizer failures answer);
    ``body_key`` is the key an unconfigured API uses (``Message`` for policy denials).
    ``status`` overrides the type's default status (502 for a broken Lambda proxy response,
    which has no gateway response type of its own).
    """

    response_type: str
    message: str | None
    error_type: str | None = None
    body_key: str = "message"
    status: int | None = None
    reason: str = ""  # for logs only
    extra_headers: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.reason or self.message or self.response_type)


@dataclass(frozen=True)
class RequestValues:
    """The request values gateway-response parameters and templates may reference."""

    request_id: str
    headers: Mapping[str, str]  # lower-cased names
    query: Mapping[str, str]
    path_parameters: Mapping[str, str]
    stage_variables: Mapping[str, str]
    resource_path: str = ""
    http_method: str = ""
    stage: str = ""


def _parameter_value(expression: str, values: RequestValues) -> str | None:
    if len(expression) >= 2 and expression.startswith("'") and expression.endswith("'"):
        return expression[1:-1]
    for prefix, source in (
        ("method.request.header.", {k.lower(): v for k, v in values.headers.items()}),
        ("method.request.querystring.", values.query),
        ("method.request.path.", values.path_parameters),
        ("stageVariables.", values.stage_variables),
    ):
        if expression.startswith(prefix):
            key = expression[len(prefix) :]
            return source.get(key.lower() if prefix == "method.request.header." else key)
    return None


def _render_template(template: str, response_type: str, message: str | None, values: RequestValues) -> str:
    variables = {
        "error.messageString": json.dumps(message),
        "error.message": message or "",
        "error.responseType": response_type,
        "error.validationErrorString": "",
        "requestId": values.request_id,
        "extendedRequestId": values.request_id,
        "resourcePath": values.resource_path,
        "httpMethod": values.http_method,
        "stage": values.stage,
    }

    def substitute(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        return variables.get(name, "")

    return _CONTEXT_VAR.sub(substitute, template)


def _status_class(response_type: str, status: int | None) -> str:
    code = status or DEFAULT_STATUS.get(response_type, 500)
    return "DEFAULT_4XX" if 400 <= code < 500 else "DEFAULT_5XX"


def render(api: ApiModel | None, error: GatewayError, values: RequestValues) -> HttpResponse:
    """The HTTP answer for ``error`` under the API's gateway-response configuration."""
    base_status = error.status or DEFAULT_STATUS.get(error.response_type, 500)
    configured = api.gateway_responses if api is not None else {}
    parent = configured.get(_status_class(error.response_type, error.status))
    own = configured.get(error.response_type) if error.status is None else None
    chosen = own or parent
    status = base_status
    if own is not None and own.status_code is not None:
        status = own.status_code
    elif parent is not None and parent.status_code is not None and error.status is None:
        status = parent.status_code

    if chosen is None:
        body = json.dumps({error.body_key: error.message})
    else:
        template = chosen.response_templates.get("application/json", DEFAULT_TEMPLATE)
        body = _render_template(template, error.response_type, error.message, values)

    headers: list[tuple[str, str]] = [("Content-Type", "application/json")]
    if chosen is not None:
        for name, expression in chosen.response_parameters.items():
            if not name.startswith("gatewayresponse.header."):
                continue
            value = _parameter_value(expression, values)
            if value is not None:
                headers.append((name[len("gatewayresponse.header.") :], value))
    if error.error_type:
        headers.append(("x-amzn-ErrorType", error.error_type))
    headers.extend(error.extra_headers)
    return HttpResponse(status=status, headers=headers, body=body.encode())

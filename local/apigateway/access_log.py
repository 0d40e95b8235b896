"""The stage's access log as API Gateway writes it: the stage's own format, shipped to its group.

A stage with access logging (`accessLogSettings`: a CloudWatch Logs group ARN and a format) gets one
line per request in that format, `$context.<name>` variables replaced by the request's values and
`-` where a value is not set, as API Gateway renders them. The local gateway knows these values
(anything else renders `-`):

- `requestId`, `requestTimeEpoch`, `httpMethod`, `resourcePath`, `status`, `protocol`,
  `responseLength`: the request's;
- `identity.sourceIp`, `identity.cognitoIdentityId`, `identity.userArn`: the caller's;
- `authorizer.principalId`: the Lambda authorizer's principal;
- `authorizer.error`: why an authorizer (Lambda or Cognito) refused (401) or failed (5xx);
  `authorize.error`: an access denial (403); `authenticate.error`: a SigV4 refusal (iam mode);
- `authorizer.status`: what the authorizer came to, as a status (200, 401, 403 or 500);
- `error.message`: the gateway response's message;
- `integration.error`, `integration.latency`: the backend call's failure, and its latency in ms.

AWS documents these variables but not every error text, so the monitoring module's filter on this
log (`authorizer_errors`) needs both an `authorizerError` and a 5xx status: it counts the same lines
whatever text AWS puts in `authorizer.error` for a 401.

Values are JSON-escaped as they are substituted, so a JSON format stays JSON whatever a value holds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

UNSET = "-"
_VARIABLE = re.compile(r"\$context\.([A-Za-z0-9_.]+)")
# Gateway response types by what refused the request (how the variables above get their value).
AUTHORIZER_TYPES = frozenset({"UNAUTHORIZED", "AUTHORIZER_FAILURE", "AUTHORIZER_CONFIGURATION_ERROR"})
AUTHENTICATE_TYPES = frozenset({"INVALID_SIGNATURE", "EXPIRED_TOKEN", "MISSING_AUTHENTICATION_TOKEN"})
AUTHORIZE_TYPES = frozenset({"ACCESS_DENIED"})
_AUTHORIZER_STATUS = {
    "UNAUTHORIZED": "401",
    "ACCESS_DENIED": "403",
    "AUTHORIZER_FAILURE": "500",
    "AUTHORIZER_CONFIGURATION_ERROR": "500",
}


@dataclass(frozen=True)
class AccessLogSettings:
    destination_arn: str
    format: str

    @property
    def log_group(self) -> str | None:
        """The group of a `arn:aws:logs:<region>:<account>:log-group:<name>[:*]` destination."""
        _, marker, rest = self.destination_arn.partition(":log-group:")
        if not marker or not rest:
            return None
        return rest.removesuffix(":*")

    @classmethod
    def from_stage(cls, stage: Mapping[str, Any]) -> AccessLogSettings | None:
        settings = stage.get("accessLogSettings") or {}
        arn, text = settings.get("destinationArn"), settings.get("format")
        if not arn or not text:
            return None
        return cls(destination_arn=str(arn), format=str(text))


def render(template: str, values: Mapping[str, Any]) -> str:
    """The format with each `$context.<name>` replaced (JSON-escaped), `-` when not set."""

    def value(match: re.Match[str]) -> str:
        found = values.get(match.group(1))
        text = UNSET if found is None or found == "" else str(found)
        return json.dumps(text)[1:-1]

    return _VARIABLE.sub(value, template)


def context_values(
    *,
    request_id: str,
    request_time_ms: int,
    method: str,
    source_ip: str | None,
    status: int,
    response_length: int,
    fields: Mapping[str, Any],
) -> dict[str, Any]:
    """The `$context` values of one request, from the gateway's access-log fields."""
    response_type = fields.get("responseType")
    reason = fields.get("authorizerError")
    values: dict[str, Any] = {
        "requestId": request_id,
        "requestTimeEpoch": request_time_ms,
        "httpMethod": method,
        "resourcePath": fields.get("resourcePath"),
        "status": status,
        "protocol": "HTTP/1.1",
        "responseLength": response_length,
        "identity.sourceIp": source_ip,
        "identity.cognitoIdentityId": fields.get("cognitoIdentityId"),
        "identity.userArn": fields.get("userArn"),
        "authorizer.principalId": fields.get("principalId"),
        "error.message": fields.get("errorMessage"),
        "integration.latency": fields.get("integrationLatencyMs"),
    }
    if response_type in AUTHORIZER_TYPES:
        values["authorizer.error"] = reason
    elif response_type in AUTHENTICATE_TYPES:
        values["authenticate.error"] = reason
    elif response_type in AUTHORIZE_TYPES:
        values["authorize.error"] = reason
    elif response_type is not None or status >= 500:
        values["integration.error"] = fields.get("error")
    if fields.get("authorizationType") in ("CUSTOM", "COGNITO_USER_POOLS"):
        values["authorizer.status"] = _AUTHORIZER_STATUS.get(str(response_type), "200")
    return values

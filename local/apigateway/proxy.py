"""`AWS_PROXY` (Lambda proxy) integration: the REST v1 event in, the proxy response out.

Contract (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html):
* event: ``resource``, ``path``, ``httpMethod``, ``headers``/``multiValueHeaders``,
  ``queryStringParameters``/``multiValueQueryStringParameters`` (``None`` when the request has
  none; the single-value maps keep the last value), ``pathParameters``, ``stageVariables``,
  ``requestContext`` (identity, authorizer, ids and times), ``body`` and ``isBase64Encoded``
  (bodies whose Content-Type is one of the API's binary media types, or that are not UTF-8, are
  base64-encoded);
* response: a JSON object with an integer ``statusCode`` and optional ``headers`` (scalar values),
  ``multiValueHeaders`` (lists), ``body`` (a string) and ``isBase64Encoded``; anything else
  (handler error, timeout, other keys, a non-string body) is what API Gateway calls a malformed
  Lambda proxy response: 502 ``{"message": "Internal server error"}``
  (https://repost.aws/knowledge-center/malformed-502-api-gateway).
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import urllib.parse
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from local.apigateway.messages import HttpRequest, HttpResponse

__all__ = ["ProxyResponseError", "build_event", "parse_query", "proxy_response"]

_RESPONSE_KEYS = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"})


class ProxyResponseError(ValueError):
    """The function's return value is not a valid Lambda proxy response (reason for logs)."""


def parse_query(query: str) -> list[tuple[str, str]]:
    return urllib.parse.parse_qsl(query, keep_blank_values=True)


def _maps(pairs: Sequence[tuple[str, str]]) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    if not pairs:
        return None, None
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for key, value in pairs:
        single[key] = value
        multi.setdefault(key, []).append(value)
    return single, multi


def _is_binary(content_type: str | None, binary_media_types: Sequence[str]) -> bool:
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return any(fnmatch.fnmatchcase(media, t.lower()) for t in binary_media_types)


def request_time(now: datetime) -> tuple[str, int]:
    """(`requestTime` like ``09/Apr/2015:12:34:56 +0000``, `requestTimeEpoch` in ms)."""
    utc = now.astimezone(UTC)
    return utc.strftime("%d/%b/%Y:%H:%M:%S +0000"), int(utc.timestamp() * 1000)


def extended_request_id() -> str:
    return base64.b64encode(uuid.uuid4().bytes[:12]).decode().rstrip("=")[:15] + "="


def build_event(
    *,
    request: HttpRequest,
    resource_path: str,
    path: str,
    path_parameters: Mapping[str, str],
    stage: str,
    stage_variables: Mapping[str, str],
    api_id: str,
    account_id: str,
    resource_id: str,
    request_id: str,
    extended_id: str,
    now: datetime,
    domain_name: str,
    identity: Mapping[str, Any],
    authorizer: Mapping[str, Any] | None,
    binary_media_types: Sequence[str] = (),
) -> dict[str, Any]:
    """The REST v1 proxy event for one request (see the module docstring)."""
    header_pairs = list(request.headers)
    headers, multi_headers = _maps(header_pairs)
    query, multi_query = _maps(parse_query(request.query))
    body: str | None = None
    is_base64 = False
    if request.body:
        if _is_binary(request.header("content-type"), binary_media_types):
            body, is_base64 = base64.b64encode(request.body).decode("ascii"), True
        else:
            try:
                body = request.body.decode("utf-8")
            except UnicodeDecodeError:
                body, is_base64 = base64.b64encode(request.body).decode("ascii"), True
    request_time_text, epoch_ms = request_time(now)
    context: dict[str, Any] = {
        "accountId": account_id,
        "apiId": api_id,
        "domainName": domain_name,
        "domainPrefix": domain_name.split(".", 1)[0],
        "extendedRequestId": extended_id,
        "httpMethod": request.method.upper(),
        "identity": dict(identity),
        "path": f"/{stage}{path}",
        "protocol": request.protocol,
        "requestId": request_id,
        "requestTime": request_time_text,
        "requestTimeEpoch": epoch_ms,
        "resourceId": resource_id,
        "resourcePath": resource_path,
        "stage": stage,
    }
    if authorizer is not None:
        context["authorizer"] = dict(authorizer)
    return {
        "resource": resource_path,
        "path": path,
        "httpMethod": request.method.upper(),
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": dict(path_parameters) or None,
        "stageVariables": dict(stage_variables) or None,
        "requestContext": context,
        "body": body,
        "isBase64Encoded": is_base64,
    }


def _scalar(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise ProxyResponseError(f"{where} must be a string, number or boolean")


def proxy_response(payload: Any) -> HttpResponse:
    """Map a Lambda proxy response to HTTP, or raise :class:`ProxyResponseError`."""
    if not isinstance(payload, dict):
        raise ProxyResponseError(f"the function returned {type(payload).__name__}, not an object")
    unknown = set(payload) - _RESPONSE_KEYS
    if unknown:
        raise ProxyResponseError(f"unexpected keys {sorted(unknown)}")
    status = payload.get("statusCode")
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise ProxyResponseError("statusCode must be an integer HTTP status")
    body = payload.get("body")
    if body is not None and not isinstance(body, str):
        raise ProxyResponseError("body must be a string")
    is_base64 = payload.get("isBase64Encoded", False)
    if not isinstance(is_base64, bool):
        raise ProxyResponseError("isBase64Encoded must be a boolean")
    headers: list[tuple[str, str]] = []
    single = payload.get("headers") or {}
    multi = payload.get("multiValueHeaders") or {}
    if not isinstance(single, dict) or not isinstance(multi, dict):
        raise ProxyResponseError("headers and multiValueHeaders must be objects")
    for name, value in single.items():
        headers.append((str(name), _scalar(value, f"headers[{name!r}]")))
    for name, values in multi.items():
        if not isinstance(values, list):
            raise ProxyResponseError(f"multiValueHeaders[{name!r}] must be a list")
        headers.extend((str(name), _scalar(v, f"multiValueHeaders[{name!r}]")) for v in values)
    raw = (body or "").encode("utf-8")
    if is_base64 and body:
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ProxyResponseError("isBase64Encoded is true but body is not base64") from exc
    response = HttpResponse(status=status, headers=headers, body=raw)
    response.set_default_header("Content-Type", "application/json")
    return response

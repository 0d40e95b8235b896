"""REST v1 proxy plumbing: JSON bodies in, JSON responses out, one log line per request.

Responses always carry `Content-Type: application/json`, `Cache-Control: no-store` (the data is
per-caller) and `X-Content-Type-Options: nosniff`. CORS is off unless configured: with
CORS_ALLOW_ORIGIN (one origin, a comma-separated list, or an explicit `*`) the response gets
`Access-Control-Allow-Origin` only when the request's Origin is in that list.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import time
import traceback
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from backend_core.logs import log

MAX_BODY_BYTES = 16 * 1024

Event = Mapping[str, Any]
Response = dict[str, Any]


class ApiError(Exception):
    """An answer for the client: status and a message it can act on (never internal details)."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def header(event: Event, name: str) -> str | None:
    headers = event.get("headers")
    if not isinstance(headers, Mapping):
        return None
    wanted = name.lower()
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == wanted and isinstance(value, str):
            return value
    return None


def cors_headers(event: Event) -> dict[str, str]:
    configured = [o.strip() for o in os.environ.get("CORS_ALLOW_ORIGIN", "").split(",") if o.strip()]
    if not configured:
        return {}
    if "*" in configured:
        return {"Access-Control-Allow-Origin": "*"}
    origin = header(event, "origin")
    if origin and origin in configured:
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
    return {"Vary": "Origin"}


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def json_response(
    status: int, body: object, event: Event, headers: Mapping[str, str] | None = None
) -> Response:
    out_headers = {
        "Content-Type": "application/json",
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        **cors_headers(event),
        **(headers or {}),
    }
    return {
        "statusCode": status,
        "headers": out_headers,
        "body": json.dumps(body, default=_json_default, separators=(",", ":")),
        "isBase64Encoded": False,
    }


def json_body(event: Event, max_bytes: int = MAX_BODY_BYTES) -> dict[str, Any]:
    """The request body as a JSON object, or ApiError(400) saying what is wrong with it."""
    raw = event.get("body")
    if raw is None or raw == "":
        raise ApiError(400, "a JSON object body is required")
    if not isinstance(raw, str):
        raise ApiError(400, "the body must be text")
    data: bytes
    if event.get("isBase64Encoded"):
        try:
            data = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(400, "the body is marked base64 but is not valid base64") from None
    else:
        data = raw.encode("utf-8", errors="surrogatepass")
    if len(data) > max_bytes:
        raise ApiError(400, f"the body is larger than {max_bytes} bytes")
    try:
        parsed = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "the body is not valid JSON") from None
    except RecursionError:  # e.g. 5000 nested "[" fit in MAX_BODY_BYTES: bad input, not a 500
        raise ApiError(400, "the body is nested too deeply") from None
    if not isinstance(parsed, dict):
        raise ApiError(400, "the body must be a JSON object")
    return parsed


def query_param(event: Event, name: str) -> str | None:
    params = event.get("queryStringParameters")
    if isinstance(params, Mapping):
        value = params.get(name)
        if isinstance(value, str):
            return value
    return None


def parse_limit(raw: str | None, *, default: int, maximum: int) -> int:
    """`?limit=`: absent -> default; otherwise ASCII digits from 1 to maximum, else ApiError(400)."""
    if raw is None:
        return default
    # isdigit() alone accepts "²", which int() refuses: ASCII only, so bad input is a 400, not a 500.
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= maximum:
        raise ApiError(400, f"limit must be a whole number from 1 to {maximum}")
    return int(raw)


def path_param(event: Event, name: str) -> str | None:
    params = event.get("pathParameters")
    if isinstance(params, Mapping):
        value = params.get(name)
        if isinstance(value, str):
            return value
    return None


def method_not_allowed(allowed: list[str]) -> ApiError:
    return ApiError(405, f"method not allowed here; use {', '.join(allowed)}", {"Allow": ", ".join(allowed)})


def run(function: str, event: Event, context: Any, route: Callable[[Event], tuple[int, object]]) -> Response:
    """Call `route` and turn its result or error into a proxy response; log one line."""
    started = time.perf_counter()
    request_context = event.get("requestContext") if isinstance(event.get("requestContext"), Mapping) else {}
    fields: dict[str, Any] = {
        "function": function,
        "method": event.get("httpMethod"),
        "resource": event.get("resource"),
        "request_id": (request_context or {}).get("requestId") or getattr(context, "aws_request_id", None),
    }
    level = logging.INFO
    try:
        status, body = route(event)
        response = json_response(status, body, event)
    except ApiError as exc:
        response = json_response(exc.status, {"message": exc.message}, event, exc.headers)
        fields["error"] = exc.message
    except Exception as exc:
        level = logging.ERROR
        fields["error"] = type(exc).__name__
        fields["where"] = traceback.extract_tb(exc.__traceback__)[-1].name if exc.__traceback__ else None
        response = json_response(500, {"message": "Internal server error"}, event)
    fields["status"] = response["statusCode"]
    fields["duration_ms"] = round((time.perf_counter() - started) * 1000, 3)
    log(level, "request", **fields)
    return response

"""REST v1 proxy plumbing for the sign-out endpoint: JSON in, JSON out, CORS for the web app.

Responses carry `Content-Type: application/json`, `Cache-Control: no-store` and
`X-Content-Type-Options: nosniff`; with CORS_ALLOW_ORIGIN (one origin or a comma-separated list)
`Access-Control-Allow-Origin` names the request's Origin when it is in the list.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Mapping
from typing import Any

MAX_BODY_BYTES = 16 * 1024

Event = Mapping[str, Any]


class ApiError(Exception):
    """An answer for the client: status and a message it can act on (never internal details)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def header(event: Event, name: str) -> str | None:
    headers = event.get("headers")
    if not isinstance(headers, Mapping):
        return None
    wanted = name.lower()
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == wanted and isinstance(value, str):
            return value
    return None


def json_response(status: int, body: object, event: Event) -> dict[str, Any]:
    headers = {
        "Content-Type": "application/json",
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    allowed = [o.strip() for o in os.environ.get("CORS_ALLOW_ORIGIN", "").split(",") if o.strip()]
    origin = header(event, "origin")
    if allowed:
        headers["Vary"] = "Origin"
        if origin and origin in allowed:
            headers["Access-Control-Allow-Origin"] = origin
    return {
        "statusCode": status,
        "headers": headers,
        "body": json.dumps(body, separators=(",", ":")),
        "isBase64Encoded": False,
    }


def json_body(event: Event) -> dict[str, Any]:
    """The body as a JSON object ({} when there is none), or ApiError(400) saying what is wrong."""
    raw = event.get("body")
    if raw is None or raw == "":
        return {}
    if not isinstance(raw, str):
        raise ApiError(400, "the body must be text")
    if event.get("isBase64Encoded"):
        try:
            data = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(400, "the body is marked base64 but is not valid base64") from None
    else:
        data = raw.encode("utf-8", errors="surrogatepass")
    if len(data) > MAX_BODY_BYTES:
        raise ApiError(400, f"the body is larger than {MAX_BODY_BYTES} bytes")
    try:
        parsed = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ApiError(400, "the body is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise ApiError(400, "the body must be a JSON object")
    return parsed

"""Calling the functions through their public entry points, and reading what they logged.

- `decide(app, event)`: the authorizer's `app.handler`, classified the way API Gateway would:
  `unauthorized` (exactly `Exception("Unauthorized")`: 401), `allow` (some statement allows),
  `deny`; anything else it raises is an `UnhandledError` (API Gateway would answer 500).
- REST v1 proxy events for the backend handlers in each mode, built from tests/events/.
- `json_lines(text)`: the structured log lines a function wrote to stdout.
"""

from __future__ import annotations

import json
from types import ModuleType, SimpleNamespace
from typing import Any

from tests.functional.functions import support

CONTEXT = SimpleNamespace(aws_request_id="reliability-0001")


class UnhandledError(AssertionError):
    """The authorizer raised something other than the 401 signal."""


def decide(app: ModuleType, event: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    try:
        response = app.handler(event, CONTEXT)
    except Exception as exc:
        if type(exc) is not Exception or str(exc) != "Unauthorized":
            raise UnhandledError(f"{type(exc).__name__}: {exc!r}"[:500]) from exc
        return "unauthorized", None
    if not isinstance(response, dict):
        raise UnhandledError(f"the authorizer returned {type(response).__name__}")
    statements = response["policyDocument"]["Statement"]
    return ("allow" if any(s["Effect"] == "Allow" for s in statements) else "deny"), response


def json_lines(text: str, message: str | None = None) -> list[dict[str, Any]]:
    lines = []
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped.startswith("{"):
            continue
        try:
            line = json.loads(stripped)
        except ValueError:
            continue
        if message is None or line.get("message") == message:
            lines.append(line)
    return lines


def decisions(text: str) -> list[dict[str, Any]]:
    """The authorizer's decision log lines (one per call)."""
    return json_lines(text, "authorizer decision")


# --- backend events ----------------------------------------------------------------------------


def iam_event(
    identity_id: str, method: str, resource: str = "/cip", body: str | None = None
) -> dict[str, Any]:
    event = support.load_event("proxy_iam.json")
    event["requestContext"]["identity"]["cognitoIdentityId"] = identity_id
    return shape(event, method, resource, body)


def user_pool_event(sub: str, method: str, resource: str = "/cup", body: str | None = None) -> dict[str, Any]:
    event = support.load_event("proxy_user_pool.json")
    event["requestContext"]["authorizer"]["claims"]["sub"] = sub
    return shape(event, method, resource, body)


def lambda_event(
    sub: str, method: str, resource: str = "/petstore/v1/pets", body: str | None = None
) -> dict[str, Any]:
    event = support.load_event("proxy_lambda.json")
    event["requestContext"]["authorizer"].update({"sub": sub, "principalId": sub})
    return shape(event, method, resource, body)


def shape(event: dict[str, Any], method: str, resource: str, body: str | None) -> dict[str, Any]:
    event["httpMethod"] = method
    event["requestContext"]["httpMethod"] = method
    event["resource"] = event["path"] = resource
    event["requestContext"]["resourcePath"] = resource
    event["body"] = body
    return event


def response_json(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])

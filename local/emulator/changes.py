"""The emulator's change feed, server side: a count of control-plane changes, served cheaply.

Why: the local API Gateway and Lambda runtime cache what they read from the emulator's API Gateway,
Lambda and IAM APIs (stages, resource policies, function configurations, role policies) and must
see a change on the very next request, as they did when they read everything every time. They ask
`GET /_local/changes` once per request (`local/core/changes.py` is the client and has the full
contract) and read again only when the count moved.

What counts as a change (installed by `local.emulator.apply_patches()`):

* every request to moto's API Gateway, Lambda or IAM API that is not a read: an HTTP method other
  than GET/HEAD, unless its query-protocol `Action` starts with `Get` or `List` (IAM reads are
  POSTs). Refused or failed calls count too: one needless re-read, never a stale answer. The
  count moves after moto handled the call and before its answer is sent, so a client that got
  the answer to its change finds it counted;
* any reset of moto's state (`mock_aws()` starting or stopping, `POST /moto-api/reset`).

Changes made by calling moto's backends directly in this process, bypassing its API, are not
counted: nothing in this repository does that, and a test that does must call :func:`bump`.

The answer is written straight from the HTTP handler (:func:`answer`), before werkzeug builds a
WSGI environment for it: it is asked on every gateway request, and that saves about half its cost.
"""

from __future__ import annotations

import functools
import json
import threading
import uuid
from collections.abc import Callable
from typing import Any

from local.core.changes import CHANGES_PATH

__all__ = ["CHANGES_PATH", "WATCHED_SERVICES", "answer", "apply", "bump", "generation", "instance"]

#: moto's `service_name` of the APIs whose state the gateway and the Lambda runtime cache.
WATCHED_SERVICES = frozenset({"apigateway", "awslambda", "iam"})
_READ_METHODS = frozenset({"GET", "HEAD"})
_READ_ACTIONS = ("Get", "List")

_INSTANCE = uuid.uuid4().hex  # this process's moto state; a restarted emulator counts anew
_lock = threading.Lock()
_generation = 0


def instance() -> str:
    return _INSTANCE


def generation() -> int:
    return _generation


def bump() -> None:
    """Count one change."""
    global _generation  # noqa: PLW0603 - the process-wide count is the point
    with _lock:
        _generation += 1


def answer() -> bytes:
    """The complete HTTP response to `GET /_local/changes`."""
    body = json.dumps({"instance": _INSTANCE, "generation": _generation}).encode()
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body
    )


def is_change(service: str | None, method: str, action: str | None) -> bool:
    """Does a request to moto's `service` with this HTTP method and (query protocol) Action
    change state the gateway caches?"""
    if service not in WATCHED_SERVICES or method.upper() in _READ_METHODS:
        return False
    return not (action or "").startswith(_READ_ACTIONS)


def _query_action(response: Any) -> str | None:
    action = getattr(response, "querystring", {}).get("Action")
    if isinstance(action, list):
        action = action[0] if action else None
    return action if isinstance(action, str) else None


def _counting_call_action(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def call_action(self: Any) -> Any:
        try:
            return original(self)
        finally:
            if is_change(self.service_name, str(getattr(self, "method", "")), _query_action(self)):
                bump()

    return call_action


def _counting_reset(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def reset(*args: Any, **kwargs: Any) -> Any:
        try:
            return original(*args, **kwargs)
        finally:
            bump()

    return reset


def apply() -> None:
    """Install the counting (called once, from `local.emulator.apply_patches`)."""
    from moto.core.base_backend import BackendDict, BaseBackend  # noqa: PLC0415
    from moto.core.responses import BaseResponse  # noqa: PLC0415

    _install(BaseResponse, "call_action", _counting_call_action(BaseResponse.call_action))
    _install(BaseBackend, "reset", _counting_reset(BaseBackend.reset))
    _install(BackendDict, "reset", classmethod(_counting_reset(vars(BackendDict)["reset"].__func__)))


def _install(target: Any, name: str, value: Any) -> None:
    setattr(target, name, value)

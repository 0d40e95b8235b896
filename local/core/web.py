"""Small WSGI helpers shared by the emulator's own HTTP endpoints (`/_local/...`)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request, Response

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

log = logging.getLogger("local.emulator")


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def oauth_error(error: str, description: str, status: int = 400) -> Response:
    """An RFC 6749 §5.2 error body."""
    return json_response({"error": error, "error_description": description}, status=status)


def form_fields(request: Request) -> MultiDict[str, str]:
    """The urlencoded body of a POST (empty for other content types)."""
    return request.form


def json_body(request: Request) -> dict[str, Any] | None:
    """The JSON object body of a request, or None when the body is not a JSON object."""
    try:
        body = json.loads(request.get_data(as_text=True) or "null")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def log_decision(event: str, **fields: Any) -> None:
    """One structured JSON log line (never pass tokens, passwords or whole requests here)."""
    log.info(json.dumps({"event": event, **fields}, sort_keys=True, default=str))

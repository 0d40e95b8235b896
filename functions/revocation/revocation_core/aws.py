"""botocore clients, one per service per container, created on first use.

boto3 is not needed (its `client()` is botocore's `Session.create_client`); the region is the
runtime's (AWS_REGION) and AWS_ENDPOINT_URL, when set, points every client at the emulator.
Calls fail fast: a sign-out is a user waiting, a feed event is retried by Lambda.
"""

from __future__ import annotations

import os
from typing import Any

import botocore.session
from botocore.config import Config

CONNECT_TIMEOUT_SECONDS = 2
READ_TIMEOUT_SECONDS = 4
# Attempts including the first request (botocore's `total_max_attempts`).
MAX_ATTEMPTS = 3

_clients: dict[str, Any] = {}
# One botocore session for every client of the container: a client from a session that already
# made one reuses its loaded data and credentials (a few ms); one from a new session costs a whole
# client creation again (~50-100 ms of a cold start).
_session: list[botocore.session.Session] = []


def client(service: str) -> Any:
    found = _clients.get(service)
    if found is None:
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        if not _session:
            _session.append(botocore.session.get_session())
        found = _clients[service] = _session[0].create_client(
            service,
            region_name=region,
            config=Config(
                connect_timeout=CONNECT_TIMEOUT_SECONDS,
                read_timeout=READ_TIMEOUT_SECONDS,
                retries={"total_max_attempts": MAX_ATTEMPTS, "mode": "standard"},
            ),
        )
    return found


def reset() -> None:
    """Forget the container's clients and session (tests)."""
    _clients.clear()
    _session.clear()


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ClientError, else the exception's type name."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        if isinstance(code, str) and code:
            return code
    return type(exc).__name__

"""The hosted UI's token-request count: what Cognito bills machine-to-machine traffic by.

Since 2024 Cognito charges client-credentials (M2M) traffic per app client per month and per
successful token request (docs/architecture.md, "Machine callers: cost"). A client that asks for a
new token on every call pays for every call; one that reuses its token until it expires pays once
per token lifetime. The local token endpoint counts every token it issues, per user pool, grant and
app client, so a test can show which of the two a client does.

Served as `GET <emulator>/_local/cognito/<user_pool_id>/token-requests` (a local endpoint, like the
change feed at `/_local/changes`; AWS has none, its figures are in the bill and the Service Quotas
utilization of the ClientAuthentication category):

    {"issued": {"client_credentials": {"<client id>": 3}, "authorization_code": {"<client id>": 1}}}

Only successful token responses count (what is billed); refused requests do not.
"""

from __future__ import annotations

import threading
from collections import Counter

import requests

PATH = "token-requests"


class TokenRequests:
    """Issued tokens per (user pool, grant, client); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._issued: Counter[tuple[str, str, str]] = Counter()

    def issued(self, pool_id: str, grant: str, client_id: str) -> None:
        with self._lock:
            self._issued[(pool_id, grant, client_id)] += 1

    def of_pool(self, pool_id: str) -> dict[str, dict[str, int]]:
        """{grant: {client id: tokens issued}} for one user pool."""
        with self._lock:
            items = [(key, count) for key, count in self._issued.items() if key[0] == pool_id]
        out: dict[str, dict[str, int]] = {}
        for (_, grant, client_id), count in sorted(items):
            out.setdefault(grant, {})[client_id] = count
        return out


def issued_tokens(emulator_url: str, pool_id: str, *, timeout: float = 10.0) -> dict[str, dict[str, int]]:
    """The count a running emulator serves for `pool_id` ({grant: {client id: tokens issued}})."""
    url = f"{emulator_url.rstrip('/')}/_local/cognito/{pool_id}/{PATH}"
    with requests.Session() as session:
        session.trust_env = False  # loopback: never through an HTTP(S)_PROXY
        response = session.get(url, timeout=timeout)
    response.raise_for_status()
    issued: dict[str, dict[str, int]] = response.json()["issued"]
    return issued

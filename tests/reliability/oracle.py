"""The one place the reliability tests learn what a caller may do: `expected(stack, user, route)`.

Today it is the static access matrix (`tools.matrix.expected_status`: the templates and routes,
evaluated). When the access contract (tests/contract/access.yaml and its loader in tools/) lands,
`expected` switches to it; nothing else in the reliability tests knows where the answer comes from.

Answers: `ALLOW` (a 2xx from the handler), 401 or 403, compared to a live status with `matches`.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from local.matrix import principals
from tools import config
from tools.matrix import ALLOW, FORBIDDEN, UNAUTHORIZED, Expectation, Principal, expected_status, matches
from tools.render import render_group

__all__ = ["ALLOW", "FORBIDDEN", "UNAUTHORIZED", "Expectation", "expected", "matches"]


@cache
def _policies(environment: str, api_id: str) -> dict[str, Any]:
    cfg = config.load(environment)
    return {g: json.loads(render_group(cfg, g, api_id=api_id)) for g in cfg.groups}


def _principal(stack: dict[str, Any], user: str) -> Principal:
    for principal in principals(stack):
        if principal.name == user:
            return principal
    raise LookupError(f"the stack has no user {user!r}")


def expected(stack: dict[str, Any], user: str, route: str) -> Expectation:
    """What the API must answer demo user `user` on configured route `route`."""
    cfg = config.load(stack["environment"])
    return expected_status(
        cfg,
        _principal(stack, user),
        cfg.routes[route],
        _policies(stack["environment"], stack["api_id"]),
        stack["api_id"],
    )

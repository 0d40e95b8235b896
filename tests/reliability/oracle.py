"""The one place the reliability tests learn what a caller may do: `expected(stack, user, route)`.

It is the access contract (tests/contract/access.yaml through tools/contract/): the promise
people wrote, under the environment's identity-pool role mapping, for the route's probe request
(tools.matrix.probe). Nothing else in the reliability tests knows where the answer comes from.

Answers: `ALLOW` (a 2xx from the handler), 401 or 403, compared to a live status with `matches`.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from tools import config, contract
from tools.matrix import ALLOW, FORBIDDEN, UNAUTHORIZED, Expectation, matches, probe, user_pool_role_mapping

__all__ = ["ALLOW", "FORBIDDEN", "UNAUTHORIZED", "Expectation", "expected", "matches"]


@cache
def _promise() -> contract.Contract:
    return contract.load()


def expected(stack: dict[str, Any], user: str, route: str, method: str | None = None) -> Expectation:
    """What the API must answer demo user `user` on configured route `route` (its probe's method
    unless `method` is given)."""
    cfg = config.load(str(stack["environment"]))
    verb = method or probe(cfg.routes[route]).method
    return _promise().expectation(user_pool_role_mapping(cfg), user, route, verb)

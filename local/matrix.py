"""`make up`'s live access matrix and `python -m local matrix`: the live-matrix engine
(tools/live/engine.py) run against the local stack with the emulator's hooks (local/verify_hooks.py).

It is `make verify ENV=local`: one principal per kind of user of the access contract, created for
the run and removed with everything it stored; write probes aim at items the run wrote itself; the
demo users and the demo data are never touched. Each live answer is printed beside the contract's
promise (tests/contract/access.yaml), under the environment's identity-pool role mapping.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from local.verify_hooks import local_hooks
from tools import config, contract
from tools.live.engine import DEFAULT_SWEEP_AGE, verify
from tools.live.report import Report, render
from tools.matrix import Expectation, Principal, probe, user_pool_role_mapping

__all__ = ["expectations", "principals", "render", "run"]


def principals(stack: dict[str, Any]) -> list[Principal]:
    """The demo users as the static matrix's callers (the console's expectations)."""
    group = stack["external_idp"]["group"]
    return [
        Principal(u["name"], tuple(u["groups"]), external_group=group if u["external"] else None)
        for u in stack["users"]
    ]


def expectations(
    stack: dict[str, Any], env: str | None = None
) -> tuple[str, dict[tuple[str, str], Expectation]]:
    """(role mapping, {(demo user, route): the contract's outcome for the route's probe})."""
    cfg = config.load(env or str(stack.get("environment", "local")))
    mapping = user_pool_role_mapping(cfg)
    promise = contract.load()
    return mapping, {
        (user["name"], route.name): promise.expectation(
            mapping, user["name"], route.name, probe(route).method
        )
        for user in stack["users"]
        for route in cfg.routes.values()
    }


def run(
    stack: dict[str, Any], env: str | None = None, *, sweep_older_than: timedelta = DEFAULT_SWEEP_AGE
) -> Report:
    """Every cell of the contract, live, against the local stack (see tools/live/engine.py)."""
    return verify(
        stack,
        env=env or str(stack.get("environment", "local")),
        hooks=local_hooks(stack),
        sweep_older_than=sweep_older_than,
    )

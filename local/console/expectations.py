"""What the console shows beside each live answer: the expected outcome per (demo user, route).

The console server serves this as `/expectations.json`. The source is the access contract
(tests/contract/access.yaml, written in plain words) under the environment's identity-pool role
mapping, for each route's probe: the same promise `make up`'s matrix prints (local/matrix.py).

Shape: `{"source": <what the expectations come from>, "expected": {user: {route: "allow" | 401 | 403}},
"machines": {machine: {route: "allow" | 401 | 403 | "not_applicable"}}}` where "allow" means a 2xx
from the handler; the machine callers' rows come from the contract's `machines:` section (the
console shows them, it cannot call as a machine).
"""

from __future__ import annotations

from typing import Any

from local.matrix import expectations as contract_expectations
from tools import config, contract
from tools.matrix import probe

Expectations = dict[str, dict[str, str | int]]


def expected_outcomes(stack: dict[str, Any]) -> tuple[str, Expectations]:
    """(role mapping, {user: {route: the contract's outcome}}) for the running stack's demo users."""
    mapping, promised = contract_expectations(stack)
    table: Expectations = {}
    for (user, route), outcome in promised.items():
        table.setdefault(user, {})[route] = outcome
    return mapping, table


def machine_outcomes(stack: dict[str, Any]) -> Expectations:
    """{machine: {route: the contract's outcome for the route's probe}} for the stack's machine callers."""
    cfg = config.load(str(stack.get("environment", "local")))
    cells = contract.machine_cells(contract.load().section(contract.MACHINES))
    return {
        machine["name"]: {
            route.name: cells[(machine["name"], route.name, probe(route).method)]
            for route in cfg.routes.values()
        }
        for machine in stack.get("machines") or []
    }


def expectations(stack: dict[str, Any]) -> dict[str, Any]:
    mapping, table = expected_outcomes(stack)
    source = contract.CONTRACT_FILE.relative_to(config.REPO_ROOT)
    return {
        "source": f"{source}: the access contract, under role mapping {mapping}",
        "expected": table,
        "machines": machine_outcomes(stack),
    }

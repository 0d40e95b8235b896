"""What the console shows beside each live answer: the expected outcome per (demo user, route).

The console server serves this as `/expectations.json`. The source is the access contract
(tests/contract/access.yaml, written in plain words, the same promise `make up`'s matrix prints);
`static_matrix` (tools/matrix.py through the IAM evaluator) returns the same shape.

Shape: `{"source": <what the expectations come from>, "expected": {user: {route: "allow" | 401 | 403}}}`
where "allow" means a 2xx from the handler.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from local.matrix import expectations as contract_expectations
from local.matrix import principals
from tools import config
from tools.matrix import expected_matrix
from tools.render import render_group

ENV = "local"

Expectations = dict[str, dict[str, str | int]]


def static_matrix(stack: dict[str, Any]) -> Expectations:
    """tools/matrix.py: the group templates rendered for this API, evaluated per route."""
    cfg = config.load(ENV)
    policies = {g: json.loads(render_group(cfg, g, api_id=stack["api_id"])) for g in cfg.groups}
    cells = expected_matrix(cfg, principals(stack), policies, stack["api_id"])
    table: Expectations = {}
    for (user, route), outcome in cells.items():
        table.setdefault(user, {})[route] = outcome
    return table


def access_contract(stack: dict[str, Any]) -> Expectations:
    """tests/contract/access.yaml: the access contract, under this environment's role mapping."""
    _, promised = contract_expectations(stack)
    table: Expectations = {}
    for (user, route), outcome in promised.items():
        table.setdefault(user, {})[route] = outcome
    return table


#: Where the console's expectations come from: the access contract (the oracle no evaluator wrote).
SOURCE: Callable[[dict[str, Any]], Expectations] = access_contract


def expectations(stack: dict[str, Any]) -> dict[str, Any]:
    doc = (SOURCE.__doc__ or SOURCE.__name__).strip().splitlines()[0]
    return {"source": doc, "expected": SOURCE(stack)}

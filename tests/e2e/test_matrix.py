"""The full access contract, end to end: every cell (kind of user or machine caller x route x method)
of tests/contract/access.yaml, live, through the live-matrix engine `make up` and `make verify` run
(tools/live/engine.py): the promise people wrote, not an expectation computed by the evaluator the
gateway enforces with. (The static matrix is compared with the same contract in
tests/policy/test_access_contract.py.)

One run of the engine for the module, one test per cell, so a failure names the kind of user, the
route and the method. The cells are known at collection time (the contract and the environment's
configuration); `test_the_run_covers_every_cell_and_left_nothing` checks that the run produced
exactly those, and removed all it created.

Against the local stack the emulator's hooks are plugged in (the hosted UI's code flow for
OAuth-scoped tokens, the local IdP's external user), so every cell is checked. Against another
deployment (FGA_STACK_JSON, whose description must include `verification_client_id`; the caller's
AWS credentials must be allowed the verify role's actions) those cells are not verifiable and are
reported as skipped with the reason.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from local.verify_hooks import local_hooks
from tests.e2e.support import collection_env
from tests.stack_fixture import STACK_JSON_ENV
from tools import config, contract
from tools.live.engine import Hooks, verify
from tools.live.report import NOT_VERIFIABLE, Report, label
from tools.matrix import ALLOW, FORBIDDEN, UNAUTHORIZED, user_pool_role_mapping

ENV = collection_env()
CFG = config.load(ENV)
MAPPING = user_pool_role_mapping(CFG)
PROMISE = contract.load()
CELLS = [
    pytest.param(caller, route.name, method, id=f"{caller}-{method}-{route.name}")
    for caller in [*PROMISE.users(MAPPING), *PROMISE.section(contract.MACHINES)]
    for route in PROMISE.routes.values()
    for method in route.methods
]


@pytest.fixture(scope="module")
def live(stack: dict[str, Any]) -> Report:
    hooks = Hooks() if os.environ.get(STACK_JSON_ENV) else local_hooks(stack)
    return verify(stack, env=ENV, hooks=hooks)


def test_the_promised_matrix_is_not_trivial() -> None:
    """Guard against a contract that could not catch anything: every outcome occurs, every route is
    open to someone, and no two groups' users see the same row."""
    promised = PROMISE.cells(MAPPING)
    assert {ALLOW, UNAUTHORIZED, FORBIDDEN} <= set(promised.values())
    for route in PROMISE.routes.values():
        assert any(
            promised[(u, route.name, m)] == ALLOW for u in PROMISE.users(MAPPING) for m in route.methods
        ), f"nobody may call {route.name}"
    single = {u.name: u.groups[0] for u in PROMISE.users(MAPPING).values() if len(u.groups) == 1}
    rows = {
        group: tuple(sorted((k[1:], v) for k, v in promised.items() if k[0] == name))
        for name, group in single.items()
    }
    assert len(set(rows.values())) == len(rows), "two groups grant exactly the same calls"


def test_the_run_covers_every_cell_and_left_nothing(live: Report) -> None:
    assert {(c.user, c.route, c.method) for c in live.cells} == {tuple(p.values) for p in CELLS}
    assert len(live.cells) == len(CELLS)
    assert live.leftovers == []
    assert live.errors == []
    assert (
        live.removed["users"]
        == live.created["users"]
        == len(PROMISE.users(MAPPING)) - (0 if not os.environ.get(STACK_JSON_ENV) else 1)
    )


@pytest.mark.parametrize(("user", "route", "method"), CELLS)
def test_live_status_keeps_the_contract(live: Report, user: str, route: str, method: str) -> None:
    cell = next(c for c in live.cells if (c.user, c.route, c.method) == (user, route, method))
    if cell.outcome == NOT_VERIFIABLE:
        if not os.environ.get(STACK_JSON_ENV):
            pytest.fail(f"every cell is verifiable against the local stack: {cell.skipped}")
        pytest.skip(f"not verifiable here: {cell.skipped}")
    assert cell.matched, (
        f"{user} {method} {PROMISE.routes[route].path} [role mapping {MAPPING}]: got {cell.status}, "
        f"the contract promises {label(cell.expected)} {cell.note}"
    )

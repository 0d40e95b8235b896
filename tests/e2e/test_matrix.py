"""The full access matrix, end to end: for every demo user x every route, the live status keeps the
access contract (tests/contract/access.yaml): the promise people wrote, not an expectation computed
by the evaluator the gateway enforces with. (The static matrix is compared with the same contract in
tests/policy/test_access_contract.py.)

One test per cell, so a failure names the user and the route. The cells are known at collection
time: the users come from the stack.json FGA_STACK_JSON names, or for the local stack from
`local.demo_data.demo_users` (deterministic names); `test_the_cells_cover_every_user_and_route` checks
that the collected cells are exactly the running stack's users x routes.

Routes whose probe needs an OAuth-scoped access token (the hosted UI's code flow, which only the
emulator drives without a browser) are `local_only`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from local.demo_data import demo_users
from local.matrix import call, expectations
from local.stack import ENV as LOCAL_ENV
from tests.e2e.support import Sessions
from tests.stack_fixture import STACK_JSON_ENV
from tools import config, contract
from tools.matrix import ALLOW, FORBIDDEN, UNAUTHORIZED, matches, probe, user_pool_role_mapping


def _collection_env_and_users() -> tuple[str, list[str]]:
    path = os.environ.get(STACK_JSON_ENV)
    if path:
        described = json.loads(Path(path).read_text())
        return str(described["environment"]), [str(u["name"]) for u in described["users"]]
    return LOCAL_ENV, [u.name for u in demo_users(config.load(LOCAL_ENV))]


ENV, USERS = _collection_env_and_users()
CFG = config.load(ENV)
CELLS = [
    pytest.param(
        user,
        route.name,
        id=f"{user}-{route.name}",
        marks=[pytest.mark.local_only] if route.scopes else [],
    )
    for user in USERS
    for route in CFG.routes.values()
]


MAPPING = user_pool_role_mapping(CFG)
PROMISE = contract.load()


def test_the_cells_cover_every_user_and_route(stack: dict[str, Any]) -> None:
    assert stack["environment"] == ENV
    assert [u["name"] for u in stack["users"]] == USERS
    assert set(stack["routes"]) == set(CFG.routes)
    assert set(USERS) == set(PROMISE.users(MAPPING)), "every demo user needs its promise in the contract"


def test_the_promised_matrix_is_not_trivial(stack: dict[str, Any]) -> None:
    """Guard against a contract that could not catch anything: every outcome occurs, every route is
    open to someone, and no two groups' users see the same row."""
    _, expected = expectations(stack)
    assert {ALLOW, UNAUTHORIZED, FORBIDDEN} <= set(expected.values())
    for route in CFG.routes:
        assert any(expected[(name, route)] == ALLOW for name in USERS), f"nobody may call {route}"
    groups_of = {u["name"]: u["groups"] for u in stack["users"] if not u["external"]}
    single = {name: groups[0] for name, groups in groups_of.items() if len(groups) == 1}
    rows = {group: tuple(expected[(name, r)] for r in CFG.routes) for name, group in single.items()}
    assert len(set(rows.values())) == len(rows), f"two groups grant exactly the same routes: {rows}"


@pytest.mark.parametrize(("user", "route_name"), CELLS)
def test_live_status_keeps_the_contract(
    stack: dict[str, Any], sessions: Sessions, user: str, route_name: str
) -> None:
    described = next(u for u in stack["users"] if u["name"] == user)
    route = CFG.routes[route_name]
    request = probe(route)
    promised = PROMISE.expectation(MAPPING, user, route_name, request.method)
    response, note = call(stack, sessions.of(described), route, request)
    label = "2xx (the handler answered)" if promised == ALLOW else str(promised)
    assert matches(promised, response.status_code), (
        f"{user} {request.method} {request.path} [{route.auth}, role mapping {MAPPING}]: got "
        f"{response.status_code}, the contract promises {label} {note}: {response.text[:300]}"
    )

"""The full access matrix, end to end: for every demo user x every route, the live status equals the
static expectation tools/matrix.py derives from the policy templates and the routes.

One test per cell, so a failure names the user and the route. The cells are known at collection
time: the users come from the stack.json FGA_STACK_JSON names, or for the local stack from
`local.stack.demo_users` (deterministic names); `test_the_cells_cover_every_user_and_route` checks
that the collected cells are exactly the running stack's users x routes.

Routes whose probe needs an OAuth-scoped access token (the hosted UI's code flow, which only the
emulator drives without a browser) are `local_only`.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from local.matrix import principals
from local.stack import ENV as LOCAL_ENV
from local.stack import demo_users
from tests.e2e.support import Sessions
from tests.stack_fixture import STACK_JSON_ENV
from tools import config
from tools.matrix import (
    ALLOW,
    FORBIDDEN,
    UNAUTHORIZED,
    Expectation,
    Principal,
    expected_status,
    matches,
    probe,
)
from tools.render import render_group


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


@cache
def _policies(api_id: str) -> dict[str, Any]:
    """Every group's policy rendered for this API, as Terraform rendered it."""
    return {g: json.loads(render_group(CFG, g, api_id=api_id)) for g in CFG.groups}


def _expected(stack: dict[str, Any], principal: Principal, route_name: str) -> Expectation:
    return expected_status(
        CFG, principal, CFG.routes[route_name], _policies(stack["api_id"]), stack["api_id"]
    )


def _principal(stack: dict[str, Any], name: str) -> tuple[Principal, dict[str, Any]]:
    for principal, user in zip(principals(stack), stack["users"], strict=True):
        if user["name"] == name:
            return principal, user
    raise LookupError(f"stack.json has no user {name!r}")


def test_the_cells_cover_every_user_and_route(stack: dict[str, Any]) -> None:
    assert stack["environment"] == ENV
    assert [u["name"] for u in stack["users"]] == USERS
    assert set(stack["routes"]) == set(CFG.routes)


def test_the_expected_matrix_is_not_trivial(stack: dict[str, Any]) -> None:
    """Guard against an expectation that could not catch anything: every outcome occurs, every
    route is open to someone, and no two groups' users see the same row."""
    expected = {
        (name, route): _expected(stack, _principal(stack, name)[0], route)
        for name in USERS
        for route in CFG.routes
    }
    assert {ALLOW, UNAUTHORIZED, FORBIDDEN} <= set(expected.values())
    for route in CFG.routes:
        assert any(expected[(name, route)] == ALLOW for name in USERS), f"nobody may call {route}"
    groups_of = {name: _principal(stack, name)[1]["groups"] for name in USERS}
    single = {name: groups[0] for name, groups in groups_of.items() if len(groups) == 1}
    rows = {group: tuple(expected[(name, r)] for r in CFG.routes) for name, group in single.items()}
    assert len(set(rows.values())) == len(rows), f"two groups grant exactly the same routes: {rows}"


@pytest.mark.parametrize(("user", "route_name"), CELLS)
def test_live_status_matches_the_expectation(
    stack: dict[str, Any], sessions: Sessions, user: str, route_name: str
) -> None:
    principal, described = _principal(stack, user)
    route = CFG.routes[route_name]
    expected = _expected(stack, principal, route_name)
    request = probe(route)
    response = sessions.of(described).request(
        request.method, request.path, request.body, auth=route.auth, scopes=route.scopes
    )
    label = "2xx (the handler answered)" if expected == ALLOW else str(expected)
    assert matches(expected, response.status_code), (
        f"{user} {request.method} {request.path} [{route.auth}]: got {response.status_code}, "
        f"expected {label}: {response.text[:300]}"
    )

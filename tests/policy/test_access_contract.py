"""The static access matrix against the access contract (tests/contract/access.yaml), cell by cell.

The contract is the oracle: written by people, no evaluation. The static matrix comes from the
policy templates and the routes through the IAM evaluator (tools/matrix.py). If they disagree, the
suite fails; and if the evaluator is broken on purpose, they must disagree (the injected-bug tests).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest

import tools.contract.comparison
import tools.iam_policy
import tools.matrix
from local.demo_data import demo_users
from tools import config, contract
from tools import iam_wildcards as wildcards
from tools.config import Group, Route
from tools.matrix import (
    ALLOW,
    FORBIDDEN,
    NOT_APPLICABLE,
    ROLE_MAPPINGS,
    UNAUTHORIZED,
    Machine,
    user_pool_role_mapping,
)
from tools.render import policy_documents

API_ID = "abcdefghij"


@pytest.fixture(scope="module")
def promise() -> contract.Contract:
    return contract.load()


def _policies(cfg: config.EnvConfig) -> dict[str, Any]:
    return policy_documents(cfg, api_id=API_ID)


@pytest.mark.parametrize("env", config.ENVIRONMENTS)
def test_the_contract_covers_exactly_the_configured_routes_and_groups(
    promise: contract.Contract, env: str
) -> None:
    assert contract.coverage_problems(promise, config.load(env)) == []


def test_a_route_or_group_without_a_contract_entry_fails(promise: contract.Contract) -> None:
    cfg = config.load("local")
    new_route = Route("audit-get", "/audit", "GET", "lambda", "news")
    with_route = replace(cfg, access=replace(cfg.access, routes={**cfg.routes, new_route.name: new_route}))
    assert contract.coverage_problems(promise, with_route) == [
        f"route audit-get (GET /audit [lambda]) has no entry in {promise.source}"
    ]
    with_group = replace(
        cfg, access=replace(cfg.access, groups={**cfg.groups, "auditors": Group("auditors", 40)})
    )
    assert contract.coverage_problems(promise, with_group) == [
        f"group auditors has no user of its own in {promise.source}"
    ]
    moved_route = replace(cfg.routes["news-get"], auth="iam")
    moved = replace(cfg, access=replace(cfg.access, routes={**cfg.routes, "news-get": moved_route}))
    assert contract.coverage_problems(promise, moved) == [
        "route news-get: configured GET /news [iam], contract says GET /news [lambda]"
    ]


def test_a_machine_client_without_a_contract_entry_fails(promise: contract.Contract) -> None:
    cfg = config.load("local")
    auditor = config.MachineClient("auditor", "", ("api/news.read",), group="admin")
    more = replace(
        cfg, access=replace(cfg.access, machine_clients={**cfg.machine_clients, "auditor": auditor})
    )
    assert contract.coverage_problems(promise, more) == [
        f"machine client auditor has no entry (declared: true) in {promise.source}"
    ]
    fewer = replace(cfg, access=replace(cfg.access, machine_clients={}))
    assert contract.coverage_problems(promise, fewer) == [
        f"{promise.source} promises machine client {name}, which local does not declare"
        for name in sorted(cfg.machine_clients)
    ]


def test_the_machine_rows_show_every_outcome(promise: contract.Contract) -> None:
    """The demo's machine callers are allowed and refused in every way the product can answer."""
    outcomes = set(contract.machine_cells(promise.section(contract.MACHINES)).values())
    assert outcomes == {ALLOW, UNAUTHORIZED, FORBIDDEN, NOT_APPLICABLE}
    kinds = {("template" if c.template else "group") for c in config.load("local").machine_clients.values()}
    assert kinds == {"template", "group"}, "one machine client per kind of governing policy"


def test_the_contract_users_are_the_demo_users(promise: contract.Contract) -> None:
    """The live matrix calls as the demo users `make up` creates: the same names, groups, kinds."""
    users = promise.users(promise.default_mapping)
    demo = {u.name: (set(u.groups), u.external) for u in demo_users(config.load("local"))}
    assert demo == {name: (set(u.groups), u.external) for name, u in users.items()}


@pytest.mark.parametrize("env", config.ENVIRONMENTS)
def test_the_static_matrix_keeps_the_contract(promise: contract.Contract, env: str) -> None:
    """Every user x route x method, under the environment's own role mapping."""
    cfg = config.load(env)
    mismatches = contract.static_mismatches(promise, cfg, _policies(cfg), API_ID)
    assert not mismatches, f"{env} ({user_pool_role_mapping(cfg)}):\n{contract.describe(mismatches)}"


@pytest.mark.parametrize("mapping", ROLE_MAPPINGS)
def test_the_static_matrix_keeps_the_contract_under_both_role_mappings(
    promise: contract.Contract, mapping: str
) -> None:
    cfg = config.load("local")
    mismatches = contract.static_mismatches(promise, cfg, _policies(cfg), API_ID, mapping)
    assert not mismatches, contract.describe(mismatches)


def test_the_iam_and_lambda_group_agree_for_every_user(promise: contract.Contract) -> None:
    """One multi-group rule: under the default mapping the identity pool hands every user-pool user
    exactly the role of the group the authorizer applies (static_facts compares both to `group`)."""
    users = promise.users("Rules")
    multi = [u for u in users.values() if len(u.groups) > 1]
    assert multi, "the contract must have a user in several groups"
    for user in users.values():
        expected = user.group if user.group else "none"
        assert user.iam_credentials == expected
        assert user.custom_role_arn == ((user.group,) if user.group else ())


def test_the_token_option_lets_a_multi_group_user_choose_its_other_role(promise: contract.Contract) -> None:
    rules, token = promise.users("Rules")["multi-group"], promise.users("Token")["multi-group"]
    assert rules.custom_role_arn == ("pet-veterinarian",)
    assert set(token.custom_role_arn) == {"pet-veterinarian", "cip-users"}
    assert token.allow_with_custom_role["cip-users"] == {("cip-get", "GET"), ("cip-post", "POST")}
    assert token.outcomes == rules.outcomes  # calls without CustomRoleArn are the same


# --- the contract catches a broken evaluator --------------------------------------------------------

_real_segment_tokens = tools.iam_policy._segment_tokens  # the bug is injected here
_real_statements = tools.iam_policy._statements


def _star_stops_at_slash(segment: list[tuple[str, bool]], *, resource: bool) -> list[Any]:
    return [
        wildcards.Star(t.excluded | {"/"}) if isinstance(t, wildcards.Star) else t
        for t in _real_segment_tokens(segment, resource=resource)
    ]


def _first_resource_only(document: Any, policy_index: int) -> list[Any]:
    return [replace(s, resources=s.resources[:1]) for s in _real_statements(document, policy_index)]


def _wildcard_method(segment: list[tuple[str, bool]], *, resource: bool) -> list[Any]:
    """The HTTP verb of an execute-api resource no longer counts (as if every verb were `*`)."""
    tokens = _real_segment_tokens(segment, resource=resource)
    if not resource:
        return tokens
    out: list[Any] = []
    for token in tokens:
        if not isinstance(token, wildcards.Lit):
            out.append(token)
            continue
        for index, run in enumerate(re.split(r"/(?:GET|POST|PUT|PATCH|DELETE)/", token.text)):
            if index:
                out += [wildcards.Lit("/"), wildcards.Star(frozenset("/")), wildcards.Lit("/")]
            out.append(wildcards.Lit(run))
    return out


BUGS = {
    # name: (function to replace, the buggy version, cells that must then disagree)
    "star-stops-at-slash": (
        "_segment_tokens",
        _star_stops_at_slash,
        {
            (user, "pets-v1-item", m)
            for user in ("pet-veterinarian", "multi-group")
            for m in ("GET", "POST", "PUT", "PATCH", "DELETE")
        },
    ),
    "first-resource-only": (
        "_statements",
        _first_resource_only,
        {("admin", "news-delete", "DELETE"), ("cip-users", "cip-post", "POST")},
    ),
    "method-ignored": (
        "_segment_tokens",
        _wildcard_method,
        {(user, "news-delete", "DELETE") for user in ("cip-users", "google-users", "pet-veterinarian")},
    ),
}


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_a_broken_evaluator_fails_the_contract(
    promise: contract.Contract, monkeypatch: pytest.MonkeyPatch, bug: str
) -> None:
    """With a deliberate bug in tools/iam_policy.py the static matrix no longer keeps the contract,
    and the comparison names the cells the bug changed."""
    cfg = config.load("local")
    policies = _policies(cfg)
    assert contract.static_mismatches(promise, cfg, policies, API_ID) == []
    target, buggy, must_differ = BUGS[bug]
    monkeypatch.setattr(tools.iam_policy, target, buggy)
    mismatches = contract.static_mismatches(promise, cfg, policies, API_ID)
    reported = {
        (m.user, m.where.rsplit("(", 1)[1].rstrip(")"), m.where.split()[0])
        for m in mismatches
        if "(" in m.where
    }
    print(f"injected bug {bug}: {len(mismatches)} mismatches\n{contract.describe(mismatches)}")
    assert must_differ <= reported, contract.describe(mismatches)


# --- the contract catches a broken machine rule -------------------------------------------------------

_real_machine_status = tools.matrix.expected_machine_status


def _scopes_ignored(cfg: config.EnvConfig, machine: Machine, route: Route, *args: Any, **kwargs: Any) -> Any:
    """user_pool routes let any machine token through, whatever scopes it holds."""
    if route.auth == "user_pool":
        return ALLOW
    return _real_machine_status(cfg, machine, route, *args, **kwargs)


def _undeclared_governed_like_the_first(
    cfg: config.EnvConfig, machine: Machine, route: Route, *args: Any, **kwargs: Any
) -> Any:
    """A client the model does not declare is treated as if it were the first declared one."""
    if machine.client is None:
        machine = replace(machine, client=next(iter(cfg.machine_clients.values())))
    return _real_machine_status(cfg, machine, route, *args, **kwargs)


MACHINE_BUGS = {
    "scopes-ignored": (
        _scopes_ignored,
        {
            ("partner", "partner-pets", "GET"),
            ("reporter", "cup-get", "GET"),
            ("undeclared", "cup-email", "GET"),
        },
    ),
    "undeclared-accepted": (
        _undeclared_governed_like_the_first,
        {("undeclared", "news-get", "GET")},
    ),
}


@pytest.mark.parametrize("bug", sorted(MACHINE_BUGS))
def test_a_broken_machine_rule_fails_the_contract(
    promise: contract.Contract, monkeypatch: pytest.MonkeyPatch, bug: str
) -> None:
    cfg = config.load("local")
    policies = _policies(cfg)
    assert contract.static_mismatches(promise, cfg, policies, API_ID) == []
    buggy, must_differ = MACHINE_BUGS[bug]
    monkeypatch.setattr(tools.contract.comparison, "expected_machine_status", buggy)
    mismatches = contract.static_mismatches(promise, cfg, policies, API_ID)
    reported = {
        (m.user, m.where.rsplit("(", 1)[1].rstrip(")"), m.where.split()[0])
        for m in mismatches
        if "(" in m.where
    }
    assert must_differ <= reported, contract.describe(mismatches)


def test_a_machine_client_governed_by_another_item_fails_the_contract(promise: contract.Contract) -> None:
    cfg = config.load("local")
    partner = replace(cfg.machine_clients["partner"], group="admin")
    moved = replace(
        cfg, access=replace(cfg.access, machine_clients={**cfg.machine_clients, "partner": partner})
    )
    mismatches = contract.static_mismatches(promise, moved, _policies(moved), API_ID)
    assert "partner policy (lambda authorizer): contract says pet-veterinarian, found admin" in [
        str(m) for m in mismatches
    ]
    assert any(m.user == "partner" and "(news-delete)" in m.where for m in mismatches)

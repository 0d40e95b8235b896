"""Compare a matrix with the contract, cell by cell, and the identity-pool facts with the rules.

`compare` takes any matrix keyed like the contract's user cells (the live one, the static one) and
reports every cell that differs, is missing or is extra; `compare_machines` does the same for the
machine callers' cells (`machines:`). `static_mismatches` is everything in which the static matrix
of a configuration (the policy templates through the IAM evaluator, tools/matrix.py) disagrees with
the contract: the cells of users and machines, per user the group that decides, the credentials the
identity pool hands out and what each CustomRoleArn choice reaches, and per machine the scopes and
the policy item that governs it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tools.config import EnvConfig
from tools.contract.cells import CellKey
from tools.contract.machines import MACHINES, machine_cells
from tools.contract.model import Contract
from tools.matrix import (
    ALLOW,
    DEFAULT_ROLE,
    NO_CREDENTIALS,
    Expectation,
    custom_role_arns,
    effective_group,
    expected_machine_status,
    expected_status,
    iam_credentials,
    status_with_role,
    user_pool_role_mapping,
)


@dataclass(frozen=True)
class Mismatch:
    user: str
    where: str  # "GET /cip (cip-get)" or the name of an identity-pool fact
    promised: object
    found: object
    detail: str = ""

    def __str__(self) -> str:
        extra = f" ({self.detail})" if self.detail else ""
        promised, found = _label(self.promised), _label(self.found)
        return f"{self.user} {self.where}: contract says {promised}, found {found}{extra}"


def _label(value: object) -> str:
    return "allow" if value == ALLOW else str(value)


def compare(
    contract: Contract,
    mapping: str,
    found: Mapping[CellKey, object],
    matches: Callable[[Expectation, object], bool],
) -> list[Mismatch]:
    """Every user cell of the contract against `found` (a missing cell is a mismatch too; extra cells
    as well)."""
    return _compare_cells(contract, contract.cells(mapping), found, matches)


def compare_machines(
    contract: Contract, found: Mapping[CellKey, object], matches: Callable[[Expectation, object], bool]
) -> list[Mismatch]:
    """Every machine caller's cell of the contract against `found`, as `compare` does for users."""
    return _compare_cells(contract, machine_cells(contract.section(MACHINES)), found, matches)


def _compare_cells(
    contract: Contract,
    promised: Mapping[CellKey, Expectation],
    found: Mapping[CellKey, object],
    matches: Callable[[Expectation, object], bool],
) -> list[Mismatch]:
    out: list[Mismatch] = []
    for key in sorted(set(promised) | set(found)):
        user, route, method = key
        where = f"{method} {contract.routes[route].path if route in contract.routes else '?'} ({route})"
        if key not in found:
            out.append(Mismatch(user, where, promised[key], "nothing", "the matrix has no such cell"))
        elif key not in promised:
            out.append(Mismatch(user, where, "nothing", found[key], "the contract has no such cell"))
        elif not matches(promised[key], found[key]):
            out.append(Mismatch(user, where, promised[key], found[key]))
    return out


def static_cells(
    contract: Contract, cfg: EnvConfig, policies: Mapping[str, Any], api_id: str
) -> dict[CellKey, Expectation]:
    """The static matrix (tools/matrix.py through the IAM evaluator) for every contract cell."""
    users = contract.users(contract.default_mapping)
    return {
        (user.name, route.name, method): expected_status(
            cfg, user.principal(cfg), cfg.routes[route.name], policies, api_id, method=method
        )
        for user in users.values()
        for route in contract.routes.values()
        if route.name in cfg.routes
        for method in route.methods
    }


def static_machine_cells(
    contract: Contract, cfg: EnvConfig, policies: Mapping[str, Any], api_id: str
) -> dict[CellKey, Expectation]:
    """The static matrix for every machine caller's cell of the contract."""
    return {
        (promise.name, route.name, method): expected_machine_status(
            cfg, promise.machine(cfg), cfg.routes[route.name], policies, api_id, method=method
        )
        for promise in contract.section(MACHINES).values()
        for route in contract.routes.values()
        if route.name in cfg.routes
        for method in route.methods
    }


def static_machine_facts(contract: Contract, cfg: EnvConfig) -> list[Mismatch]:
    """Each declared machine caller's scopes and governing item against the configuration's client."""
    out: list[Mismatch] = []
    for promise in contract.section(MACHINES).values():
        client = cfg.machine_clients.get(promise.name)
        if not promise.declared:
            if client is not None:
                out.append(Mismatch(promise.name, "declared", False, True, "the model declares it"))
            continue
        if client is None:
            out.append(Mismatch(promise.name, "declared", True, False, "the model has no such client"))
            continue
        if set(promise.scopes) != set(client.scopes):
            out.append(Mismatch(promise.name, "scopes", sorted(promise.scopes), sorted(client.scopes)))
        if promise.policy != client.policy_key:
            out.append(
                Mismatch(promise.name, "policy (lambda authorizer)", promise.policy, client.policy_key)
            )
    return out


def static_facts(
    contract: Contract, cfg: EnvConfig, policies: Mapping[str, Any], api_id: str, mapping: str
) -> list[Mismatch]:
    """The identity-pool facts of each user under `mapping` against the static rules: the group
    that decides (lambda) equals the role handed out (iam) equals the contract's `group`; the
    default credentials, the CustomRoleArn choices and what each extra role reaches."""
    out: list[Mismatch] = []
    for user in contract.users(mapping).values():
        principal = user.principal(cfg)
        lambda_group = None if user.external else getattr(effective_group(cfg, user.groups), "name", None)
        iam = iam_credentials(cfg, principal, mapping)
        iam_group = None if iam in (NO_CREDENTIALS, DEFAULT_ROLE) else iam
        if not user.external and lambda_group != user.group:
            out.append(Mismatch(user.name, "group (lambda authorizer)", user.group, lambda_group))
        if iam_group != user.group:
            out.append(Mismatch(user.name, "group (identity pool role)", user.group, iam_group))
        if iam != user.iam_credentials:
            out.append(Mismatch(user.name, "iam_credentials", user.iam_credentials, iam))
        choices = custom_role_arns(cfg, principal, mapping)
        if set(choices) != set(user.custom_role_arn):
            out.append(Mismatch(user.name, "custom_role_arn", sorted(user.custom_role_arn), sorted(choices)))
        extra_roles = [r for r in choices if r != iam]
        if set(extra_roles) != set(user.allow_with_custom_role):
            out.append(
                Mismatch(
                    user.name,
                    "allow_with_custom_role roles",
                    sorted(user.allow_with_custom_role),
                    extra_roles,
                )
            )
        for role in extra_roles:
            reached = frozenset(
                (route.name, method)
                for route in contract.routes.values()
                if route.auth == "iam" and route.name in cfg.routes
                for method in route.methods
                if status_with_role(cfg, role, cfg.routes[route.name], policies, api_id, method=method)
                == ALLOW
            )
            promised = user.allow_with_custom_role.get(role, frozenset())
            if reached != promised:
                out.append(
                    Mismatch(
                        user.name,
                        f"allow_with_custom_role {role}",
                        sorted(f"{m} {contract.routes[r].path}" for r, m in promised),
                        sorted(f"{m} {contract.routes[r].path}" for r, m in reached),
                    )
                )
    return out


def static_mismatches(
    contract: Contract, cfg: EnvConfig, policies: Mapping[str, Any], api_id: str, mapping: str | None = None
) -> list[Mismatch]:
    """Everything in which the static matrix of `cfg` disagrees with the contract."""
    mapping = mapping or user_pool_role_mapping(cfg)
    cells = static_cells(contract, cfg, policies, api_id)
    machines = static_machine_cells(contract, cfg, policies, api_id)
    return [
        *compare(contract, mapping, cells, lambda promised, found: promised == found),
        *static_facts(contract, cfg, policies, api_id, mapping),
        *compare_machines(contract, machines, lambda promised, found: promised == found),
        *static_machine_facts(contract, cfg),
    ]


def describe(mismatches: Sequence[Mismatch]) -> str:
    return "\n".join(f"  {m}" for m in mismatches)

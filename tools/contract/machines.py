"""The `machines:` section: what each kind of machine caller may call.

A machine caller is a service holding a confidential app client of the user pool and calling with
an access token from the client-credentials grant. The section has one entry per machine client of
the access model (the names are the model's) and at least one client the model does not declare
(`declared: false`: a client of the pool someone created outside the model):

    machines:
      reporter:
        declared: true
        scopes: [api/pets.read, api/news.read]   # what its tokens carry
        policy: client:reporter                  # the policy-table item governing it (lambda mode)
        allow: [...]
        deny_401: [...]
        deny_403: [...]
        not_applicable: [...]                    # iam routes: no identity-pool credentials exist

Every route x method gets exactly one outcome, as for users; `not_applicable` (a call the caller
cannot make in that mode) is allowed only for iam routes. Whether the scopes and policies match the
configuration is the comparison's business (tools/contract/comparison.py), not the reader's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tools.config import EnvConfig
from tools.contract.cells import Call, CellKey, outcome_table
from tools.contract.routes import ROUTES, RoutePromise
from tools.contract.schema import ContractError, Parsed, Section, mapping, names, only
from tools.matrix import NOT_APPLICABLE, Expectation, Machine

NO_POLICY = "none"
#: The outcome lists every machine caller has (each may be empty; together they cover every call).
MACHINE_OUTCOMES = ("allow", "deny_401", "deny_403", "not_applicable")
_KEYS = {"declared", "scopes", "policy", *MACHINE_OUTCOMES}


@dataclass(frozen=True)
class MachinePromise:
    """What the contract promises one kind of machine caller."""

    name: str
    declared: bool
    scopes: tuple[str, ...]
    policy: str | None  # the policy-table key that governs it in lambda mode; None: none
    outcomes: Mapping[Call, Expectation]  # (route name, method) -> outcome

    def machine(self, cfg: EnvConfig) -> Machine:
        """The static matrix's caller: the configuration's client of this name when declared."""
        client = cfg.machine_clients.get(self.name) if self.declared else None
        return Machine(self.name, self.scopes, client)


def _machine(name: str, raw: Any, where: str, routes: Mapping[str, RoutePromise]) -> MachinePromise:
    spec = mapping(raw, where)
    only(spec, _KEYS, where)
    missing = sorted(_KEYS - set(spec))
    if missing:
        raise ContractError(f"{where}: missing {missing}")
    declared = spec["declared"]
    if not isinstance(declared, bool):
        raise ContractError(f"{where}.declared: expected true or false")
    policy = spec["policy"]
    if not isinstance(policy, str) or not policy:
        raise ContractError(f"{where}.policy: expected a policy-table key or {NO_POLICY!r}")
    if declared == (policy == NO_POLICY):
        raise ContractError(
            f"{where}.policy: a declared client is governed by a policy item; a client the model does "
            f"not declare by none ({NO_POLICY!r})"
        )
    outcomes = outcome_table(spec, where, routes, MACHINE_OUTCOMES)
    not_iam = sorted(
        f"{m} {routes[r].path}"
        for (r, m), o in outcomes.items()
        if o == NOT_APPLICABLE and routes[r].auth != "iam"
    )
    if not_iam:
        raise ContractError(
            f"{where}.not_applicable: {not_iam} are not iam routes (only iam calls are impossible for a "
            "machine: it holds a token, but no identity-pool credentials)"
        )
    return MachinePromise(
        name=name,
        declared=declared,
        scopes=names(spec["scopes"], f"{where}.scopes"),
        policy=None if policy == NO_POLICY else policy,
        outcomes=outcomes,
    )


def read_machines(value: Any, where: str, earlier: Parsed) -> dict[str, MachinePromise]:
    routes = earlier[ROUTES]
    return {
        str(name): _machine(str(name), spec, f"{where}.{name}", routes)
        for name, spec in mapping(value or {}, where).items()
    }


MACHINES = Section("machines", read_machines)


def machine_cells(machines: Mapping[str, MachinePromise]) -> dict[CellKey, Expectation]:
    """Every (machine, route, method) the contract promises, with its outcome."""
    return {
        (machine.name, route, method): outcome
        for machine in machines.values()
        for (route, method), outcome in machine.outcomes.items()
    }

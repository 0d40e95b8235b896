"""The contract as cells: how its lists of calls expand into (route, method) cells with an outcome.

A caller's promise is a few lists, one per outcome, of lines like `GET POST /cip` (several methods
may share a line); each method on a line is one cell. `outcome_table` reads such lists and checks
that every route x method of the contract gets exactly one outcome, no more, no less.

Cells of a whole matrix are keyed `(caller, route name, method)` (CellKey); an ANY route has one
cell per method the contract lists for it. Outcomes are tools.matrix's: ALLOW, UNAUTHORIZED (401),
FORBIDDEN (403), NOT_APPLICABLE (a call the caller cannot make in that mode); OUTCOMES maps the
words the file uses to them (a section names the ones it needs).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tools.contract.routes import RoutePromise
from tools.contract.schema import ContractError
from tools.matrix import ALLOW, FORBIDDEN, NOT_APPLICABLE, UNAUTHORIZED, Expectation

CellKey = tuple[str, str, str]  # (caller, route name, method)
Call = tuple[str, str]  # (route name, method)

#: The outcome words of the file and what each means.
OUTCOMES: dict[str, Expectation] = {
    "allow": ALLOW,
    "deny_401": UNAUTHORIZED,
    "deny_403": FORBIDDEN,
    "not_applicable": NOT_APPLICABLE,
}


def every_call(routes: Mapping[str, RoutePromise]) -> set[Call]:
    return {(r.name, m) for r in routes.values() for m in r.methods}


def calls(raw: Any, where: str, routes: Mapping[str, RoutePromise]) -> list[Call]:
    """A list of lines like 'GET POST /cip' as the (route, method) cells it names."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ContractError(f"{where}: expected a list of calls like 'GET POST /cip'")
    index = {(m, r.path): r.name for r in routes.values() for m in r.methods}
    out: list[Call] = []
    for i, line in enumerate(raw):
        at = f"{where}[{i}]"
        if not isinstance(line, str) or not line.strip():
            raise ContractError(f"{at}: expected a call like 'GET /news', got {line!r}")
        *methods, path = line.split()
        if not methods or not path.startswith("/"):
            raise ContractError(f"{at}: {line!r} is not 'METHOD [METHOD ...] /path'")
        for method in methods:
            route = index.get((method, path))
            if route is None:
                raise ContractError(
                    f"{at}: {method} {path} is not a route x method of the contract's `routes`"
                )
            out.append((route, method))
    return out


def outcome_table(
    spec: Mapping[str, Any], where: str, routes: Mapping[str, RoutePromise], keys: Iterable[str]
) -> dict[Call, Expectation]:
    """The outcome lists `keys` (words of OUTCOMES) of one caller: every route x method exactly once."""
    outcomes: dict[Call, Expectation] = {}
    for key in keys:
        for cell in calls(spec[key], f"{where}.{key}", routes):
            if cell in outcomes:
                raise ContractError(f"{where}: {cell[1]} on route {cell[0]} is promised twice")
            outcomes[cell] = OUTCOMES[key]
    absent = sorted(every_call(routes) - set(outcomes))
    if absent:
        listed = ", ".join(f"{m} {routes[r].path}" for r, m in absent)
        raise ContractError(f"{where}: no outcome for {listed} (every route x method needs one)")
    return outcomes

"""The loaded contract: routes, users per role mapping, and their cells.

`Contract` is what the loader returns and what every comparison reads. The core sections have
fields of their own (`routes`, `users(mapping)`); any section, these and the ones added later, is
also reachable through `section(SECTION)`, typed by the Section it was read with.
"""

from __future__ import annotations

from dataclasses import dataclass

from tools.contract.cells import CellKey
from tools.contract.routes import RoutePromise
from tools.contract.schema import ContractError, Parsed, Section
from tools.contract.users import UserPromise
from tools.matrix import Expectation


@dataclass(frozen=True)
class Contract:
    source: str
    default_mapping: str
    routes: dict[str, RoutePromise]
    users_by_mapping: dict[str, dict[str, UserPromise]]
    sections: Parsed

    def section[T](self, section: Section[T]) -> T:
        """A section's parsed form (`promise.section(ROUTES)`)."""
        return self.sections[section]

    def users(self, mapping: str) -> dict[str, UserPromise]:
        try:
            return self.users_by_mapping[mapping]
        except KeyError:
            raise ContractError(f"{self.source}: no semantics for role mapping {mapping!r}") from None

    def cells(self, mapping: str) -> dict[CellKey, Expectation]:
        """Every (user, route, method) the contract promises under `mapping`, with its outcome."""
        return {
            (user.name, route, method): outcome
            for user in self.users(mapping).values()
            for (route, method), outcome in user.outcomes.items()
        }

    def expectation(self, mapping: str, user: str, route: str, method: str) -> Expectation:
        try:
            return self.users(mapping)[user].outcomes[(route, method)]
        except KeyError:
            raise ContractError(f"{self.source}: no promise for {user} {method} on route {route}") from None

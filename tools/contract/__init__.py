"""The access contract (`tests/contract/access.yaml`): who may call what, as people wrote it.

The static matrix (`tools/matrix.py`) and the live matrix (`local/matrix.py`, the e2e suite) are
derived from the policy templates through an IAM evaluator; if the evaluator were wrong, an
expectation computed with it would be wrong the same way and every comparison would stay green.
The contract is the independent oracle: a literal list, per kind of user, of every route x method
and its outcome, plus the identity-pool facts of iam mode.

The package does three jobs, one per part; callers use the names re-exported here
(`contract.load()`, `contract.static_mismatches(...)`):

- reading the file: `loader.py` (`load`, `parse`, SECTIONS: the file's top-level keys in reading
  order), `schema.py` (ContractError, Section, small readers), and one module per section:
  `routes.py` (`routes:`), `users.py` (`users:`, `token_option:`), `machines.py` (`machines:`, the
  machine callers), `revocation.py` (`revocation:`);
- the contract as cells: `cells.py` (lines like `GET POST /cip` -> (route, method) cells, the
  outcome words, every route x method exactly once) and `model.py` (Contract: `cells(mapping)`,
  `expectation(...)`, `section(SECTION)`);
- comparing: `comparison.py` (a matrix against the contract; the static matrix's cells and
  identity-pool facts, users' and machines') and `coverage.py` (the contract against the
  configuration's routes, groups and machine clients).

Adding a section (as `revocation:` was): write `tools/contract/<name>.py` with its dataclasses, a
`read_<name>(value, where, earlier) -> <Promise>` (value is None when the file leaves the key
out; `earlier[ROUTES]`, `earlier[USERS]` give the sections read before it; refuse bad input with
ContractError naming `where`), and `<NAME> = Section("<name>", read_<name>)`; then add it to
`loader.SECTIONS` after the sections it reads. That one entry makes the key allowed
in the file; callers get the parsed form as `promise.section(REVOCATION)`. A new outcome word (an
entry of `cells.OUTCOMES`) becomes available to every section that lists it in the outcome keys it
passes to `outcome_table`; `users:` keeps its own three (`users.USER_OUTCOMES`).
"""

from __future__ import annotations

from tools.contract.cells import OUTCOMES, CellKey, outcome_table
from tools.contract.comparison import (
    Mismatch,
    compare,
    compare_machines,
    describe,
    static_cells,
    static_facts,
    static_machine_cells,
    static_mismatches,
)
from tools.contract.coverage import coverage_problems
from tools.contract.loader import CONTRACT_FILE, SECTIONS, load, parse
from tools.contract.machines import MACHINES, MachinePromise, machine_cells
from tools.contract.model import Contract
from tools.contract.revocation import ENDED_BY, REVOCATION, ModePromise, RevocationPromise
from tools.contract.routes import ROUTES, RoutePromise
from tools.contract.schema import ContractError, Parsed, Section
from tools.contract.users import NO_GROUP, TOKEN_OPTION, USERS, UserPromise

__all__ = [
    "CONTRACT_FILE",
    "ENDED_BY",
    "MACHINES",
    "NO_GROUP",
    "OUTCOMES",
    "REVOCATION",
    "ROUTES",
    "SECTIONS",
    "TOKEN_OPTION",
    "USERS",
    "CellKey",
    "Contract",
    "ContractError",
    "MachinePromise",
    "Mismatch",
    "ModePromise",
    "Parsed",
    "RevocationPromise",
    "RoutePromise",
    "Section",
    "UserPromise",
    "compare",
    "compare_machines",
    "coverage_problems",
    "describe",
    "load",
    "machine_cells",
    "outcome_table",
    "parse",
    "static_cells",
    "static_facts",
    "static_machine_cells",
    "static_mismatches",
]

"""Load `tests/contract/access.yaml`: read each section in turn, refuse anything malformed.

SECTIONS is the one list of the file's top-level keys: a key no section reads is refused, and the
sections are read in this order, each seeing the ones before it (`users` reads `routes`). A new
section is a module with a `Section(key, read)` and one entry here; see tools/contract/__init__.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from tools.config import REPO_ROOT
from tools.contract.machines import MACHINES
from tools.contract.model import Contract
from tools.contract.revocation import REVOCATION
from tools.contract.routes import ROUTES
from tools.contract.schema import ContractError, Parsed, Section, mapping, only
from tools.contract.users import TOKEN_OPTION, USERS
from tools.matrix import RULES, TOKEN

CONTRACT_FILE = REPO_ROOT / "tests" / "contract" / "access.yaml"


def _read_version(value: Any, where: str, earlier: Parsed) -> int:
    if value != 1:
        raise ContractError(f"{where}: `version: 1` is required (got {value!r})")
    return 1


def _read_role_mapping_default(value: Any, where: str, earlier: Parsed) -> str:
    if value != RULES:
        raise ContractError(
            f"{where}: role_mapping_default must be {RULES!r} (the product's default; `token_option` "
            f"describes what {TOKEN} changes), not {value!r}"
        )
    return RULES


VERSION = Section("version", _read_version)
ROLE_MAPPING_DEFAULT = Section("role_mapping_default", _read_role_mapping_default)

#: Every top-level key of the contract file, in the order the sections are read.
SECTIONS: tuple[Section[Any], ...] = (
    VERSION,
    ROLE_MAPPING_DEFAULT,
    ROUTES,
    USERS,
    TOKEN_OPTION,
    MACHINES,
    REVOCATION,
)


def parse(raw: Any, source: str = "<contract>", sections: Sequence[Section[Any]] = SECTIONS) -> Contract:
    """The contract in `raw` (the file's YAML, already parsed); `sections` says which keys exist."""
    top = mapping(raw, source)
    only(top, {s.key for s in sections}, source)
    parsed = Parsed(source)
    for section in sections:
        parsed.add(section, section.read(top.get(section.key), f"{source}: {section.key}", parsed))
    return Contract(
        source=source,
        default_mapping=parsed[ROLE_MAPPING_DEFAULT],
        routes=parsed[ROUTES],
        users_by_mapping={RULES: parsed[USERS], TOKEN: parsed[TOKEN_OPTION]},
        sections=parsed,
    )


def load(path: Path = CONTRACT_FILE, sections: Sequence[Section[Any]] = SECTIONS) -> Contract:
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError as exc:
        raise ContractError(f"{path} does not exist") from exc
    except yaml.YAMLError as exc:
        raise ContractError(f"{path}: not valid YAML: {exc}") from exc
    return parse(raw, source=_display(path), sections=sections)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)

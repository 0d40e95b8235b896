"""How the contract file is read: the error it raises, what a top-level section is, and readers for
the small forms every section uses (a mapping, a list of names, a role, a set of allowed keys).

A section is one top-level key of `tests/contract/access.yaml` (`routes`, `users`, ...) with the
function that reads it. The loader (tools/contract/loader.py) reads the sections in the order it
lists them and hands each the ones read before it, so a section may rely on `routes` or `users`
without knowing how they were read. Every reader refuses bad input with a ContractError whose
message starts with the place (`<file>: users.admin.groups: ...`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from tools.matrix import DEFAULT_ROLE, NO_CREDENTIALS


class ContractError(ValueError):
    """The contract file is malformed; the message names the file and the place."""


@dataclass(frozen=True)
class Section[T]:
    """One top-level key of the contract file and how to read it.

    `read(value, where, earlier)` gets the key's value (None when the file leaves the key out), the
    place for messages (`<file>: <key>`) and the sections read before it (`earlier[ROUTES]`), and
    returns the section's parsed form or raises ContractError.
    """

    key: str
    read: Callable[[Any, str, Parsed], T]


class Parsed:
    """The sections read so far, looked up by their Section: `parsed[ROUTES]` is the routes' dict."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._values: dict[str, object] = {}

    def add[T](self, section: Section[T], value: T) -> None:
        self._values[section.key] = value

    def __getitem__[T](self, section: Section[T]) -> T:
        try:
            return cast(T, self._values[section.key])
        except KeyError:
            raise LookupError(
                f"the contract section {section.key!r} is not read yet: list it before the sections "
                "that read it (tools/contract/loader.py, SECTIONS)"
            ) from None


def mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ContractError(f"{where}: expected a mapping, got {type(value).__name__}")
    return value


def names(value: Any, where: str) -> tuple[str, ...]:
    """A list of distinct, non-empty names."""
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ContractError(f"{where}: expected a list of names")
    if len(set(value)) != len(value):
        raise ContractError(f"{where}: lists a name twice")
    return tuple(value)


def only(keys: Mapping[str, Any], allowed: set[str], where: str) -> None:
    """Refuse keys outside `allowed` (a typo must not silently promise nothing)."""
    unknown = sorted(set(keys) - allowed)
    if unknown:
        raise ContractError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")


def role(value: Any, where: str) -> str:
    """A group name, DEFAULT_ROLE or NO_CREDENTIALS (checked against the configuration elsewhere)."""
    if not isinstance(value, str) or not value:
        raise ContractError(f"{where}: expected a group name, {DEFAULT_ROLE!r} or {NO_CREDENTIALS!r}")
    return value

"""The `users:` and `token_option:` sections: what each kind of user may call, under each role mapping.

`users` holds one entry per kind of user (one per group, one in no group, one in several groups,
one from the external IdP; the names are the demo users `make up` creates), under the default
role mapping (Rules): the group whose policy applies, the identity-pool facts and an outcome for
every route x method. `token_option` lists only what the Token mapping changes for a user (the
credentials, the CustomRoleArn choices and what each extra role reaches); everything else carries
over from `users`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tools.config import EnvConfig
from tools.contract.cells import Call, calls, outcome_table
from tools.contract.routes import ROUTES, RoutePromise
from tools.contract.schema import ContractError, Parsed, Section, mapping, names, only, role
from tools.matrix import Expectation, Principal, external_group

NO_GROUP = "none"
#: The outcome lists every user has (each may be empty; together they cover every route x method).
USER_OUTCOMES = ("allow", "deny_401", "deny_403")
_FACTS = {"groups", "group", "iam_credentials", "custom_role_arn"}
_USER_KEYS = {*_FACTS, "external", *USER_OUTCOMES}
_TOKEN_KEYS = {"group", "iam_credentials", "custom_role_arn", "allow_with_custom_role"}


@dataclass(frozen=True)
class UserPromise:
    """What the contract promises one kind of user, under one role mapping."""

    name: str
    groups: tuple[str, ...]
    external: bool
    group: str | None  # the group whose policy applies (iam and lambda alike); None: no group
    iam_credentials: str  # a group name, DEFAULT_ROLE or NO_CREDENTIALS
    custom_role_arn: tuple[str, ...]
    outcomes: Mapping[Call, Expectation]  # (route name, method) -> outcome
    allow_with_custom_role: Mapping[str, frozenset[Call]] = field(default_factory=dict)

    def principal(self, cfg: EnvConfig) -> Principal:
        """The static matrix's caller for this user (external users: the env's provider group)."""
        return Principal(
            self.name, self.groups, external_group=external_group(cfg) if self.external else None
        )


def _group(value: Any, where: str) -> str | None:
    name = role(value, where)
    return None if name == NO_GROUP else name


def _user(name: str, raw: Any, where: str, routes: Mapping[str, RoutePromise]) -> UserPromise:
    spec = mapping(raw, where)
    only(spec, _USER_KEYS, where)
    missing = sorted({*_FACTS, *USER_OUTCOMES} - set(spec))
    if missing:
        raise ContractError(f"{where}: missing {missing}")
    external = spec.get("external", False)
    if not isinstance(external, bool):
        raise ContractError(f"{where}.external: expected true or false")
    outcomes = outcome_table(spec, where, routes, USER_OUTCOMES)
    return UserPromise(
        name=name,
        groups=names(spec["groups"], f"{where}.groups"),
        external=external,
        group=_group(spec["group"], f"{where}.group"),
        iam_credentials=role(spec["iam_credentials"], f"{where}.iam_credentials"),
        custom_role_arn=names(spec["custom_role_arn"], f"{where}.custom_role_arn"),
        outcomes=outcomes,
    )


def read_users(value: Any, where: str, earlier: Parsed) -> dict[str, UserPromise]:
    routes = earlier[ROUTES]
    users = {
        str(name): _user(str(name), spec, f"{where}.{name}", routes)
        for name, spec in mapping(value, where).items()
    }
    if not users:
        raise ContractError(f"{where}: is empty (every kind of user needs an entry)")
    return users


USERS = Section("users", read_users)


def _token_user(user: UserPromise, raw: Any, at: str, routes: Mapping[str, RoutePromise]) -> UserPromise:
    change = mapping(raw, at)
    only(change, _TOKEN_KEYS, at)
    extra: dict[str, frozenset[Call]] = {}
    choices = mapping(change.get("allow_with_custom_role") or {}, f"{at}.allow_with_custom_role")
    for chosen, listed in choices.items():
        cells = calls(listed, f"{at}.allow_with_custom_role.{chosen}", routes)
        non_iam = sorted({routes[r].path for r, _ in cells if routes[r].auth != "iam"})
        if non_iam:
            raise ContractError(f"{at}.allow_with_custom_role.{chosen}: {non_iam} are not iam routes")
        extra[str(chosen)] = frozenset(cells)
    return UserPromise(
        name=user.name,
        groups=user.groups,
        external=user.external,
        group=_group(change.get("group", user.group or NO_GROUP), f"{at}.group"),
        iam_credentials=role(change.get("iam_credentials", user.iam_credentials), f"{at}.iam_credentials"),
        custom_role_arn=names(
            change.get("custom_role_arn", list(user.custom_role_arn)), f"{at}.custom_role_arn"
        ),
        outcomes=user.outcomes,
        allow_with_custom_role=extra,
    )


def read_token_option(value: Any, where: str, earlier: Parsed) -> dict[str, UserPromise]:
    """Every user under the Token mapping: `users`, with the changes listed here."""
    base, routes = earlier[USERS], earlier[ROUTES]
    changes = mapping(value or {}, where)
    unknown = sorted(set(changes) - set(base))
    if unknown:
        raise ContractError(f"{where}: {unknown} are not users of the contract")
    return {
        name: _token_user(user, changes[name], f"{where}.{name}", routes) if name in changes else user
        for name, user in base.items()
    }


TOKEN_OPTION = Section("token_option", read_token_option)

"""The access contract (`tests/contract/access.yaml`): who may call what, as people wrote it.

The static matrix (`tools/matrix.py`) and the live matrix (`local/matrix.py`, the e2e suite) are
derived from the policy templates through an IAM evaluator; if the evaluator were wrong, an
expectation computed with it would be wrong the same way and every comparison would stay green.
The contract is the independent oracle: a literal list, per kind of user, of every route x method
and its outcome, plus the identity-pool facts of iam mode. This module parses it (refusing anything
malformed with a message naming the place), checks that it speaks for exactly the configured routes
and groups, and compares a matrix with it cell by cell.

Cells are keyed `(user, route name, method)`; an ANY route has one cell per method the contract
lists for it. Outcomes are tools.matrix's: ALLOW, UNAUTHORIZED (401), FORBIDDEN (403).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tools.config import AUTH_MODES, HTTP_METHODS, REPO_ROOT, EnvConfig
from tools.matrix import (
    ALLOW,
    DEFAULT_ROLE,
    FORBIDDEN,
    NO_CREDENTIALS,
    RULES,
    TOKEN,
    UNAUTHORIZED,
    Expectation,
    Principal,
    custom_role_arns,
    effective_group,
    expected_status,
    external_group,
    iam_credentials,
    status_with_role,
    user_pool_role_mapping,
)

CONTRACT_FILE = REPO_ROOT / "tests" / "contract" / "access.yaml"
OUTCOMES: dict[str, Expectation] = {"allow": ALLOW, "deny_401": UNAUTHORIZED, "deny_403": FORBIDDEN}
NO_GROUP = "none"
_TOP_KEYS = {"version", "role_mapping_default", "routes", "users", "token_option"}
_ROUTE_KEYS = {"method", "path", "auth", "methods"}
_USER_KEYS = {"groups", "external", "group", "iam_credentials", "custom_role_arn", *OUTCOMES}
_TOKEN_KEYS = {"group", "iam_credentials", "custom_role_arn", "allow_with_custom_role"}

CellKey = tuple[str, str, str]  # (user, route name, method)


class ContractError(ValueError):
    """The contract file is malformed; the message names the file and the place."""


@dataclass(frozen=True)
class RoutePromise:
    name: str
    method: str  # as configured: a verb or ANY
    path: str
    auth: str
    methods: tuple[str, ...]  # the verbs the contract speaks for (ANY: spelt out)


@dataclass(frozen=True)
class UserPromise:
    """What the contract promises one kind of user, under one role mapping."""

    name: str
    groups: tuple[str, ...]
    external: bool
    group: str | None  # the group whose policy applies (iam and lambda alike); None: no group
    iam_credentials: str  # a group name, DEFAULT_ROLE or NO_CREDENTIALS
    custom_role_arn: tuple[str, ...]
    outcomes: Mapping[tuple[str, str], Expectation]  # (route name, method) -> outcome
    allow_with_custom_role: Mapping[str, frozenset[tuple[str, str]]] = field(default_factory=dict)

    def principal(self, cfg: EnvConfig) -> Principal:
        """The static matrix's caller for this user (external users: the env's provider group)."""
        return Principal(
            self.name, self.groups, external_group=external_group(cfg) if self.external else None
        )


@dataclass(frozen=True)
class Contract:
    source: str
    default_mapping: str
    routes: dict[str, RoutePromise]
    users_by_mapping: dict[str, dict[str, UserPromise]]

    def users(self, mapping: str) -> dict[str, UserPromise]:
        try:
            return self.users_by_mapping[mapping]
        except KeyError:
            raise ContractError(f"{self.source}: no semantics for role mapping {mapping!r}") from None

    def cells(self, mapping: str) -> dict[CellKey, Expectation]:
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


# --- parsing -------------------------------------------------------------------------------------


def load(path: Path = CONTRACT_FILE) -> Contract:
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError as exc:
        raise ContractError(f"{path} does not exist") from exc
    except yaml.YAMLError as exc:
        raise ContractError(f"{path}: not valid YAML: {exc}") from exc
    return parse(raw, source=_display(path))


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ContractError(f"{where}: expected a mapping, got {type(value).__name__}")
    return value


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ContractError(f"{where}: expected a list of names")
    if len(set(value)) != len(value):
        raise ContractError(f"{where}: lists a name twice")
    return tuple(value)


def _only(keys: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(keys) - allowed)
    if unknown:
        raise ContractError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")


def _route(name: str, raw: Any, where: str) -> RoutePromise:
    spec = _mapping(raw, where)
    _only(spec, _ROUTE_KEYS, where)
    for key in ("method", "path", "auth"):
        if not isinstance(spec.get(key), str):
            raise ContractError(f"{where}: `{key}` is required (a string)")
    method, path, auth = spec["method"].upper(), spec["path"], spec["auth"]
    if method not in HTTP_METHODS:
        raise ContractError(f"{where}: method {method!r} is not one of {HTTP_METHODS}")
    if auth not in AUTH_MODES:
        raise ContractError(f"{where}: auth {auth!r} is not one of {AUTH_MODES}")
    if not path.startswith("/"):
        raise ContractError(f"{where}: path {path!r} must start with /")
    if method == "ANY":
        if "methods" not in spec:
            raise ContractError(f"{where}: an ANY route must spell out `methods` (the verbs promised)")
        methods = tuple(m.upper() for m in _strings(spec["methods"], f"{where}.methods"))
        bad = [m for m in methods if m not in HTTP_METHODS or m == "ANY"]
        if bad:
            raise ContractError(f"{where}.methods: {bad} are not HTTP verbs")
    else:
        if "methods" in spec:
            raise ContractError(f"{where}: `methods` is only for ANY routes")
        methods = (method,)
    return RoutePromise(name, method, path, auth, methods)


def _calls(
    raw: Any, where: str, index: Mapping[tuple[str, str], str]
) -> list[tuple[str, str]]:  # [(route name, method)]
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ContractError(f"{where}: expected a list of calls like 'GET POST /cip'")
    out: list[tuple[str, str]] = []
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


def _role(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ContractError(f"{where}: expected a group name, {DEFAULT_ROLE!r} or {NO_CREDENTIALS!r}")
    return value


def _user(name: str, raw: Any, where: str, routes: Mapping[str, RoutePromise]) -> UserPromise:
    spec = _mapping(raw, where)
    _only(spec, _USER_KEYS, where)
    missing = sorted({"groups", "group", "iam_credentials", "custom_role_arn", *OUTCOMES} - set(spec))
    if missing:
        raise ContractError(f"{where}: missing {missing}")
    external = spec.get("external", False)
    if not isinstance(external, bool):
        raise ContractError(f"{where}.external: expected true or false")
    index = {(m, r.path): r.name for r in routes.values() for m in r.methods}
    outcomes: dict[tuple[str, str], Expectation] = {}
    for key, outcome in OUTCOMES.items():
        for cell in _calls(spec[key], f"{where}.{key}", index):
            if cell in outcomes:
                raise ContractError(f"{where}: {cell[1]} on route {cell[0]} is promised twice")
            outcomes[cell] = outcome
    every = {(r.name, m) for r in routes.values() for m in r.methods}
    absent = sorted(every - set(outcomes))
    if absent:
        listed = ", ".join(f"{m} {routes[r].path}" for r, m in absent)
        raise ContractError(f"{where}: no outcome for {listed} (every route x method needs one)")
    group = _role(spec["group"], f"{where}.group")
    return UserPromise(
        name=name,
        groups=_strings(spec["groups"], f"{where}.groups"),
        external=external,
        group=None if group == NO_GROUP else group,
        iam_credentials=_role(spec["iam_credentials"], f"{where}.iam_credentials"),
        custom_role_arn=_strings(spec["custom_role_arn"], f"{where}.custom_role_arn"),
        outcomes=outcomes,
    )


def _token_users(
    raw: Any, where: str, base: Mapping[str, UserPromise], routes: Mapping[str, RoutePromise]
) -> dict[str, UserPromise]:
    changes = _mapping(raw or {}, where)
    unknown = sorted(set(changes) - set(base))
    if unknown:
        raise ContractError(f"{where}: {unknown} are not users of the contract")
    index = {(m, r.path): r.name for r in routes.values() for m in r.methods}
    out = dict(base)
    for name, raw_change in changes.items():
        at = f"{where}.{name}"
        change = _mapping(raw_change, at)
        _only(change, _TOKEN_KEYS, at)
        user = base[name]
        extra: dict[str, frozenset[tuple[str, str]]] = {}
        for role, calls in _mapping(
            change.get("allow_with_custom_role") or {}, f"{at}.allow_with_custom_role"
        ).items():
            cells = _calls(calls, f"{at}.allow_with_custom_role.{role}", index)
            non_iam = sorted({routes[r].path for r, _ in cells if routes[r].auth != "iam"})
            if non_iam:
                raise ContractError(f"{at}.allow_with_custom_role.{role}: {non_iam} are not iam routes")
            extra[str(role)] = frozenset(cells)
        group = _role(change.get("group", user.group or NO_GROUP), f"{at}.group")
        out[name] = UserPromise(
            name=name,
            groups=user.groups,
            external=user.external,
            group=None if group == NO_GROUP else group,
            iam_credentials=_role(
                change.get("iam_credentials", user.iam_credentials), f"{at}.iam_credentials"
            ),
            custom_role_arn=_strings(
                change.get("custom_role_arn", list(user.custom_role_arn)), f"{at}.custom_role_arn"
            ),
            outcomes=user.outcomes,
            allow_with_custom_role=extra,
        )
    return out


def parse(raw: Any, source: str = "<contract>") -> Contract:
    top = _mapping(raw, source)
    _only(top, _TOP_KEYS, source)
    if top.get("version") != 1:
        raise ContractError(f"{source}: `version: 1` is required (got {top.get('version')!r})")
    default = top.get("role_mapping_default")
    if default != RULES:
        raise ContractError(
            f"{source}: role_mapping_default must be {RULES!r} (the product's default; `token_option` "
            f"describes what {TOKEN} changes), not {default!r}"
        )
    routes = {
        str(name): _route(str(name), spec, f"{source}: routes.{name}")
        for name, spec in _mapping(top.get("routes"), f"{source}: routes").items()
    }
    seen: dict[tuple[str, str], str] = {}
    for route in routes.values():
        for method in route.methods:
            other = seen.setdefault((method, route.path), route.name)
            if other != route.name:
                raise ContractError(
                    f"{source}: routes {other} and {route.name} both claim {method} {route.path}"
                )
    users = {
        str(name): _user(str(name), spec, f"{source}: users.{name}", routes)
        for name, spec in _mapping(top.get("users"), f"{source}: users").items()
    }
    if not users:
        raise ContractError(f"{source}: `users` is empty")
    token = _token_users(top.get("token_option"), f"{source}: token_option", users, routes)
    return Contract(
        source=source, default_mapping=RULES, routes=routes, users_by_mapping={RULES: users, TOKEN: token}
    )


# --- coverage ------------------------------------------------------------------------------------


def coverage_problems(contract: Contract, cfg: EnvConfig) -> list[str]:
    """What the configuration has and the contract does not speak for (or the reverse)."""
    problems: list[str] = []
    for name in sorted(set(cfg.routes) - set(contract.routes)):
        r = cfg.routes[name]
        problems.append(f"route {name} ({r.method} {r.path} [{r.auth}]) has no entry in {contract.source}")
    for name in sorted(set(contract.routes) - set(cfg.routes)):
        problems.append(
            f"{contract.source} promises route {name}, which {cfg.environment} does not configure"
        )
    for name in sorted(set(cfg.routes) & set(contract.routes)):
        r, p = cfg.routes[name], contract.routes[name]
        if (r.method, r.path, r.auth) != (p.method, p.path, p.auth):
            problems.append(
                f"route {name}: configured {r.method} {r.path} [{r.auth}], "
                f"contract says {p.method} {p.path} [{p.auth}]"
            )
    users = contract.users(contract.default_mapping)
    for user in users.values():
        for group in user.groups:
            if group not in cfg.groups:
                problems.append(f"user {user.name}: group {group} is not configured in {cfg.environment}")
    single = {u.groups[0] for u in users.values() if len(u.groups) == 1 and not u.external}
    for group in sorted(set(cfg.groups) - single):
        problems.append(f"group {group} has no user of its own in {contract.source}")
    kinds = {
        "no group": [u for u in users.values() if not u.groups and not u.external],
        "several groups": [u for u in users.values() if len(u.groups) > 1],
        "external IdP user": [u for u in users.values() if u.external],
    }
    problems.extend(
        f"{contract.source} has no user with {kind}" for kind, found in kinds.items() if not found
    )
    return problems


# --- comparison ----------------------------------------------------------------------------------


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
    """Every contract cell against `found` (a missing cell is a mismatch too; extra cells as well)."""
    promised = contract.cells(mapping)
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
    return [
        *compare(contract, mapping, cells, lambda promised, found: promised == found),
        *static_facts(contract, cfg, policies, api_id, mapping),
    ]


def describe(mismatches: Sequence[Mismatch]) -> str:
    return "\n".join(f"  {m}" for m in mismatches)

"""The `routes:` section: every route of the API, with the methods the contract speaks for.

    routes:
      reports-get: {method: GET, path: /reports, auth: iam}
      files: {method: ANY, path: /files, auth: lambda, methods: [GET, PUT, DELETE]}

An ANY route spells out its verbs (`methods`); HEAD and OPTIONS are not part of the promise. No two
routes may claim the same method on the same path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tools.config import AUTH_MODES, HTTP_METHODS
from tools.contract.schema import ContractError, Parsed, Section, mapping, names, only

_KEYS = {"method", "path", "auth", "methods"}


@dataclass(frozen=True)
class RoutePromise:
    name: str
    method: str  # as configured: a verb or ANY
    path: str
    auth: str
    methods: tuple[str, ...]  # the verbs the contract speaks for (ANY: spelt out)


def _route(name: str, raw: Any, where: str) -> RoutePromise:
    spec = mapping(raw, where)
    only(spec, _KEYS, where)
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
        methods = tuple(m.upper() for m in names(spec["methods"], f"{where}.methods"))
        bad = [m for m in methods if m not in HTTP_METHODS or m == "ANY"]
        if bad:
            raise ContractError(f"{where}.methods: {bad} are not HTTP verbs")
    else:
        if "methods" in spec:
            raise ContractError(f"{where}: `methods` is only for ANY routes")
        methods = (method,)
    return RoutePromise(name, method, path, auth, methods)


def read_routes(value: Any, where: str, earlier: Parsed) -> dict[str, RoutePromise]:
    routes = {
        str(name): _route(str(name), spec, f"{where}.{name}") for name, spec in mapping(value, where).items()
    }
    claimed: dict[tuple[str, str], str] = {}
    for route in routes.values():
        for method in route.methods:
            other = claimed.setdefault((method, route.path), route.name)
            if other != route.name:
                raise ContractError(f"{where}: {other} and {route.name} both claim {method} {route.path}")
    return routes


ROUTES = Section("routes", read_routes)

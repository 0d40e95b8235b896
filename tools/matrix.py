"""The expected access matrix: who may call which route, derived from the templates and the routes.

This is the static side of the product's promise ("each group reaches exactly its routes, in every
auth mode"). It applies the documented rules to the environment's configuration:

- iam routes: the caller's IAM role decides. A user-pool user gets the role of the group with the
  lowest precedence (cognito:preferred_role); a user in no group gets the deny-all default role; an
  external IdP user gets the role of the group its provider maps to. The role's policy is the group's
  rendered template, evaluated for execute-api:Invoke on the method ARN.
- user_pool routes: any valid user of the pool (an ID token, or an access token carrying one of the
  method's scopes). External IdP users hold no user-pool token: 401.
- lambda routes: the authorizer returns the policy of the user's lowest-precedence group; no group
  (or no policy) means Deny (403). External IdP users hold no user-pool token: 401.

The live side (local/matrix.py) calls every route as every demo user through the local gateway and
compares against this.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tools.config import EnvConfig, Group, Route
from tools.iam_policy import evaluate, method_arn

ALLOW = "allow"
UNAUTHORIZED = 401
FORBIDDEN = 403

Expectation = str | int


@dataclass(frozen=True)
class Principal:
    """A caller of the matrix: a user-pool user (with groups) or an external IdP user."""

    name: str
    groups: tuple[str, ...] = ()
    external_group: str | None = None  # set for external IdP users: the group their provider maps to

    @property
    def external(self) -> bool:
        return self.external_group is not None


@dataclass(frozen=True)
class Probe:
    """The concrete request the matrix sends for a route."""

    method: str
    path: str
    body: dict[str, Any] | None = None


def effective_group(cfg: EnvConfig, groups: Sequence[str]) -> Group | None:
    """The multi-group rule: the caller's group with the lowest precedence (None when in no group)."""
    known = [cfg.groups[g] for g in groups if g in cfg.groups]
    return min(known, key=lambda g: g.precedence) if known else None


def probe(route: Route) -> Probe:
    """ANY is probed with GET; path parameters get sample values; writes carry a valid body."""
    method = "GET" if route.method == "ANY" else route.method
    path = re.sub(r"\{[^}/]+\+\}", "sample/nested", route.path)
    path = re.sub(r"\{[^}/]+\}", "1", path)
    body = None
    if method in ("POST", "PUT", "PATCH"):
        if route.handler == "profiles":
            body = {"name": "Ada", "surname": "Lovelace", "email": "ada@example.com"}
        else:
            body = {"name": "Rex", "species": "dog"}
    return Probe(method=method, path=path, body=body)


def expected_status(
    cfg: EnvConfig,
    principal: Principal,
    route: Route,
    policies: Mapping[str, Any],
    api_id: str,
) -> Expectation:
    """What the gateway must answer `principal` on `route`: "allow", 401 or 403."""
    request = probe(route)
    arn = method_arn(
        region=cfg.region,
        account_id=cfg.account_id,
        api_id=api_id,
        stage=cfg.stage_name,
        http_method=request.method,
        path=request.path,
    )
    if route.auth == "user_pool":
        return UNAUTHORIZED if principal.external else ALLOW
    if route.auth == "lambda" and principal.external:
        return UNAUTHORIZED
    if principal.external:  # iam: the role of the group the provider's rules map to
        group = cfg.groups.get(principal.external_group or "")
    else:  # iam and lambda: the lowest-precedence group, or none
        group = effective_group(cfg, principal.groups)
    if group is None or group.name not in policies:
        return FORBIDDEN
    decision = evaluate([policies[group.name]], "execute-api:Invoke", arn)
    return ALLOW if decision.allowed else FORBIDDEN


def expected_matrix(
    cfg: EnvConfig,
    principals: Sequence[Principal],
    policies: Mapping[str, Any],
    api_id: str,
) -> dict[tuple[str, str], Expectation]:
    """(principal name, route name) -> expectation, for every principal and every route."""
    return {
        (p.name, r.name): expected_status(cfg, p, r, policies, api_id)
        for p in principals
        for r in cfg.routes.values()
    }


def matches(expected: Expectation, status: int) -> bool:
    """Whether a live status meets an expectation: "allow" is a 2xx from the handler (the probes
    are valid requests for existing resources); 401/403 must be exact."""
    if expected == ALLOW:
        return 200 <= status < 300
    return status == expected

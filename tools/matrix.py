"""The expected access matrix: who may call which route, derived from the templates and the routes.

This is the static side of the product's promise ("each group reaches exactly its routes, in every
auth mode"). It applies the documented rules to the environment's configuration:

- iam routes: the caller's IAM role decides. A user-pool user gets the role of the group with the
  lowest precedence (cognito:preferred_role); a user in no group gets no credentials (Rules mapping,
  the default) or the deny-all default role (Token mapping): 403 either way; an external IdP user
  gets the role of the group its provider maps to. The role's policy is the group's rendered
  template, evaluated for execute-api:Invoke on the method ARN. Which roles a caller can obtain by
  naming them as CustomRoleArn depends on the environment's user-pool role mapping
  (`iam_credentials`, `custom_role_arns`).
- user_pool routes: any valid user of the pool (an ID token, or an access token carrying one of the
  method's scopes). External IdP users hold no user-pool token: 401.
- lambda routes: the authorizer returns the policy of the user's lowest-precedence group; no group
  (or no policy) means Deny (403). External IdP users hold no user-pool token: 401.

Machine callers (confidential app clients, client-credentials grant; `Machine`) hold only an access
token carrying their resource-server scopes:
- iam routes: not applicable. Identity pools do not federate client-credentials tokens (there is no
  ID token to log in with), so a service has no identity-pool credentials; it would sign with an
  IAM role of its own, which is outside this access model.
- user_pool routes: API Gateway's Cognito authorizer accepts an access token only on a method with
  scopes, and only when the token holds one of them; otherwise 401. It checks no client list: any
  client of the pool holding the scope passes, declared or not.
- lambda routes: the authorizer accepts the declared machine clients only (401 for any other
  client) and returns the policy of the client's governing item (its own template's, or its group's).

The live side (local/matrix.py) calls every route as every demo user through the local gateway and
compares against this.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tools.config import EnvConfig, Group, MachineClient, Route
from tools.iam_policy import evaluate, method_arn

ALLOW = "allow"
UNAUTHORIZED = 401
FORBIDDEN = 403

# The identity pool's mapping for user-pool users (config.json: identity_pool.user_pool_role_mapping).
RULES = "Rules"  # the default: one rule per group role on cognito:preferred_role, ambiguous = Deny
TOKEN = "Token"  # noqa: S105 - a mapping type; the option: CustomRoleArn may pick any cognito:roles entry
ROLE_MAPPINGS = (RULES, TOKEN)
NO_CREDENTIALS = "none"  # the identity pool refuses credentials
DEFAULT_ROLE = "default"  # the pool's deny-all default authenticated role
# A call the caller cannot make at all in that mode (a machine caller on an iam route).
NOT_APPLICABLE = "not_applicable"

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
class Machine:
    """A machine caller: a confidential app client using the client-credentials grant.

    `client` is the access model's machine client it holds, or None for a client of the pool the
    model does not declare; `scopes` are the scopes its access token carries.
    """

    name: str
    scopes: tuple[str, ...]
    client: MachineClient | None = None

    @property
    def declared(self) -> bool:
        return self.client is not None


def machines(cfg: EnvConfig) -> list[Machine]:
    """One Machine per declared machine client, holding every scope it may request (a client that
    names no scope at the token endpoint gets all of them)."""
    return [Machine(c.name, c.scopes, c) for _, c in sorted(cfg.machine_clients.items())]


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


def user_pool_role_mapping(cfg: EnvConfig) -> str:
    """The environment's identity-pool mapping for user-pool users: Rules unless config.json says
    Token (tools.config.parse has checked the value)."""
    return str((cfg.raw.get("identity_pool") or {}).get("user_pool_role_mapping", RULES))


def external_group(cfg: EnvConfig) -> str | None:
    """The group whose role the identity pool's rule gives the external IdP's users."""
    providers = [cfg.raw.get("local_idp") or {}, *(cfg.raw.get("external_providers") or {}).values()]
    groups = {str(p["group"]) for p in providers if p.get("group")}
    if len(groups) > 1:
        raise ValueError(f"{cfg.environment}: external providers map to several groups: {sorted(groups)}")
    return groups.pop() if groups else None


def _own_groups(cfg: EnvConfig, principal: Principal) -> list[Group]:
    return sorted((cfg.groups[g] for g in principal.groups if g in cfg.groups), key=lambda g: g.precedence)


def iam_credentials(cfg: EnvConfig, principal: Principal, mapping: str) -> str:
    """The role (group name, DEFAULT_ROLE or NO_CREDENTIALS) GetCredentialsForIdentity returns
    without CustomRoleArn under `mapping`."""
    if principal.external:  # the provider's own Rules mapping; no match is denied
        group = cfg.groups.get(principal.external_group or "")
        return group.name if group else NO_CREDENTIALS
    own = _own_groups(cfg, principal)
    if own:
        return own[0].name  # cognito:preferred_role (Token) = the only matching rule (Rules)
    return NO_CREDENTIALS if mapping == RULES else DEFAULT_ROLE


def custom_role_arns(cfg: EnvConfig, principal: Principal, mapping: str) -> tuple[str, ...]:
    """The roles (group names) GetCredentialsForIdentity grants when named as CustomRoleArn.

    Rules: the role of a matching rule only, i.e. the preferred role. Token: any role of the
    token's cognito:roles, i.e. every own group's. External users: their provider's rule's role.
    """
    if principal.external or mapping == RULES:
        role = iam_credentials(cfg, principal, mapping)
        return () if role in (NO_CREDENTIALS, DEFAULT_ROLE) else (role,)
    return tuple(g.name for g in _own_groups(cfg, principal))


def probe(route: Route, method: str | None = None) -> Probe:
    """ANY is probed with GET (or `method`); path parameters get sample values; writes carry the
    example body of the route's handler (declared with the handler in the access model)."""
    if method is None:
        method = "GET" if route.method == "ANY" else route.method
    path = re.sub(r"\{[^}/]+\+\}", "sample/nested", route.path)
    path = re.sub(r"\{[^}/]+\}", "1", path)
    body = None
    if method in ("POST", "PUT", "PATCH"):
        body = dict(route.example_body or {})
    return Probe(method=method, path=path, body=body)


def expected_status(
    cfg: EnvConfig,
    principal: Principal,
    route: Route,
    policies: Mapping[str, Any],
    api_id: str,
    *,
    method: str | None = None,
) -> Expectation:
    """What the gateway must answer `principal` on `route` (probed with `method`): "allow", 401 or 403."""
    request = probe(route, method)
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


def expected_machine_status(
    cfg: EnvConfig,
    machine: Machine,
    route: Route,
    policies: Mapping[str, Any],
    api_id: str,
    *,
    method: str | None = None,
) -> Expectation:
    """What the gateway must answer a machine caller on `route` (see the module docstring).

    `policies` holds the documents by policy-table key: groups by name, machine clients with a
    template of their own as `client:<name>` (tools.render.policy_documents).
    """
    if route.auth == "iam":
        return NOT_APPLICABLE
    if route.auth == "user_pool":
        return ALLOW if set(route.scopes) & set(machine.scopes) else UNAUTHORIZED
    if machine.client is None:
        return UNAUTHORIZED
    key = machine.client.policy_key
    if key not in policies:
        return FORBIDDEN
    request = probe(route, method)
    arn = method_arn(
        region=cfg.region,
        account_id=cfg.account_id,
        api_id=api_id,
        stage=cfg.stage_name,
        http_method=request.method,
        path=request.path,
    )
    return ALLOW if evaluate([policies[key]], "execute-api:Invoke", arn).allowed else FORBIDDEN


def status_with_role(
    cfg: EnvConfig,
    role: str,
    route: Route,
    policies: Mapping[str, Any],
    api_id: str,
    *,
    method: str | None = None,
) -> Expectation:
    """What an iam route answers a caller holding the credentials of group `role`'s role."""
    if route.auth != "iam":
        raise ValueError(f"route {route.name!r} is not an iam route: credentials do not decide it")
    if role not in policies:
        return FORBIDDEN
    request = probe(route, method)
    arn = method_arn(
        region=cfg.region,
        account_id=cfg.account_id,
        api_id=api_id,
        stage=cfg.stage_name,
        http_method=request.method,
        path=request.path,
    )
    return ALLOW if evaluate([policies[role]], "execute-api:Invoke", arn).allowed else FORBIDDEN


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

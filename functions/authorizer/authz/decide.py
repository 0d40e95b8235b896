"""One authorization decision: token -> identity -> group policy -> API Gateway response.

Outcomes (SPEC §6), each logged as one JSON line with decision, reason, sub, groups, route:
- `unauthorized` (raise Unauthorized -> 401): missing/malformed/expired/forged token, wrong issuer,
  client or token use, an unusable methodArn, and "cannot verify" (JWKS unreachable with no cached
  key, or any unexpected error before the token is verified).
- `deny` (a Deny policy -> 403): the token is valid but the caller has no group, no group with a
  policy, an ambiguous or malformed policy item, a policy reaching outside this API/stage, a policy
  over MAX_POLICY_BYTES, or the table cannot be read ("verified but cannot decide": fail closed, but
  the caller *is* authenticated, so 403 rather than 401). Never Allow on any error path.
- `allow` / `allow_other_routes`: the effective group's stored policy, returned whole so that API
  Gateway's authorizer cache (keyed by the token) evaluates it correctly for every route the caller
  calls afterwards; the second name means this particular route is not in it (API Gateway answers 403).

The Deny policy covers the whole API stage (`<prefix>*`) for the same cache-safety reason.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from typing import Any

from authz import arn as arns
from authz import policies
from authz.errors import Unauthorized
from authz.header import token_from_event
from authz.logs import log
from authz.verify import Identity, TokenVerifier

# A project bound, not an API Gateway quota this code relies on. It matches the 8192-character
# limit the REST API quotas page sets on API Gateway resource policies
# (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html)
# and keeps a runaway table item from being returned: a group policy above it is refused (Deny).
MAX_POLICY_BYTES = 8 * 1024
POLICY_VERSION = "2012-10-17"
INVOKE = "execute-api:Invoke"


class Authorizer:
    def __init__(self, verifier: TokenVerifier, store: policies.PolicyStore, logger: logging.Logger) -> None:
        self.verifier = verifier
        self.store = store
        self._logger = logger

    def authorize(self, event: Mapping[str, Any], request_id: str = "") -> dict[str, Any]:
        """The authorizer response, or raise Unauthorized. Never raises anything else."""
        started = time.perf_counter()
        route = ""
        try:
            method = arns.parse_method_arn(event.get("methodArn"))
            route = method.route
            token = token_from_event(event)
            identity = self.verifier.verify(token)
        except Unauthorized as exc:
            self._log("unauthorized", exc.reason, route, started, request_id)
            raise
        except arns.BadMethodArn:
            self._log("unauthorized", "bad_method_arn", route, started, request_id)
            raise Unauthorized("bad_method_arn") from None
        except Exception as exc:
            self._log("unauthorized", f"verification_error_{type(exc).__name__}", route, started, request_id)
            raise Unauthorized("verification_error") from None
        group = ""
        try:
            group, response, decision = self._decide(identity, method)
            reason = "group_policy"
        except _Deny as deny:
            response, decision, reason, group = (
                deny_response(identity, method),
                "deny",
                deny.reason,
                deny.group,
            )
        except Exception as exc:
            response, decision = deny_response(identity, method), "deny"
            reason = f"internal_error_{type(exc).__name__}"
        self._log(decision, reason, route, started, request_id, identity=identity, group=group)
        return response

    def _decide(self, identity: Identity, method: arns.MethodArn) -> tuple[str, dict[str, Any], str]:
        """(effective group, Allow response, decision name), or raise _Deny."""
        groups = identity.groups
        if groups is None:
            raise _Deny("malformed_groups_claim")
        if not groups:
            raise _Deny("no_group")
        if len(groups) > policies.MAX_GROUPS or not all(policies.valid_group_name(g) for g in groups):
            raise _Deny("malformed_groups_claim")
        try:
            found = self.store.lookup(groups)
        except policies.PolicyLookupError:
            raise _Deny("policy_table_unavailable") from None
        selection = policies.select(groups, found)
        chosen = selection.policy
        if chosen is None or chosen.document is None:
            raise _Deny(selection.reason)
        document = chosen.document
        if arns.outside_prefix(policies.resources(document), method.api_prefix):
            raise _Deny("policy_outside_api", chosen.group)
        if len(json.dumps(document, separators=(",", ":")).encode()) > MAX_POLICY_BYTES:
            raise _Deny("policy_too_large", chosen.group)
        response = {
            "principalId": identity.sub,
            "policyDocument": document,
            "context": context_for(identity, chosen.group),
        }
        return chosen.group, response, "allow" if allows(document, method.arn) else "allow_other_routes"

    def _log(
        self,
        decision: str,
        reason: str,
        route: str,
        started: float,
        request_id: str,
        *,
        identity: Identity | None = None,
        group: str = "",
    ) -> None:
        alarming = reason.startswith(("internal_error", "policy_outside_api", "malformed_policy_item"))
        log(
            self._logger,
            logging.WARNING if alarming else logging.INFO,
            "authorizer decision",
            decision=decision,
            reason=reason,
            sub=identity.sub if identity else None,
            groups=list(identity.groups or ()) if identity else None,
            group=group or None,
            route=route or None,
            request_id=request_id or None,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
        )


class _Deny(Exception):  # control flow inside _decide, never escapes
    def __init__(self, reason: str, group: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.group = group


def context_for(identity: Identity, group: str) -> dict[str, str]:
    """Authorizer context: string values only (API Gateway refuses objects and arrays)."""
    return {
        "sub": identity.sub,
        "username": identity.username,
        "groups": ",".join(identity.groups or ()),
        "group": group,
    }


def deny_response(identity: Identity, method: arns.MethodArn) -> dict[str, Any]:
    return {
        "principalId": identity.sub,
        "policyDocument": {
            "Version": POLICY_VERSION,
            "Statement": [{"Effect": "Deny", "Action": INVOKE, "Resource": method.api_prefix + "*"}],
        },
        "context": context_for(identity, ""),
    }


def allows(document: dict[str, Any], method_arn: str) -> bool:
    """IAM evaluation for one request: an explicit Deny wins, else any matching Allow."""
    statements = document["Statement"]
    if isinstance(statements, dict):
        statements = [statements]
    allowed = False
    for statement in statements:
        actions = policies.as_strings(statement.get("Action"))
        if not any(arns.resource_matches(a.lower(), INVOKE.lower()) for a in actions):
            continue
        resources = policies.as_strings(statement.get("Resource"))
        if not any(arns.resource_matches(r, method_arn) for r in resources):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = True
    return allowed

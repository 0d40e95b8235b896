"""One authorization decision: token -> identity -> group policy -> API Gateway response.

Outcomes (SPEC §6), each logged as one JSON line with decision, reason, sub, groups, route:
- `unauthorized` (raise Unauthorized -> 401): missing/malformed/expired/forged token, wrong issuer,
  client or token use, an unusable methodArn, and "cannot verify" (JWKS unreachable with no cached
  key, or any unexpected error before the token is verified); a revoked token (`token_revoked`,
  checked after verification and on every verified-token-cache hit: authz/revocation.py).
- `deny` (a Deny policy -> 403): the token is valid but the caller has no group, no group with a
  policy, an ambiguous or malformed policy item, a policy reaching outside this API/stage, a policy
  over MAX_POLICY_BYTES, or the policy or revocation table cannot be read ("verified but cannot
  decide": fail closed, but the caller *is* authenticated, so 403 rather than 401). Never Allow on
  any error path.
- `allow` / `allow_other_routes`: the effective group's stored policy, returned whole so that API
  Gateway's authorizer cache (keyed by the token) evaluates it correctly for every route the caller
  calls afterwards; the second name means this particular route is not in it (API Gateway answers 403).

The Deny policy covers the whole API stage (`<prefix>*`) for the same cache-safety reason.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from authz import arn as arns
from authz import machines, policies, revocation
from authz.errors import Unauthorized
from authz.header import presented_token, require_compact_jws
from authz.logs import log
from authz.token_cache import Entry, VerifiedTokens
from authz.verify import Identity, TokenVerifier, VerifiedToken

# A project bound, not an API Gateway quota this code relies on. It matches the 8192-character
# limit the REST API quotas page sets on API Gateway resource policies
# (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html)
# and keeps a runaway table item from being returned: a group policy above it is refused (Deny).
MAX_POLICY_BYTES = 8 * 1024
POLICY_VERSION = "2012-10-17"
INVOKE = "execute-api:Invoke"
_ALARMING = (
    "internal_error",
    "policy_outside_api",
    "malformed_policy_item",
    "reserved_group_name",
    revocation.REASON_UNAVAILABLE,
)


class Authorizer:
    def __init__(
        self,
        verifier: TokenVerifier,
        store: policies.PolicyStore,
        logger: logging.Logger,
        tokens: VerifiedTokens | None = None,
        *,
        revocations: revocation.RevocationStore,
    ) -> None:
        self.verifier = verifier
        self.store = store
        self.tokens = VerifiedTokens() if tokens is None else tokens
        self.revocations = revocations
        self._logger = logger

    def authorize(self, event: Mapping[str, Any], request_id: str = "") -> dict[str, Any]:
        """The authorizer response, or raise Unauthorized. Never raises anything else."""
        started = time.perf_counter()
        method: arns.MethodArn | None = None
        try:
            method = arns.parse_method_arn(event.get("methodArn"))
            token = presented_token(event)
            digest = self.tokens.digest(token)
            entry = self.tokens.get(digest)
            if entry is not None:
                if self._still_usable(entry, method):
                    return self._answer(entry, method, started, request_id, cached=True)
                self.tokens.discard(digest)
            verified = self.verifier.verify(require_compact_jws(token))
            # Revocation: after verification, before the policy decision (authz/revocation.py).
            revoked_check = self._revocation_deadline(verified.identity)
        except Unauthorized as exc:
            identity_of = exc.identity if isinstance(exc, revocation.TokenRevoked) else None
            self._log("unauthorized", exc.reason, method, started, request_id, identity=identity_of)
            raise
        except arns.BadMethodArn:
            self._log("unauthorized", "bad_method_arn", method, started, request_id)
            raise Unauthorized("bad_method_arn") from None
        except Exception as exc:
            self._log("unauthorized", f"verification_error_{type(exc).__name__}", method, started, request_id)
            raise Unauthorized("verification_error") from None
        identity = verified.identity
        if revoked_check is None:  # the revocation record cannot be read: fail closed, never cached
            self._log("deny", revocation.REASON_UNAVAILABLE, method, started, request_id, identity=identity)
            return deny_response(identity, method)
        try:
            entry = self._decide(verified, method)
        except Exception as exc:  # "verified but cannot decide": fail closed, never cached
            reason = exc.reason if isinstance(exc, _CannotDecide) else f"internal_error_{type(exc).__name__}"
            self._log("deny", reason, method, started, request_id, identity=identity)
            return deny_response(identity, method)
        entry = entry._replace(revocation_deadline=revoked_check)
        self.tokens.put(digest, entry)
        return self._answer(entry, method, started, request_id, cached=False)

    def _still_usable(self, entry: Entry, method: arns.MethodArn) -> bool:
        """Would a full decision give this entry's answer now? (token_cache.py says why this is all.)"""
        return (
            entry.api_prefix == method.api_prefix
            and self.store.unchanged(entry.policy_reads)
            and self.revocations.now() < entry.revocation_deadline
            and self.verifier.still_valid(entry.token)
        )

    def _revocation_deadline(self, identity: Identity) -> float | None:
        """Until when this verified token is known not to be revoked; None when the record cannot be
        read (the caller then denies); raise TokenRevoked (401) when it is revoked."""
        try:
            return self.revocations.check(identity)
        except revocation.RevocationLookupError:
            return None

    def _answer(
        self, entry: Entry, method: arns.MethodArn, started: float, request_id: str, *, cached: bool
    ) -> dict[str, Any]:
        if self._logger.isEnabledFor(entry.log_level):
            decision = entry.decision  # the log names whether this route is in the policy
            if entry.policy is not None:
                decision = "allow" if allows_route(entry.policy, method.arn) else "allow_other_routes"
            self._log(
                decision,
                entry.reason,
                method,
                started,
                request_id,
                identity=entry.token.identity,
                group=entry.group,
                cached=cached,
            )
        response = entry.response
        # A new outer dict per answer: a caller that edits its response cannot change the cached one.
        return {**response, "context": dict(response["context"])}

    def _decide(self, verified: VerifiedToken, method: arns.MethodArn) -> Entry:
        """The decision for a verified token, as a cache entry; raise _CannotDecide (not cached)."""
        identity = verified.identity
        try:
            chosen, reads = self._group_policy(identity, method)
        except _Deny as deny:
            return Entry(
                token=verified,
                policy_reads=deny.reads,
                api_prefix=method.api_prefix,
                group=deny.group,
                decision="deny",
                reason=deny.reason,
                response=deny_response(identity, method),
                policy=None,
                log_level=_level(deny.reason),
            )
        response = {
            "principalId": identity.sub,
            "policyDocument": chosen.document,
            "context": context_for(identity, chosen.group),
        }
        return Entry(
            token=verified,
            policy_reads=reads,
            api_prefix=method.api_prefix,
            group=chosen.group,
            decision="allow",
            reason="group_policy",
            response=response,
            policy=chosen,
            log_level=_level("group_policy"),
        )

    def _group_policy(
        self, identity: Identity, method: arns.MethodArn
    ) -> tuple[policies.GroupPolicy, policies.PolicyReads]:
        """The caller's effective group policy, and the policy-cache entries it was chosen from
        (the token cache reuses the decision only while they stay cached and fresh); raise _Deny
        (a decision) or _CannotDecide (a failure)."""
        groups = _policy_keys(identity)
        if groups is None:
            raise _Deny("malformed_groups_claim", reads=self.store.token_only())
        if not groups:
            raise _Deny("no_group", reads=self.store.token_only())
        if len(groups) > policies.MAX_GROUPS or not all(policies.valid_group_name(g) for g in groups):
            raise _Deny("malformed_groups_claim", reads=self.store.token_only())
        if identity.kind == machines.USER and any(machines.is_reserved_group(g) for g in groups):
            raise _Deny("reserved_group_name", reads=self.store.token_only())
        try:
            found = self.store.lookup(groups)
        except policies.PolicyLookupError:
            raise _CannotDecide("policy_table_unavailable") from None
        reads = self.store.snapshot(groups)
        selection = policies.select(groups, found)
        chosen = selection.policy
        if chosen is None or chosen.document is None:
            raise _Deny(selection.reason, reads=reads)
        if arns.outside_prefix(list(chosen.resources), method.api_prefix):
            raise _Deny("policy_outside_api", chosen.group, reads=reads)
        if chosen.size > MAX_POLICY_BYTES:
            raise _Deny("policy_too_large", chosen.group, reads=reads)
        return chosen, reads

    def _log(
        self,
        decision: str,
        reason: str,
        method: arns.MethodArn | None,
        started: float,
        request_id: str,
        *,
        identity: Identity | None = None,
        group: str = "",
        cached: bool | None = None,
    ) -> None:
        level = _level(reason)
        if not self._logger.isEnabledFor(level):
            return
        log(
            self._logger,
            level,
            "authorizer decision",
            decision=decision,
            reason=reason,
            sub=identity.sub if identity else None,
            groups=list(identity.groups or ()) if identity else None,
            group=group or None,
            route=method.route if method else None,
            request_id=request_id or None,
            token_cache=None if cached is None else ("hit" if cached else "miss"),
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
        )


def _policy_keys(identity: Identity) -> tuple[str, ...] | None:
    """The policy-table keys a decision reads: a user's groups, or a machine client's one key."""
    if identity.kind == machines.MACHINE:
        return (identity.policy_key,)
    return identity.groups


def _level(reason: str) -> int:
    return logging.WARNING if reason.startswith(_ALARMING) else logging.INFO


class _Deny(Exception):  # control flow inside _decide, never escapes
    def __init__(self, reason: str, group: str = "", *, reads: policies.PolicyReads) -> None:
        super().__init__(reason)
        self.reason = reason
        self.group = group
        self.reads = reads


class _CannotDecide(Exception):  # a Deny that depends on a failure, not on the token or the table
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def context_for(identity: Identity, group: str) -> dict[str, str]:
    """Authorizer context: string values only (API Gateway refuses objects and arrays). A machine
    caller's also names its client and the token's scopes (space-separated, as in the token)."""
    context = {
        "sub": identity.sub,
        "username": identity.username,
        "groups": ",".join(identity.groups or ()),
        "group": group,
    }
    if identity.kind == machines.MACHINE:
        context.update(client_id=identity.client_id, scope=" ".join(identity.scopes))
    return context


def deny_response(identity: Identity, method: arns.MethodArn) -> dict[str, Any]:
    return {
        "principalId": identity.sub,
        "policyDocument": {
            "Version": POLICY_VERSION,
            "Statement": [{"Effect": "Deny", "Action": INVOKE, "Resource": method.api_prefix + "*"}],
        },
        "context": context_for(identity, ""),
    }


def allows_route(policy: policies.GroupPolicy, method_arn: str) -> bool:
    """`allows` for a stored policy, remembered per policy item (its document does not change)."""
    memo = policy.route_memo
    known = memo.get(method_arn)
    if known is None:
        if len(memo) >= policies.MAX_REMEMBERED_ROUTES:
            memo.clear()
        known = memo[method_arn] = policy.document is not None and allows(policy.document, method_arn)
    return known


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

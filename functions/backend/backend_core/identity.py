"""Who is calling, taken only from what API Gateway verified (`requestContext`), never the body.

- iam: `requestContext.identity.cognitoIdentityId` -> key `identity#<id>`; provider from
  `identity.cognitoAuthenticationProvider` (its first entry).
- user_pool: `requestContext.authorizer.claims.sub` -> key `sub#<sub>`; the claims (strings, as API
  Gateway passes them) supply profile defaults (given_name, family_name, and email only when the
  token says `email_verified` is true: `Caller.verified_email`).
- lambda: `requestContext.authorizer.sub` (our authorizer's context) or `.principalId` -> `sub#<sub>`.

No identity, or identities of two modes at once -> 403. There is never a default key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from backend_core.http import ApiError, Event

# Cognito identity ids look like `us-east-1:0f0e...`, subs are UUIDs; external IdPs may differ, so
# the rule is "short and printable without separators", not a UUID check.
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:._@+-]{0,255}$")
MAX_PROVIDER_LENGTH = 256


@dataclass(frozen=True)
class Caller:
    mode: str  # iam | user_pool | lambda
    subject: str
    provider: str
    claims: Mapping[str, str] = field(default_factory=dict)

    @property
    def pk(self) -> str:
        prefix = "identity" if self.mode == "iam" else "sub"
        return f"{prefix}#{self.subject}"

    @property
    def verified_email(self) -> str | None:
        """The token's `email`, only when its `email_verified` claim is true; otherwise None.

        A Cognito user may have changed `email` without verifying it (or a pool may let them), so
        an unverified address says nothing about who the caller is: it is never used as theirs.
        """
        if self.claims.get("email_verified", "").strip().lower() != "true":
            return None
        return self.claims.get("email") or None


def caller_from_event(event: Event) -> Caller:
    raw_context = event.get("requestContext")
    request_context: Mapping[str, Any] = raw_context if isinstance(raw_context, Mapping) else {}
    raw_identity = request_context.get("identity")
    identity: Mapping[str, Any] = raw_identity if isinstance(raw_identity, Mapping) else {}
    raw_authorizer = request_context.get("authorizer")
    authorizer: Mapping[str, Any] = raw_authorizer if isinstance(raw_authorizer, Mapping) else {}

    candidates: list[Caller] = []
    identity_id = identity.get("cognitoIdentityId")
    if identity_id:
        provider_field = identity.get("cognitoAuthenticationProvider")
        provider = provider_field.split(",")[0].strip() if isinstance(provider_field, str) else ""
        candidates.append(
            Caller("iam", _checked(identity_id), provider[:MAX_PROVIDER_LENGTH] or "cognito-identity")
        )
    claims = authorizer.get("claims")
    if isinstance(claims, Mapping) and claims:
        string_claims = {str(k): str(v) for k, v in claims.items() if isinstance(v, str | int | float | bool)}
        issuer = string_claims.get("iss", "")
        provider = issuer.removeprefix("https://")[:MAX_PROVIDER_LENGTH] or "cognito-user-pool"
        candidates.append(Caller("user_pool", _checked(string_claims.get("sub")), provider, string_claims))
    elif authorizer.get("sub") or authorizer.get("principalId"):
        sub, principal = authorizer.get("sub"), authorizer.get("principalId")
        if sub and principal and sub != principal:
            raise ApiError(403, "the authorizer context is inconsistent (sub differs from principalId)")
        candidates.append(Caller("lambda", _checked(sub or principal), "lambda-authorizer"))
    if not candidates:
        raise ApiError(403, "no verified caller identity in the request context")
    if len(candidates) > 1:
        raise ApiError(403, "the request context names more than one caller identity")
    return candidates[0]


def _checked(value: object) -> str:
    if not isinstance(value, str) or not _SAFE_ID.match(value):
        raise ApiError(403, "the verified caller identity is missing or malformed")
    return value

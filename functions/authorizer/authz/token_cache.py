"""Decisions for tokens this container has already verified, so a repeated token skips the work.

API Gateway caches an authorizer's answer per token for the result TTL; when that cache is short or
off (the strict setting) the same token reaches the function again and again. This cache answers
it without parsing, verifying or deciding again, and it is safe because a hit returns exactly what
a full decision would return at that instant:

- Key: SHA-256 of the whole token string. Only an identical token can hit (a different token would
  need a SHA-256 collision); the container keeps no usable bearer token in memory.
- Only tokens that verified enter, and only decisions fixed by the token and the policy table
  (Allow, and Deny for the caller's groups or policies). Rejected tokens and "cannot decide" outcomes
  (table unreachable, internal errors) are never stored, so a forged or failing request is always
  decided in full, and garbage cannot fill the cache.
- Every hit re-checks what can change while the token does not (`TokenVerifier.still_valid`):
  the time claims against the clock, with the same comparisons and skew as the full check (the
  entry dies at `exp`); the JWKS cache is still within its TTL and still publishes the very key
  that verified the token (the entry dies when the JWKS drops or changes the key; an expired JWKS
  cache sends the request through the full path, which refetches). Every other check is a pure
  function of the token and the container's fixed settings.
- The policy part dies with the policy cache: an entry keeps the very policy-cache entries its
  decision read and is reused only while each is still the one cached for its group and fresh
  (`PolicyStore.unchanged`). It dies when the first of them expires (POLICY_CACHE_TTL_SECONDS),
  when the policy cache is cleared (past MAX_CACHED_GROUPS) and when any of them is read again,
  so a policy change is seen exactly as soon as without this cache. A decision taken from the
  token alone (no group, malformed groups) lives one policy TTL. With POLICY_CACHE_TTL_SECONDS=0
  nothing is reused.
- The revocation part dies with the revocation record it was checked against
  (`authz/revocation.py`): an entry is used only until that user's cached record is due to be read
  again (REVOCATION_CHECK_SECONDS), so a revoked token is refused exactly as soon as without this
  cache. An entry whose record was never checked (the default) is never used.
- A Deny depends on the API stage (its Resource is `<api>/<stage>/*`): an entry serves only the
  stage it was decided for.
- Bounded: at most MAX_CACHED_TOKENS entries; the oldest is evicted first.
"""

from __future__ import annotations

import hashlib
from typing import Any, NamedTuple

from authz.errors import Unauthorized
from authz.policies import GroupPolicy, PolicyReads
from authz.verify import VerifiedToken

MAX_CACHED_TOKENS = 2048
_sha256 = hashlib.sha256


class Entry(NamedTuple):
    token: VerifiedToken
    policy_reads: PolicyReads  # the policy-cache entries the decision read (PolicyStore.unchanged)
    api_prefix: str
    group: str
    decision: str  # "allow" (the group's policy) or "deny"
    reason: str
    response: dict[str, Any]
    policy: GroupPolicy | None  # the returned group policy (None for a Deny)
    log_level: int  # of the decision's log line
    # Until when (on the revocation store's clock) the user's revocation record it was checked
    # against is fresh; the default (never) keeps an unchecked entry from being used.
    revocation_deadline: float = float("-inf")


class VerifiedTokens:
    def __init__(self, max_entries: int = MAX_CACHED_TOKENS) -> None:
        self.max_entries = max_entries
        self._entries: dict[bytes, Entry] = {}

    @staticmethod
    def digest(token: str) -> bytes:
        try:
            return _sha256(token.encode()).digest()
        except UnicodeEncodeError:  # a lone surrogate (any str reaches here): no compact JWS has one
            raise Unauthorized("malformed_token") from None

    def get(self, digest: bytes) -> Entry | None:
        return self._entries.get(digest)

    def put(self, digest: bytes, entry: Entry) -> None:
        if self.max_entries <= 0:
            return
        entries = self._entries
        entries.pop(digest, None)
        while len(entries) >= self.max_entries:
            del entries[next(iter(entries))]  # dicts keep insertion order: the oldest goes first
        entries[digest] = entry

    def discard(self, digest: bytes) -> None:
        self._entries.pop(digest, None)

    def __len__(self) -> int:
        return len(self._entries)

"""Revoked tokens: the revocation record a decision consults, and the per-container cache of it.

Cognito revokes tokens at its own endpoints only: a revoked access token still verifies offline
(signature and `exp` are unchanged). So the product keeps its own record of what was revoked, one
item per user, in the revocation table (docs/architecture.md, "Revocation"), written by the
product's sign-out and by the feed of administrators' actions (functions/revocation):

    {"sub": S, "revoked_before": N, "families": M {origin_jti: N}, "expires_at": N, ...}

- `revoked_before`: every token of this user whose `iat` is earlier is revoked (a global sign-out,
  a disabled, deleted or regrouped user). `iat` is whole seconds and the writers store the instant
  with sub-second precision, so a token issued in the same second as the revocation counts as
  issued before it (refused: the safe side; a client gets a new token a second later);
- `families`: refresh-token families revoked one at a time (RevokeToken, the product's sign-out of
  one session), keyed by the `origin_jti` every access and ID token minted from that refresh token
  carries; the value is when the entry may be forgotten;
- `expires_at`: the table's TTL attribute (the writers' business; a lingering item changes nothing).

One GetItem per user per container per REVOCATION_CHECK_SECONDS: the record is cached by `sub`,
"no record" included, revoked or not, so a flood of revoked tokens costs one read per interval.
A decision taken from the cache is never older than that interval (the verified-token cache keeps
an entry only while the record it was checked against is fresh: `Entry.revocation_deadline`).

Failure: a record that cannot be read after bounded attempts (botocore's, through the client the
factory builds) raises RevocationLookupError; the caller is verified, so the decision fails closed
with a Deny (`revocation_store_unavailable`), never cached. A failed read is not cached either.
The botocore client is created lazily on the first read.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, NamedTuple

from authz.errors import Unauthorized

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

    from authz.verify import Identity

# Bounds the per-container cache (one entry per user seen within the interval).
MAX_CACHED_USERS = 4096
# A record holds at most this many revoked families (the writers fold more into `revoked_before`).
MAX_FAMILIES = 100
REASON_REVOKED = "token_revoked"
REASON_UNAVAILABLE = "revocation_store_unavailable"


class RevocationLookupError(RuntimeError):
    """The revocation record could not be read; the caller is verified but cannot be cleared."""


class TokenRevoked(Unauthorized):
    """The token was revoked: 401 like any token that is no longer valid; the log names the user."""

    def __init__(self, identity: Identity) -> None:
        super().__init__(REASON_REVOKED)
        self.identity = identity


class Record(NamedTuple):
    """One user's revocation record (NO_RECORD: none)."""

    revoked_before: float | None
    families: frozenset[str]

    def revokes(self, identity: Identity) -> bool:
        before = self.revoked_before
        if before is not None and identity.issued_at < before:
            return True
        jti = identity.origin_jti
        return jti is not None and jti in self.families


NO_RECORD = Record(None, frozenset())


class RevocationStore:
    def __init__(
        self,
        table: str,
        ttl_seconds: float,
        client_factory: Callable[[], DynamoDBClient],
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._table = table
        self._ttl = ttl_seconds
        self._client_factory = client_factory
        self._client: DynamoDBClient | None = None
        # The clock, looked up here (a test's fake monotonic clock applies); an attribute, not a
        # method: every verified-token-cache hit reads it (authz/decide.py, _still_usable).
        self.now: Callable[[], float] = clock or time.monotonic
        self._cache: dict[str, tuple[float, Record]] = {}
        self.reads = 0  # GetItem calls made, for tests and the benchmark

    @property
    def ttl(self) -> float:
        return self._ttl

    def check(self, identity: Identity) -> float:
        """Until when (on `now()`'s clock) this token is known not to be revoked; raise TokenRevoked
        when it is, RevocationLookupError when the record cannot be read."""
        sub = identity.sub
        now = self.now()
        cached = self._cache.get(sub)
        if cached is not None and now < cached[0]:
            deadline, record = cached
        else:
            record = self._fetch(sub)
            deadline = now + self._ttl
            cache = self._cache
            if len(cache) >= MAX_CACHED_USERS and sub not in cache:
                del cache[next(iter(cache))]  # insertion order: the oldest read goes first
            cache.pop(sub, None)
            cache[sub] = (deadline, record)
        if record.revokes(identity):
            raise TokenRevoked(identity)
        return deadline

    def _client_once(self) -> DynamoDBClient:
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    def _fetch(self, sub: str) -> Record:
        try:
            client = self._client_once()
            self.reads += 1
            response = client.get_item(
                TableName=self._table,
                Key={"sub": {"S": sub}},
                ConsistentRead=True,  # a write acknowledged to the revoker is seen by the next read
                ProjectionExpression="revoked_before, families",
            )
        except Exception as exc:  # botocore errors, timeouts, a missing table: all fail closed
            raise RevocationLookupError(f"revocation table read failed: {type(exc).__name__}") from exc
        return parse_item(response.get("Item"))


def parse_item(item: dict[str, Any] | None) -> Record:
    """A low-level DynamoDB item as a Record. A malformed attribute revokes everything it could
    have meant: an unreadable `revoked_before` revokes every token of the user, as does an
    unreadable `families` map (fail closed: the writers never write either)."""
    if not item:
        return NO_RECORD
    before: float | None = None
    raw_before = item.get("revoked_before")
    if raw_before is not None:
        before = _number(raw_before)
        if before is None:
            return Record(float("inf"), frozenset())
    families: frozenset[str] = frozenset()
    raw_families = item.get("families")
    if raw_families is not None:
        entries = raw_families.get("M") if isinstance(raw_families, dict) else None
        if not isinstance(entries, dict):
            return Record(float("inf"), frozenset())
        families = frozenset(str(k) for k in entries)
    return Record(before, families)


def _number(attr: object) -> float | None:
    if not (isinstance(attr, dict) and isinstance(attr.get("N"), str)):
        return None
    try:
        value = Decimal(attr["N"])
    except InvalidOperation:
        return None
    return float(value) if value.is_finite() else None

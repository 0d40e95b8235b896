"""Write a user's revocation record: merge one revocation into the item, atomically.

The item (docs/architecture.md, "Revocation"; read by the authorizer's authz/revocation.py):

    {"sub": S, "revoked_before": N, "families": M {origin_jti: N}, "expires_at": N,
     "reason": S, "updated_at": N, "version": N}

- a revocation of everything (`family` None: a global sign-out, a disabled, deleted or regrouped
  user) raises `revoked_before` to its instant, never lowers it;
- a revocation of one refresh-token family adds `origin_jti -> instant + lifetime` to `families`:
  after that, every token of the family has expired (Cognito refuses the revoked refresh token, so
  the family mints no new ones);
- families whose entry is past are dropped on every write; more than MAX_FAMILIES left are folded
  into `revoked_before` = now (every token issued until now: a superset, the safe side), so the item
  stays small;
- `expires_at` (the table's TTL) = the latest instant any entry still matters: `revoked_before` +
  lifetime, or the latest family entry. After it the item refuses nothing that is still valid.

`lifetime` is the longest access/ID token lifetime plus the authorizer's clock skew (the stack
passes it as TOKEN_LIFETIME_SECONDS). The write is a read (consistent), a merge in Python and a
PutItem conditioned on the version read, retried on a conflict: two writers never lose each other's
revocation. Writers need dynamodb:GetItem and dynamodb:PutItem on the table, nothing else.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from revocation_core.aws import error_code as _code

MAX_FAMILIES = 100
MAX_WRITE_ATTEMPTS = 5


class RecordError(RuntimeError):
    """The record could not be written (the message says why; no token material)."""


@dataclass(frozen=True)
class Revocation:
    sub: str
    at: float  # epoch seconds: tokens issued (iat) before this are revoked
    family: str | None  # an origin_jti: only that refresh-token family; None: every token
    reason: str  # what caused it (an API action name), for operators


@dataclass(frozen=True)
class Merged:
    revoked_before: float | None
    families: dict[str, int]
    expires_at: int
    folded: bool  # families were folded into revoked_before


def merge(current: Mapping[str, Any] | None, revocation: Revocation, lifetime: float, now: float) -> Merged:
    """The record after `revocation` (a pure function of its inputs)."""
    before = _number(current.get("revoked_before")) if current else None
    if current and before is None and "revoked_before" in current:
        before = now  # unreadable (never written so): keep revoking at least what it could have meant
    families: dict[str, int] = {}
    raw = current.get("families") if current else None
    if isinstance(raw, dict) and isinstance(raw.get("M"), dict):
        for jti, attr in raw["M"].items():
            until = _number(attr)
            if until is None or until > now:  # unreadable entries are kept: never drop a revocation
                families[str(jti)] = math.ceil(until) if until is not None else math.ceil(now + lifetime)
    if revocation.family is None:
        before = revocation.at if before is None else max(before, revocation.at)
    else:
        families[revocation.family] = max(
            families.get(revocation.family, 0), math.ceil(revocation.at + lifetime)
        )
    folded = len(families) > MAX_FAMILIES
    if folded:
        latest = max(now, revocation.at)
        before = latest if before is None else max(before, latest)
        families = {}
    horizons = list(families.values())
    if before is not None:
        horizons.append(math.ceil(before + lifetime))
    return Merged(before, families, max(horizons), folded)


class RecordWriter:
    def __init__(
        self,
        table: str,
        lifetime_seconds: float,
        client: Callable[[], Any],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._table = table
        self._lifetime = lifetime_seconds
        self._client = client
        self._clock = clock

    def write(self, revocation: Revocation) -> Merged:
        """Merge `revocation` into the user's record; raise RecordError when it cannot be stored."""
        if not revocation.sub:
            raise RecordError("a revocation needs the user's sub")
        client = self._client()
        key = {"sub": {"S": revocation.sub}}
        for _attempt in range(MAX_WRITE_ATTEMPTS):
            try:
                current = client.get_item(TableName=self._table, Key=key, ConsistentRead=True).get("Item")
            except Exception as exc:
                raise RecordError(f"revocation table read failed: {_code(exc)}") from exc
            now = self._clock()
            merged = merge(current, revocation, self._lifetime, now)
            version = _number(current.get("version")) if current else None
            item: dict[str, Any] = {
                "sub": {"S": revocation.sub},
                "expires_at": {"N": str(merged.expires_at)},
                "reason": {"S": revocation.reason},
                "updated_at": {"N": f"{now:.3f}"},
                "version": {"N": str(int(version or 0) + 1)},
            }
            if merged.revoked_before is not None:
                # Rounded up to the millisecond: rounding down could let a token issued in the
                # same second, just before the revocation, compare as issued after it.
                item["revoked_before"] = {"N": f"{math.ceil(merged.revoked_before * 1000) / 1000:.3f}"}
            if merged.families:
                item["families"] = {"M": {j: {"N": str(t)} for j, t in merged.families.items()}}
            if current is None:
                condition: dict[str, Any] = {
                    "ConditionExpression": "attribute_not_exists(#s)",
                    "ExpressionAttributeNames": {"#s": "sub"},
                }
            elif version is None:
                condition = {
                    "ConditionExpression": "attribute_not_exists(#v)",
                    "ExpressionAttributeNames": {"#v": "version"},
                }
            else:
                condition = {
                    "ConditionExpression": "#v = :v",
                    "ExpressionAttributeNames": {"#v": "version"},
                    "ExpressionAttributeValues": {":v": current["version"]},
                }
            try:
                client.put_item(TableName=self._table, Item=item, **condition)
            except Exception as exc:
                if _code(exc) == "ConditionalCheckFailedException":
                    continue  # another writer got there first: read its record and merge again
                raise RecordError(f"revocation table write failed: {_code(exc)}") from exc
            return merged
        raise RecordError(f"revocation record kept changing during {MAX_WRITE_ATTEMPTS} attempts")


def _number(attr: object) -> float | None:
    if not (isinstance(attr, dict) and isinstance(attr.get("N"), str)):
        return None
    try:
        value = Decimal(attr["N"])
    except InvalidOperation:
        return None
    return float(value) if value.is_finite() else None

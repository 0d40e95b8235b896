"""API Gateway's authorizer result cache: flush a stage's, so a revocation is not outlived by it.

FlushStageAuthorizersCache (`DELETE /restapis/{id}/stages/{stage}/cache/authorizers`, IAM action
`apigateway:DELETE` on that path) empties every authorizer's cache of the stage: each caller's next
request invokes the authorizer again. It is a control-plane call, answered 202 (the flush is
asynchronous), under the account's shared control-plane quota (docs/architecture.md, "Revocation",
has the figures and the cost for everyone else). It is never retried here: when it fails, the
answer says so and the result cache's TTL bounds the revocation instead.

When to flush: the authorizer trusts a revocation record it read for REVOCATION_CHECK_SECONDS (C).
A decision taken in the C seconds after the record was written may still use a record read before
it, and API Gateway would cache that stale Allow for the whole result TTL. So the flush waits until
C (plus a margin) has passed since the write: every decision after that reads the new record, and
the flush drops every answer cached before. `flush_after_check()` does exactly that; the bound is
then C + the margin (+ the flush's own propagation, which AWS does not document). A C longer than
MAX_WAIT_SECONDS is not waited for (a caller is waiting): no flush, and the bound is the result TTL
plus C.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import NamedTuple

from revocation_core import aws
from revocation_core.logs import log

MAX_WAIT_SECONDS = 10
MARGIN_SECONDS = 0.2  # scheduling slack between the authorizer's clock and this function's


class Flush(NamedTuple):
    flushed: bool
    bound_seconds: int  # a revoked token is refused on lambda routes at most this long after the write


def flush_after_check(
    rest_api_id: str,
    stage: str,
    *,
    check_seconds: int,
    result_ttl_seconds: int,
    written_at: float,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
) -> Flush:
    """Wait until `check_seconds` have passed since `written_at` (on `clock`, time.monotonic by
    default), then flush."""
    sleep = sleep or time.sleep
    clock = clock or time.monotonic
    if check_seconds > MAX_WAIT_SECONDS:
        log("INFO", "authorizer cache not flushed", reason=f"REVOCATION_CHECK_SECONDS > {MAX_WAIT_SECONDS}")
        return Flush(False, result_ttl_seconds + check_seconds)
    wait = written_at + check_seconds + MARGIN_SECONDS - clock()
    if wait > 0:
        sleep(wait)
    if flush_authorizers(rest_api_id, stage):
        return Flush(True, math.ceil(check_seconds + MARGIN_SECONDS))
    return Flush(False, result_ttl_seconds + check_seconds)


def flush_authorizers(rest_api_id: str, stage: str) -> bool:
    """True when API Gateway accepted the flush; False (logged at WARNING) otherwise."""
    if not rest_api_id or not stage:
        log("WARNING", "authorizer cache not flushed", reason="no API or stage to flush")
        return False
    try:
        aws.client("apigateway").flush_stage_authorizers_cache(restApiId=rest_api_id, stageName=stage)
    except Exception as exc:
        log(
            "WARNING",
            "authorizer cache not flushed",
            reason=aws.error_code(exc),
            rest_api_id=rest_api_id,
            stage=stage,
        )
        return False
    return True

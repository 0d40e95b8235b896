"""The authorizer cache window, end to end: how long a cached Allow outlives a token, and what a
group change does to tokens issued before and after it.

API Gateway caches the TOKEN authorizer's answer per token for `authorizerResultTtlInSeconds` and
never looks at `exp`. So, as docs/architecture.md ("Authorizer cache window") documents, a token is
honoured at most until `exp + CLOCK_SKEW_SECONDS + result_ttl_seconds`. A user removed from a group:
a token issued after the removal no longer carries the group (403 at once), and an older one is
revoked by the revocation feed (CloudTrail -> EventBridge -> functions/revocation, which also
flushes the stage's cache): refused, not honoured until the TTL (tests/e2e/test_revocation.py
measures that bound on the real clock).

The test runs a second gateway on the running stack (same API, authorizer, Lambda workers) with an
injected clock, so the cache TTL passes without waiting. The Lambda function keeps the real clock:
the tokens are minted (with the pool's own key) to expire a few seconds after the cache is filled,
and the test waits for exactly that instant once, then moves the gateway's clock across the TTL.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest

from local.apigateway.messages import HttpRequest
from local.apigateway.server import start_gateway
from local.events import delivery
from tests.e2e import local_support
from tools import config

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "functions" / "authorizer"))
from authz.settings import CLOCK_SKEW_SECONDS  # the function's own constant

pytestmark = pytest.mark.local_only

ROUTE = "/petstore/v2/status"  # lambda mode; group pet-veterinarian may GET it
GROUP = "pet-veterinarian"
#: How long a minted token stays acceptable to the function after the cache is filled.
SECONDS_LEFT = 4


class FakeClock:
    def __init__(self) -> None:
        self.start = datetime.now(UTC)
        self.now = self.start

    def __call__(self) -> datetime:
        return self.now

    def at(self, seconds: float) -> None:
        """Set the gateway's time to `seconds` after the cache was filled."""
        self.now = self.start + timedelta(seconds=seconds)


@dataclass
class Window:
    gateway: Any
    clock: FakeClock
    stage: str
    ttl: int
    expiring: str  # stays in the group; its token expires for the function right after the fill
    before_removal: str  # an older token of a user removed from the group before the fill
    after_removal: str  # a token issued after the removal
    filled_at: float  # real time the cache was filled
    refused_from: float  # real time from which the function refuses both minted tokens

    def status(self, token: str) -> int:
        request = HttpRequest(
            "GET", f"/{self.stage}{ROUTE}", "", (("Authorization", token),), b"", "127.0.0.1"
        )
        return int(self.gateway.app.handle(request).status)


def _short_lived(
    pool_id: str, access_token: str, seconds_left: float, *, issued_an_hour_ago: bool = True
) -> tuple[str, float]:
    """The same access token re-signed to be accepted by the function for `seconds_left` more
    seconds; issued an hour ago, or (`issued_an_hour_ago=False`) when it really was: a user's record
    of revocations refuses tokens issued before its group was last changed."""
    claims: dict[str, Any] = jwt.decode(access_token, options={"verify_signature": False})
    now = time.time()
    claims["exp"] = int(now - CLOCK_SKEW_SECONDS + seconds_left)
    if issued_an_hour_ago:
        claims["iat"] = claims["auth_time"] = int(now - 3600)
    return local_support.pool_sign(pool_id, claims), claims["exp"] + CLOCK_SKEW_SECONDS


def _deployed_ttl(running: Any, api_id: str) -> int:
    authorizers = running.aws("apigateway").get_authorizers(restApiId=api_id)["items"]
    (token,) = [a for a in authorizers if a["type"] == "TOKEN"]
    return int(token["authorizerResultTtlInSeconds"])


@pytest.fixture(scope="module")
def window(running: Any, stack: dict[str, Any]) -> Iterator[Window]:
    ttl = _deployed_ttl(running, stack["api_id"])
    configured = config.load("local").raw.get("authorizer", {}).get("result_ttl_seconds")
    assert configured is None or ttl == configured, "the deployed TTL is the environment's setting"
    assert ttl > 0, "this test needs the cache on (with 0 there is no window to measure)"

    pool_id, client_id = stack["user_pool_id"], stack["user_pool_client_id"]
    stays = local_support.create_pool_user(running, pool_id, groups=(GROUP,))
    leaves = local_support.create_pool_user(running, pool_id, groups=(GROUP,))
    clock = FakeClock()
    with start_gateway(
        running.emulator.url,
        stack["region"],
        api_id=stack["api_id"],
        runtime=running.runtime,
        clock=clock,
    ) as gateway:
        probe = Window(gateway, clock, stack["stage"], ttl, "", "", "", 0.0, 0.0)
        fresh = local_support.sign_in(running, client_id, stays)["access"]
        assert probe.status(fresh) == 200  # also warms the authorizer's worker

        before_removal, _ = _short_lived(
            pool_id, local_support.sign_in(running, client_id, leaves)["access"], SECONDS_LEFT
        )
        running.aws("cognito-idp").admin_remove_user_from_group(
            UserPoolId=pool_id, Username=leaves["username"], GroupName=GROUP
        )
        after_removal = local_support.sign_in(running, client_id, leaves)["access"]
        # The feed revokes and flushes the stage's cache (both gateways'): done before the fill.
        assert delivery.drain(60), "the revocation feed did not run"

        expiring, refused_from = _short_lived(pool_id, fresh, SECONDS_LEFT, issued_an_hour_ago=False)
        filled_at = time.time()
        assert probe.status(expiring) == 200
        assert filled_at < refused_from, "the cache must be filled while the function still accepts"

        # The one real wait: the function runs on the real clock and must see both tokens expired.
        time.sleep(max(0.0, refused_from + 1 - time.time()))
        yield Window(
            gateway,
            clock,
            stack["stage"],
            ttl,
            expiring,
            before_removal,
            after_removal,
            filled_at,
            refused_from,
        )


def test_an_expired_token_is_refused_no_later_than_exp_plus_skew_plus_ttl(window: Window) -> None:
    assert time.time() > window.refused_from  # the function alone would refuse it now...
    window.clock.at(window.ttl - 1)
    assert window.status(window.expiring) == 200  # ...but the cached Allow still admits it
    window.clock.at(window.ttl)
    # Refused at fill + TTL, and the fill happened before exp + skew: within exp + skew + TTL.
    assert window.status(window.expiring) == 401


def test_a_user_removed_from_a_group_is_refused_with_either_token(window: Window) -> None:
    # A token issued after the removal no longer carries the group: authenticated, not allowed.
    window.clock.at(0)
    assert window.status(window.after_removal) == 403
    # An older token still carries it, but its issue time is before the removal: revoked (401).
    assert window.status(window.before_removal) == 401

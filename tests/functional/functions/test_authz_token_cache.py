"""The verified-token cache (authz/token_cache.py): a repeated token is answered without a second
verification, and each way an entry must die does kill it: the token's exp, the policy cache TTL,
the JWKS dropping (or changing) the key, the JWKS cache TTL; failures are never cached; the cache is
bounded; the warm path with repeated tokens makes no network call and creates no client.

Clocks are injected (wall clock for the token, the policy store's clock) or faked (time.monotonic,
which PyJWT's JWKS cache and the cool-down read), so every expiry is exact and nothing sleeps.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest
from authz import policies, token_cache
from authz.decide import Authorizer
from authz.errors import Unauthorized
from authz.logs import get_logger
from authz.policies import PolicyLookupError, PolicyStore
from authz.revocation import RevocationStore
from authz.settings import Settings
from authz.verify import TokenVerifier
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.functional.functions import support
from tests.functional.functions.test_authorizer import (
    REAL_DYNAMODB_CLIENT,
    REAL_REVOCATION_CLIENT,
    NetworkCounter,
    decide_token,
)

VET_ROUTE = support.method_arn("GET", "/petstore/v1/pets")
STATUS_ROUTE = support.method_arn("GET", "/petstore/v2/status")
SKEW = 30
POLICY_TTL = 300
REVOCATION_TTL = 400  # longer than POLICY_TTL: the policy-expiry tests see the policy expire first


@dataclass
class Harness:
    authorizer: Authorizer
    wall: list[float]  # the verifier's clock (time.time for a real container)
    policy_clock: list[float]  # the policy and revocation stores' clock (time.monotonic in a container)
    monotonic: list[float]  # time.monotonic (PyJWT's JWKS cache TTL and the cool-down)
    verifications: list[str]

    def decide(self, token: str, arn: str = VET_ROUTE) -> str:
        """'allow' | 'deny' | 'unauthorized' for a TOKEN event."""
        try:
            response = self.authorizer.authorize(support.token_event(f"Bearer {token}", arn))
        except Unauthorized:
            return "unauthorized"
        return support.outcome(response)


@pytest.fixture
def harness(
    monkeypatch: pytest.MonkeyPatch, ddb: Any, jwks: support.JwksServer, signing_key: support.SigningKey
) -> Iterator[Harness]:
    settings = Settings.from_env(support.authorizer_env(jwks.url))
    wall = [float(int(time.time()))]
    policy_clock = [0.0]
    store = PolicyStore(
        settings.policy_table, settings.policy_cache_ttl, lambda: ddb, clock=lambda: policy_clock[0]
    )
    verifier = TokenVerifier(settings, clock=lambda: wall[0])
    verifications: list[str] = []
    real_verify = verifier.verify

    def counting_verify(token: str) -> Any:
        verifications.append(token)
        return real_verify(token)

    monkeypatch.setattr(verifier, "verify", counting_verify)
    revocations = RevocationStore(
        settings.revocation_table, REVOCATION_TTL, lambda: ddb, clock=lambda: policy_clock[0]
    )
    with support.fake_monotonic(monkeypatch) as monotonic:
        authorizer = Authorizer(verifier, store, get_logger(), revocations=revocations)
        yield Harness(authorizer, wall, policy_clock, monotonic, verifications)


def _token(
    tokens: support.TokenFactory, h: Harness, key: support.SigningKey | None = None, **claims: Any
) -> str:
    now = int(h.wall[0])
    return tokens.token(key=key, **{"iat": now, "exp": now + 3600, **claims})


def test_repeated_token_is_answered_without_a_second_verification(
    harness: Harness, tokens: support.TokenFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    token = _token(tokens, harness)
    first = harness.authorizer.authorize(support.token_event(f"Bearer {token}", VET_ROUTE))
    again = harness.authorizer.authorize(support.token_event(token, STATUS_ROUTE))
    assert again == first
    assert again["policyDocument"] == json.loads(support.render_template("pet-veterinarian"))
    assert harness.verifications == [token]  # the second decision did not verify
    again["context"]["group"] = "admin"  # a caller editing its answer does not edit the cache
    assert harness.authorizer.authorize(support.token_event(token, VET_ROUTE)) == first
    logs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    decisions = [(d["decision"], d["token_cache"]) for d in logs if d.get("message") == "authorizer decision"]
    assert decisions == [("allow", "miss"), ("allow", "hit"), ("allow", "hit")]
    for line in logs:
        assert token not in json.dumps(line)


def test_entry_dies_at_the_tokens_exp(harness: Harness, tokens: support.TokenFactory) -> None:
    now = int(harness.wall[0])
    token = _token(tokens, harness, exp=now + 100)
    assert harness.decide(token) == "allow"
    harness.wall[0] = now + 100 + SKEW - 1  # the skew still covers it: a hit
    assert harness.decide(token) == "allow"
    assert len(harness.verifications) == 1
    harness.wall[0] = now + 100 + SKEW  # exp <= now - skew: expired, as a full check says
    assert harness.decide(token) == "unauthorized"
    assert len(harness.verifications) == 2
    assert len(harness.authorizer.tokens) == 0


def test_entry_dies_with_the_policy_items_it_was_decided_from(
    harness: Harness, tokens: support.TokenFactory, ddb: Any
) -> None:
    """The entry lives until the policy cache entries it read expire, not a full TTL after the
    token was first seen: a policy change is seen exactly when it is without the token cache."""
    assert harness.decide(_token(tokens, harness)) == "allow"  # t=0: the group's item is read
    harness.policy_clock[0] = 200.0
    token = _token(tokens, harness)  # first seen at t=200, decided from the item read at t=0
    assert harness.decide(token) == "allow"
    ddb.delete_item(TableName=support.POLICY_TABLE, Key={"group": {"S": "pet-veterinarian"}})
    harness.policy_clock[0] = POLICY_TTL - 1.0
    assert harness.decide(token) == "allow"  # both caches still hold the old item: a hit
    assert len(harness.verifications) == 2
    harness.policy_clock[0] = POLICY_TTL + 1.0
    assert harness.decide(token) == "deny"  # re-decided from a fresh read: the item is gone
    assert len(harness.verifications) == 3


def test_entry_dies_when_the_jwks_drops_the_key(
    harness: Harness,
    tokens: support.TokenFactory,
    jwks: support.JwksServer,
    other_key: support.SigningKey,
) -> None:
    token = _token(tokens, harness)
    assert harness.decide(token) == "allow"
    jwks.reset([other_key])  # the pool's key is rotated out
    assert harness.decide(token) == "allow"  # the cached JWKS still publishes it: so does a full check
    harness.monotonic[0] += 31  # past the cool-down: an unknown kid makes the JWKS be fetched again
    assert harness.decide(_token(tokens, harness, key=other_key)) == "allow"
    assert jwks.requests == 1
    assert harness.decide(token) == "unauthorized"  # the key is gone from the new key set
    assert len(harness.authorizer.tokens) == 1  # only the other key's token


def test_entry_dies_when_the_jwks_changes_the_key_under_its_kid(
    harness: Harness,
    tokens: support.TokenFactory,
    jwks: support.JwksServer,
    other_key: support.SigningKey,
) -> None:
    token = _token(tokens, harness)
    assert harness.decide(token) == "allow"
    jwks.reset([support.SigningKey(tokens.key.kid, other_key.private)])  # same kid, another key
    harness.monotonic[0] += 3601  # the JWKS cache expires: the next check fetches the new set
    assert harness.decide(token) == "unauthorized"
    assert jwks.requests == 1  # since the reset


def test_entry_outlives_a_jwks_refetch_that_keeps_the_key(
    harness: Harness, tokens: support.TokenFactory, jwks: support.JwksServer
) -> None:
    token = _token(tokens, harness)
    assert harness.decide(token) == "allow"
    harness.monotonic[0] += 3601  # the JWKS cache expires and is fetched again with the same key
    assert harness.decide(_token(tokens, harness)) == "allow"
    assert jwks.requests == 2
    assert harness.decide(token) == "allow"
    assert len(harness.verifications) == 2  # the refetch did not invalidate the cached token


def test_entry_is_not_used_past_the_jwks_cache_ttl_when_the_endpoint_is_down(
    harness: Harness, tokens: support.TokenFactory, jwks: support.JwksServer
) -> None:
    """A full check cannot verify without a fresh JWKS; neither does the cache answer."""
    token = _token(tokens, harness)
    assert harness.decide(token) == "allow"
    jwks.fail = True
    harness.monotonic[0] += 3601
    assert harness.decide(token) == "unauthorized"


def test_failures_and_rejections_are_not_cached(
    monkeypatch: pytest.MonkeyPatch,
    harness: Harness,
    tokens: support.TokenFactory,
    other_key: support.SigningKey,
) -> None:
    forged = _token(tokens, harness, key=support.SigningKey(tokens.key.kid, other_key.private))
    assert harness.decide(forged) == "unauthorized"
    assert harness.decide(forged) == "unauthorized"
    assert len(harness.verifications) == 2
    assert len(harness.authorizer.tokens) == 0
    token = _token(tokens, harness)
    store = harness.authorizer.store

    def unreachable(groups: Any) -> Any:
        raise PolicyLookupError("policy table read failed: EndpointConnectionError")

    with monkeypatch.context() as patch:
        patch.setattr(store, "lookup", unreachable)
        assert harness.decide(token) == "deny"  # verified but cannot decide
    assert harness.decide(token) == "allow"  # decided again, not the cached failure
    assert len(harness.verifications) == 4


def test_a_deny_is_replayed_only_for_its_stage(harness: Harness, tokens: support.TokenFactory) -> None:
    token = _token(tokens, harness, **{"cognito:groups": []})
    other_stage = VET_ROUTE.replace(f"/{support.STAGE}/", "/prod/")
    first = harness.authorizer.authorize(support.token_event(token, VET_ROUTE))
    second = harness.authorizer.authorize(support.token_event(token, other_stage))
    assert first["policyDocument"]["Statement"][0]["Resource"] == f"{support.API_ARN}/*"
    assert second["policyDocument"]["Statement"][0]["Resource"].endswith("/prod/*")
    assert len(harness.verifications) == 2


def test_the_cache_is_bounded_oldest_first(harness: Harness, tokens: support.TokenFactory) -> None:
    harness.authorizer.tokens = token_cache.VerifiedTokens(max_entries=3)
    issued = [_token(tokens, harness) for _ in range(5)]
    for token in issued:
        assert harness.decide(token) == "allow"
    assert len(harness.authorizer.tokens) == 3
    harness.verifications.clear()
    assert harness.decide(issued[-1]) == "allow"  # among the newest three: a hit
    assert harness.decide(issued[0]) == "allow"  # evicted: verified again
    assert harness.verifications == [issued[0]]


def test_repeated_tokens_make_no_network_call_and_create_no_client(
    monkeypatch: pytest.MonkeyPatch,
    authorizer_app: ModuleType,
    tokens: support.TokenFactory,
    jwks: support.JwksServer,
) -> None:
    monkeypatch.setattr(authorizer_app, "dynamodb_client", REAL_DYNAMODB_CLIENT)
    monkeypatch.setattr(authorizer_app, "revocation_client", REAL_REVOCATION_CLIENT)
    counter = NetworkCounter(monkeypatch)
    token = tokens.token()
    assert decide_token(authorizer_app, token)[0] == "allow"  # cold: JWKS + clients + a read of each table
    assert (counter.clients, counter.api_calls, jwks.requests) == (2, ["GetItem", "BatchGetItem"], 1)
    counter.clients, counter.api_calls, counter.connects = 0, [], 0
    for _ in range(20):
        assert decide_token(authorizer_app, token)[0] == "allow"
        assert decide_token(authorizer_app, token, STATUS_ROUTE)[0] == "allow"
    assert (counter.clients, counter.api_calls, counter.connects, jwks.requests) == (0, [], 0, 1)
    assert len(authorizer_app.get_authorizer().tokens) == 1


def test_policy_cache_ttl_zero_decides_every_repeated_token_in_full(
    monkeypatch: pytest.MonkeyPatch, ddb: Any, jwks: support.JwksServer, tokens: support.TokenFactory
) -> None:
    """POLICY_CACHE_TTL_SECONDS=0 (read the table on every decision): a cached decision would be a
    cached policy, so nothing is reused; every request reads the table (and verifies again)."""
    settings = Settings.from_env(support.authorizer_env(jwks.url, POLICY_CACHE_TTL_SECONDS="0"))
    store = PolicyStore(settings.policy_table, settings.policy_cache_ttl, lambda: ddb)
    revocations = RevocationStore(settings.revocation_table, settings.revocation_check_ttl, lambda: ddb)
    authorizer = Authorizer(TokenVerifier(settings), store, get_logger(), revocations=revocations)
    token = tokens.token()
    for _ in range(3):
        assert support.outcome(authorizer.authorize(support.token_event(token, VET_ROUTE))) == "allow"
    assert store.reads == 3
    ddb.delete_item(TableName=support.POLICY_TABLE, Key={"group": {"S": "pet-veterinarian"}})
    assert support.outcome(authorizer.authorize(support.token_event(token, VET_ROUTE))) == "deny"


# --- the token cache against a policy-cache clear (issue 22, point 1) --------------------------

_GROUPS = tuple(f"team-{i}" for i in range(6))  # more groups than the patched cache limit below
_ROUTES = tuple(support.method_arn("GET", f"/r{i}") for i in range(3))
_CALLERS = ((0,), (1,), (2,), (3,), (4, 5), (0, 5), (1, 2, 3))  # group indexes per token


class _Table:
    """An in-memory policy table behind the client interface PolicyStore uses (batch_get_item),
    and a revocation table behind RevocationStore's (get_item): hundreds of decisions per example
    without moto, and writes that take effect at once."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.revoked: dict[str, float] = {}  # sub -> revoked_before

    def put(self, group: str, variant: int) -> None:
        """Variant v allows route v (a different policy per variant, so a stale one shows)."""
        policy = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": _ROUTES[variant]}],
        }
        precedence = _GROUPS.index(group)
        self.items[group] = {
            "group": {"S": group},
            "precedence": {"N": str(precedence)},
            "policy": {"S": json.dumps(policy)},
            "version": {"S": f"{group}-{variant}"},
        }

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        ((table, request),) = RequestItems.items()
        keys = [k["group"]["S"] for k in request["Keys"]]
        return {"Responses": {table: [self.items[k] for k in keys if k in self.items]}}

    def get_item(self, TableName: str, Key: dict[str, Any], **_: Any) -> dict[str, Any]:
        """The revocation table (authz/revocation.py reads one user's record)."""
        before = self.revoked.get(Key["sub"]["S"])
        if before is None:
            return {}
        return {"Item": {"sub": Key["sub"], "revoked_before": {"N": str(before)}}}


_call = st.tuples(st.just("call"), st.integers(0, len(_CALLERS) - 1), st.integers(0, len(_ROUTES) - 1))
_operations = st.lists(
    st.one_of(
        _call,
        _call,
        _call,  # calls dominate: each one is a chance for a stale cached answer to show
        st.tuples(st.just("tick"), st.sampled_from([1, 10, 100, POLICY_TTL]), st.just(0)),
        st.tuples(st.just("put"), st.integers(0, len(_GROUPS) - 1), st.integers(0, len(_ROUTES) - 1)),
        st.tuples(st.just("delete"), st.integers(0, len(_GROUPS) - 1), st.just(0)),
        st.tuples(st.just("revoke"), st.integers(0, len(_CALLERS) - 1), st.just(0)),
    ),
    min_size=10,
    max_size=60,
)


def _answer(authorizer: Authorizer, event: dict[str, Any]) -> Any:
    """The response, or the refusal's reason (a revoked token raises Unauthorized)."""
    try:
        return authorizer.authorize(event)
    except Unauthorized as exc:
        return ("unauthorized", exc.reason)


def test_a_cached_decision_is_what_a_full_decision_answers_at_that_instant(
    monkeypatch: pytest.MonkeyPatch, jwks: support.JwksServer, tokens: support.TokenFactory
) -> None:
    """The issue's reproduction, kept: the policy cache limit patched to 4, so that lookups clear
    the whole policy cache (policies.py) while the verified-token cache holds decisions read from
    it; the table changes in between. After every request of the cached authorizer, the same
    request through a full decision (token cache off, same store, same instant) must answer the
    same. Before the fix, the token cache kept the policy a clear had dropped and answered, e.g.,
    a cached Allow where the full path answered Deny."""
    monkeypatch.setattr(policies, "MAX_CACHED_GROUPS", 4)
    settings_ = Settings.from_env(support.authorizer_env(jwks.url, POLICY_CACHE_TTL_SECONDS=str(POLICY_TTL)))
    verifier = TokenVerifier(settings_)
    issued = [
        tokens.token(sub=f"caller-{n}", **{"cognito:groups": [_GROUPS[i] for i in caller]})
        for n, caller in enumerate(_CALLERS)
    ]
    logger = get_logger("ERROR")

    @settings(max_examples=60, derandomize=True, deadline=None, database=None)
    @given(_operations)
    def check(operations: list[tuple[str, int, int]]) -> None:
        table = _Table()
        for group in _GROUPS:
            table.put(group, 0)
        clock = [0.0]
        store = PolicyStore(
            settings_.policy_table, settings_.policy_cache_ttl, lambda: table, clock=lambda: clock[0]
        )
        # One revocation store for both, on the same clock: the token cache must add nothing to it.
        revocations = RevocationStore(
            settings_.revocation_table, settings_.revocation_check_ttl, lambda: table, clock=lambda: clock[0]
        )
        cached = Authorizer(verifier, store, logger, revocations=revocations)
        full = Authorizer(
            verifier, store, logger, tokens=token_cache.VerifiedTokens(max_entries=0), revocations=revocations
        )
        for op, a, b in operations:
            if op == "tick":
                clock[0] += a
            elif op == "put":
                table.put(_GROUPS[a], b)
            elif op == "delete":
                table.items.pop(_GROUPS[a], None)
            elif op == "revoke":  # every token of that caller issued until an hour from now
                table.revoked[f"caller-{a}"] = time.time() + 3600
            else:
                event = support.token_event(issued[a], _ROUTES[b])
                answer = _answer(cached, event)
                assert answer == _answer(full, event), (op, a, b)

    check()

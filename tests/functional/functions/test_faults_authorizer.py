"""Faults at the authorizer's edges: its JWKS endpoint and its policy table.

Everything goes through `app.handler(event, context)` with the function's documented environment:
JWKS_URL points at a `FaultyJwks` on loopback, AWS_ENDPOINT_URL at a `DynamoFaults` proxy in front
of a moto server. For each fault the tests check: the decision (correct, or fail-closed: 401 when
the token cannot be verified, Deny when a verified caller cannot be authorized, never Allow), the
attempts the function made (bounded, counted where they land), the decision log line saying why,
and recovery in the same container (no cold start) once the fault clears.

Time: the JWKS cool-down and cache TTL run on `time.monotonic`, replaced by a settable clock
(support.fake_monotonic) so that "31 s later" needs no waiting; token expiry is wall-clock time.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from types import ModuleType

import app as _app
import pytest

from tests.functional.functions import support
from tests.reliability import figures
from tests.reliability.calls import decide, decisions
from tests.reliability.faults import FaultyJwks, counting_connects
from tests.reliability.fixtures import Dynamo

pytestmark = pytest.mark.reliability

ROUTE = support.method_arn("GET", "/petstore/v1/pets")
COOLDOWN = 30.0  # JWKS_REFETCH_COOLDOWN_SECONDS, as documented in functions/authorizer/README.md
JWKS_TTL = 3600.0  # JWKS_CACHE_TTL_SECONDS in support.authorizer_env
JWKS_FAULTS = ("down", "error", "slow", "garbage", "reset")
# Why the first decision under each fault was refused (the log's `reason`); during the cool-down
# that follows, every decision says jwks_unavailable.
FIRST_REASON = {
    "down": "jwks_unavailable",
    "error": "jwks_unavailable",
    "slow": "jwks_unavailable",
    "reset": "jwks_unavailable",
    "garbage": "jwks_unavailable",
}


@pytest.fixture
def authorizer(
    monkeypatch: pytest.MonkeyPatch, dynamo: Dynamo, faulty_jwks: FaultyJwks
) -> Iterator[ModuleType]:
    """A cold authorizer container wired to the fault servers through its environment only."""
    env = support.authorizer_env(
        faulty_jwks.url, POLICY_TABLE=dynamo.policy_table, REVOCATION_TABLE=dynamo.revocation_table
    )
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", dynamo.proxy.url)
    _app.reset()
    yield _app
    _app.reset()


def _decide(app: ModuleType, token: str) -> str:
    return decide(app, support.token_event(f"Bearer {token}", ROUTE))[0]


def _start(jwks: FaultyJwks, fault: str) -> None:
    if fault == "down":
        jwks.down()
    else:
        jwks.set(fault)


def _clear(jwks: FaultyJwks, fault: str) -> None:
    if fault == "down":
        jwks.up()
    jwks.set("ok")


def _port(jwks: FaultyJwks) -> int:
    return int(jwks.url.split(":")[2].split("/")[0])


# --- JWKS -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", JWKS_FAULTS)
def test_jwks_fault_on_a_cold_container_fails_closed_once_per_cooldown_then_recovers(  # noqa: PLR0917 - pytest fixtures
    fault: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    authorizer: ModuleType,
    tokens: support.TokenFactory,
    faulty_jwks: FaultyJwks,
) -> None:
    """No key to verify with: 401 (fail closed), one fetch per cool-down, not one per request."""
    with (
        support.fake_monotonic(monkeypatch) as now,
        counting_connects(monkeypatch, _port(faulty_jwks)) as tries,
    ):
        _start(faulty_jwks, fault)
        capsys.readouterr()
        outcomes = [_decide(authorizer, tokens.token()) for _ in range(6)]
        attempts_in_fault = tries.take()
        logged = decisions(capsys.readouterr().out)
        assert outcomes == ["unauthorized"] * 6
        assert attempts_in_fault == 1, "a failed JWKS fetch must start the cool-down"
        assert [d["reason"] for d in logged] == [FIRST_REASON[fault]] + ["jwks_unavailable"] * 5

        now[0] += COOLDOWN - 1  # still cooling down, even though the endpoint is back
        _clear(faulty_jwks, fault)
        assert _decide(authorizer, tokens.token()) == "unauthorized"
        assert tries.take() == 0
        now[0] += 2  # past the cool-down: the same container fetches again and recovers
        recovered = [_decide(authorizer, tokens.token()) for _ in range(3)]
        assert recovered == ["allow"] * 3
        assert tries.take() == 1
    figures.record(
        "fault",
        f"jwks {fault}, cold container",
        decisions=len(outcomes) + 4,
        wrong_allows=0,
        attempts_during_fault=attempts_in_fault,
        outcome="401 Unauthorized (fail closed)",
        log_reason=FIRST_REASON[fault],
        recovery="first request after the 30 s cool-down, same container",
    )


@pytest.mark.parametrize("fault", JWKS_FAULTS)
def test_jwks_fault_on_a_warm_container_keeps_verifying_until_the_jwks_cache_expires(  # noqa: PLR0917 - pytest fixtures
    fault: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    authorizer: ModuleType,
    tokens: support.TokenFactory,
    faulty_jwks: FaultyJwks,
) -> None:
    """Cached keys keep verifying (correct, not merely closed); once they expire: 401, then recovery."""
    with (
        support.fake_monotonic(monkeypatch) as now,
        counting_connects(monkeypatch, _port(faulty_jwks)) as tries,
    ):
        assert _decide(authorizer, tokens.token()) == "allow"
        assert tries.take() == 1
        _start(faulty_jwks, fault)
        riding = [_decide(authorizer, tokens.token()) for _ in range(5)]
        assert riding == ["allow"] * 5
        assert tries.take() == 0
        now[0] += JWKS_TTL + 1  # the cached key set expires while the endpoint is still faulty
        capsys.readouterr()
        expired = [_decide(authorizer, tokens.token()) for _ in range(4)]
        reasons = [d["reason"] for d in decisions(capsys.readouterr().out)]
        assert expired == ["unauthorized"] * 4
        assert reasons == [FIRST_REASON[fault]] + ["jwks_unavailable"] * 3
        assert tries.take() == 1
        _clear(faulty_jwks, fault)
        now[0] += COOLDOWN + 1
        assert _decide(authorizer, tokens.token()) == "allow"
        assert tries.take() == 1
    figures.record(
        "fault",
        f"jwks {fault}, warm container",
        decisions=11,
        wrong_allows=0,
        attempts_during_fault=1,
        outcome="cached keys keep verifying (Allow); after the JWKS cache TTL: 401 (fail closed)",
        log_reason=FIRST_REASON[fault],
        recovery="first request after the cool-down, same container",
    )


GARBAGE_JWKS = {
    "empty": b"",
    "truncated": b"{",
    "array": b"[]",
    "string": b'"keys"',
    "keys-not-a-list": b'{"keys": "none"}',
    "no-keys": b'{"keys": []}',
    "rsa-without-numbers": b'{"keys": [{"kty": "RSA"}]}',
    "tiny-rsa-key-under-the-real-kid": (
        b'{"keys": [{"kty": "RSA", "kid": "key-1", "n": "AQAB", "e": "AQAB"}]}'
    ),
    "binary": b"\xff\xfe\x00garbage",
    "huge": b'{"keys": [' + b'{"kty": "RSA"},' * 2000 + b"{}]}",
    # A well-formed key set is a successful fetch: it is cached for JWKS_CACHE_TTL_SECONDS, and a
    # known kid is not refetched, so these are refused until the cache expires (never allowed).
    "symmetric-key-under-the-real-kid": (
        b'{"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "key-1", "alg": "HS256"}]}'
    ),
    "other-keys-only": b'{"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "other", "alg": "HS256"}]}',
}
CACHED_UNTIL_TTL = {"symmetric-key-under-the-real-kid"}


@pytest.mark.parametrize("kind", GARBAGE_JWKS)
def test_garbage_jwks_never_verifies_a_token(  # noqa: PLR0917 - pytest fixtures
    kind: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    authorizer: ModuleType,
    tokens: support.TokenFactory,
    faulty_jwks: FaultyJwks,
) -> None:
    faulty_jwks.garbage = GARBAGE_JWKS[kind]
    faulty_jwks.set("garbage")
    with support.fake_monotonic(monkeypatch) as now:
        capsys.readouterr()
        assert _decide(authorizer, tokens.token()) == "unauthorized"
        reason = decisions(capsys.readouterr().out)[0]["reason"]
        assert faulty_jwks.take_requests() == 1
        faulty_jwks.set("ok")
        now[0] += COOLDOWN + 1
        if kind in CACHED_UNTIL_TTL:
            assert _decide(authorizer, tokens.token()) == "unauthorized"
            now[0] += JWKS_TTL
        assert _decide(authorizer, tokens.token()) == "allow"
    assert reason in {"jwks_unavailable", "unknown_kid", "key_not_rs256"}
    figures.record(
        "fault",
        f"jwks garbage: {kind}",
        decisions=3,
        wrong_allows=0,
        attempts_during_fault=1,
        outcome="401 Unauthorized (fail closed)",
        log_reason=reason,
        recovery="after the JWKS cache TTL" if kind in CACHED_UNTIL_TTL else "after the 30 s cool-down",
    )


def test_rotation_drill_new_key_accepted_without_cold_start_old_tokens_until_expiry(  # noqa: PLR0917 - pytest fixtures
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    authorizer: ModuleType,
    tokens: support.TokenFactory,
    faulty_jwks: FaultyJwks,
    signing_key: support.SigningKey,
    other_key: support.SigningKey,
) -> None:
    """Cognito-style rotation: the new key is published beside the old one, then the old one retires."""
    old, new = signing_key, other_key
    container = None
    with support.fake_monotonic(monkeypatch) as now:
        assert _decide(authorizer, tokens.token(key=old)) == "allow"
        container = authorizer.get_authorizer()
        assert faulty_jwks.take_requests() == 1
        # Minutes later the pool publishes a second key, and starts signing with it.
        now[0] += 300
        faulty_jwks.set("ok", jwks=[old.jwk(), new.jwk()])
        assert _decide(authorizer, tokens.token(key=new)) == "allow"  # first new-key token: accepted
        assert faulty_jwks.take_requests() == 1  # by one refetch, in the same container
        for _ in range(5):
            assert _decide(authorizer, tokens.token(key=new)) == "allow"
            assert _decide(authorizer, tokens.token(key=old)) == "allow"  # old tokens stay valid
        assert faulty_jwks.take_requests() == 0
        wall = int(time.time())
        capsys.readouterr()
        assert _decide(authorizer, tokens.token(key=old, iat=wall - 7200, exp=wall - 3600)) == "unauthorized"
        assert decisions(capsys.readouterr().out)[0]["reason"] == "token_expired"  # ... until they expire
        # The old key is withdrawn; once the cached set expires, old-key tokens are refused.
        faulty_jwks.set("ok", jwks=[new.jwk()])
        now[0] += JWKS_TTL + 1
        assert _decide(authorizer, tokens.token(key=new)) == "allow"
        assert _decide(authorizer, tokens.token(key=old)) == "unauthorized"
        assert authorizer.get_authorizer() is container, "the drill must not need a cold start"
    figures.record(
        "fault",
        "jwks key rotation drill",
        decisions=16,
        wrong_allows=0,
        jwks_fetches=3,
        outcome="new-key tokens accepted on first sight (one refetch, no cold start); old-key tokens "
        "valid until their exp; refused once the old key is withdrawn and the cache expires",
    )


def test_key_swapped_mid_run_old_tokens_refused_once_the_new_set_is_fetched(  # noqa: PLR0917 - pytest fixtures
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    authorizer: ModuleType,
    tokens: support.TokenFactory,
    faulty_jwks: FaultyJwks,
    signing_key: support.SigningKey,
    other_key: support.SigningKey,
) -> None:
    """The published key is replaced outright (old key withdrawn) while requests keep coming."""
    old, new = signing_key, other_key
    stream: list[tuple[str, str, str]] = []  # (phase, key, outcome)
    with support.fake_monotonic(monkeypatch) as now:
        for _ in range(3):
            stream.append(("before", "old", _decide(authorizer, tokens.token(key=old))))
        faulty_jwks.set("ok", jwks=[new.jwk()])
        now[0] += COOLDOWN + 1
        # Until a new-key token arrives, the cached set (old key) still verifies old tokens.
        stream.append(("swapped, cache not refreshed", "old", _decide(authorizer, tokens.token(key=old))))
        capsys.readouterr()
        for _ in range(3):
            stream.append(("after refetch", "new", _decide(authorizer, tokens.token(key=new))))
            stream.append(("after refetch", "old", _decide(authorizer, tokens.token(key=old))))
        reasons = {d["reason"] for d in decisions(capsys.readouterr().out) if d["decision"] == "unauthorized"}
    expected = [("before", "old", "allow")] * 3 + [("swapped, cache not refreshed", "old", "allow")]
    expected += [("after refetch", "new", "allow"), ("after refetch", "old", "unauthorized")] * 3
    assert stream == expected
    assert reasons == {"unknown_kid"}
    assert faulty_jwks.take_requests() == 2
    figures.record(
        "fault",
        "jwks key swapped mid-run",
        decisions=len(stream),
        wrong_allows=0,
        jwks_fetches=2,
        log_reason="unknown_kid",
        outcome="old-key tokens refused as soon as the new key set is fetched; new-key tokens accepted",
    )


# --- policy table -----------------------------------------------------------------------------

TABLE_FAULTS = (
    "throttled",
    "throttling",
    "internal_error",
    "unavailable",
    "table_missing",
    "timeout",
    "reset",
)


@pytest.mark.parametrize("fault", TABLE_FAULTS)
def test_policy_table_fault_denies_a_verified_caller_with_bounded_retries_then_recovers(
    fault: str,
    capsys: pytest.CaptureFixture[str],
    authorizer: ModuleType,
    tokens: support.TokenFactory,
    dynamo: Dynamo,
) -> None:
    """Verified but cannot decide: Deny for the whole stage (403, fail closed), never Allow and never
    401; the read is retried a bounded number of times; the failure is not cached."""
    dynamo.proxy.inject(fault, table=dynamo.policy_table)
    capsys.readouterr()
    token = tokens.token(sub="0b7c4e2a-1f00-4a9e-9d63-5f2f1c0a9e11")
    outcome, response = decide(authorizer, support.token_event(f"Bearer {token}", ROUTE))
    logged = decisions(capsys.readouterr().out)
    attempts, faulted = dynamo.proxy.take_counts()
    assert outcome == "deny"
    assert response is not None
    assert response["principalId"] == "0b7c4e2a-1f00-4a9e-9d63-5f2f1c0a9e11"
    assert response["policyDocument"]["Statement"] == [
        {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": support.API_ARN + "/*"}
    ]
    assert [(d["decision"], d["reason"]) for d in logged] == [("deny", "policy_table_unavailable")]
    reads = attempts["BatchGetItem"]
    assert reads == faulted["BatchGetItem"] == sum(faulted.values())
    assert 1 <= reads <= _app.DYNAMODB_MAX_ATTEMPTS, f"{reads} attempts for one decision"
    assert attempts["GetItem"] == 1  # the revocation record, read (and cleared) before the policy

    dynamo.proxy.clear()
    # Same container, same token: decided afresh (a "cannot decide" outcome is never cached). A read
    # is retried only when an attempt outlives its 1 s timeout (a loaded machine), so the first read
    # may take a second attempt; what was read is never read again.
    assert decide(authorizer, support.token_event(f"Bearer {token}", ROUTE))[0] == "allow"
    first, _ = dynamo.proxy.take_counts()
    assert 1 <= first["BatchGetItem"] <= _app.DYNAMODB_MAX_ATTEMPTS, first
    assert first["GetItem"] == 0, first  # the token's revocation record: read above, cached
    assert [decide(authorizer, support.token_event(tokens.token(), ROUTE))[0] for _ in range(3)] == [
        "allow"
    ] * 3
    after, _ = dynamo.proxy.take_counts()
    # The policy is cached; each new user's revocation record is read (once, or twice on a timeout).
    assert after["BatchGetItem"] == 0, "after recovery the policy is read once, then cached"
    assert 3 <= after["GetItem"] <= 3 * _app.REVOCATION_MAX_ATTEMPTS, after
    figures.record(
        "fault",
        f"policy table {fault.replace('_', ' ')}",
        decisions=5,
        wrong_allows=0,
        attempts_during_fault=reads,
        outcome="403 Deny for the stage (verified, cannot decide)",
        log_reason="policy_table_unavailable",
        recovery="next request, same container (failure not cached)",
    )


@pytest.mark.parametrize("fault", ["throttled", "internal_error", "timeout"])
def test_cached_policy_keeps_deciding_during_a_table_fault(
    fault: str, authorizer: ModuleType, tokens: support.TokenFactory, dynamo: Dynamo
) -> None:
    sub = "7e3b1d40-2f4c-4c8e-9a0b-6d5e4f3c2b1a"  # one user's new tokens: its revocation record is cached
    assert decide(authorizer, support.token_event(tokens.token(sub=sub), ROUTE))[0] == "allow"
    dynamo.proxy.take_counts()
    dynamo.proxy.inject(fault, table=dynamo.policy_table)
    outcomes = [decide(authorizer, support.token_event(tokens.token(sub=sub), ROUTE))[0] for _ in range(5)]
    attempts, _ = dynamo.proxy.take_counts()
    assert outcomes == ["allow"] * 5
    assert sum(attempts.values()) == 0
    figures.record(
        "fault",
        f"policy table {fault.replace('_', ' ')}, policy cached",
        decisions=6,
        wrong_allows=0,
        attempts_during_fault=0,
        outcome="cached group policy keeps deciding (correct decisions)",
    )


def test_a_transient_throttle_is_absorbed_by_one_retry(
    authorizer: ModuleType, tokens: support.TokenFactory, dynamo: Dynamo
) -> None:
    dynamo.proxy.inject("throttled", table=dynamo.policy_table, times=1)
    assert decide(authorizer, support.token_event(tokens.token(), ROUTE))[0] == "allow"
    attempts, faulted = dynamo.proxy.take_counts()
    assert (attempts["BatchGetItem"], faulted["BatchGetItem"]) == (2, 1)
    figures.record(
        "fault",
        "policy table throttled once",
        decisions=1,
        wrong_allows=0,
        attempts_during_fault=2,
        outcome="Allow after one SDK retry",
    )

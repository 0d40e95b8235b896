"""Faults at the authorizer's revocation table (same shape as test_faults_authorizer.py).

Everything goes through `app.handler` with the documented environment; AWS_ENDPOINT_URL points at a
`DynamoFaults` proxy in front of a moto server, faulting only requests that name the revocation
table. For each fault: the decision (a verified caller whose record cannot be read is denied, 403,
never allowed and never 401), the attempts (bounded by the revocation client's own retry budget,
app.REVOCATION_MAX_ATTEMPTS), the log line (`revocation_store_unavailable`, at WARNING: it alarms),
nothing cached, and recovery in the same container once the fault clears. A "timeout" fault holds
each request past the client's read timeout: the slow table.
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
from tests.reliability.faults import FaultyJwks
from tests.reliability.fixtures import Dynamo

pytestmark = pytest.mark.reliability

ROUTE = support.method_arn("GET", "/petstore/v1/pets")
CHECK_SECONDS = 10  # REVOCATION_CHECK_SECONDS in support.authorizer_env
FAULTS = ("throttled", "throttling", "internal_error", "unavailable", "table_missing", "timeout", "reset")
SUB = "c3d2e1f0-5a6b-4c7d-8e9f-0a1b2c3d4e5f"


@pytest.fixture
def authorizer(
    monkeypatch: pytest.MonkeyPatch, dynamo: Dynamo, faulty_jwks: FaultyJwks
) -> Iterator[ModuleType]:
    env = support.authorizer_env(
        faulty_jwks.url, POLICY_TABLE=dynamo.policy_table, REVOCATION_TABLE=dynamo.revocation_table
    )
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", dynamo.proxy.url)
    _app.reset()
    yield _app
    _app.reset()


def _event(token: str) -> dict[str, object]:
    return support.token_event(f"Bearer {token}", ROUTE)


@pytest.mark.parametrize("fault", FAULTS)
def test_revocation_table_fault_denies_a_verified_caller_with_bounded_retries_then_recovers(
    fault: str,
    capsys: pytest.CaptureFixture[str],
    authorizer: ModuleType,
    tokens: support.TokenFactory,
    dynamo: Dynamo,
) -> None:
    dynamo.proxy.inject(fault, table=dynamo.revocation_table)
    capsys.readouterr()
    token = tokens.token(sub=SUB)
    started = time.monotonic()
    outcome, response = decide(authorizer, _event(token))
    elapsed = time.monotonic() - started
    logged = decisions(capsys.readouterr().out)
    attempts, faulted = dynamo.proxy.take_counts()
    assert outcome == "deny"
    assert response is not None
    assert response["principalId"] == SUB
    assert response["policyDocument"]["Statement"] == [
        {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": support.API_ARN + "/*"}
    ]
    assert [(d["decision"], d["reason"], d["level"]) for d in logged] == [
        ("deny", "revocation_store_unavailable", "WARNING")
    ]
    reads = attempts["GetItem"]
    assert reads == faulted["GetItem"] == sum(faulted.values())
    assert 1 <= reads <= _app.REVOCATION_MAX_ATTEMPTS, f"{reads} attempts for one decision"
    assert attempts["BatchGetItem"] == 0, "no policy decision without a cleared revocation record"
    # Bounded: the revocation client's timeouts and attempts, with botocore's backoff between them.
    budget = _app.REVOCATION_MAX_ATTEMPTS * (
        _app.REVOCATION_CONNECT_TIMEOUT_SECONDS + _app.REVOCATION_READ_TIMEOUT_SECONDS + 1
    )
    assert elapsed < budget, f"{elapsed:.1f} s for one decision (budget {budget} s)"

    dynamo.proxy.clear()
    # Same container, same token: decided afresh (the failure was not cached): one read of the
    # record, and a second attempt only when the first outlived the 1 s read timeout (seen once in a
    # make test run with every stream busy: the proxy and moto share this worker's interpreter).
    assert decide(authorizer, _event(token))[0] == "allow"
    first, _ = dynamo.proxy.take_counts()
    assert 1 <= first["GetItem"] <= _app.REVOCATION_MAX_ATTEMPTS, first
    assert [decide(authorizer, _event(tokens.token(sub=SUB)))[0] for _ in range(3)] == ["allow"] * 3
    after, _ = dynamo.proxy.take_counts()
    assert after["GetItem"] == 0, "after recovery the record is read once, then cached"
    figures.record(
        "fault",
        f"revocation table {fault.replace('_', ' ')}",
        decisions=5,
        wrong_allows=0,
        attempts_during_fault=reads,
        outcome="403 Deny for the stage (verified, revocation record unreadable)",
        log_reason="revocation_store_unavailable",
        recovery="next request, same container (failure not cached)",
    )


@pytest.mark.parametrize("fault", ["throttled", "table_missing"])
def test_a_cached_record_keeps_deciding_during_a_fault_until_its_interval_ends(  # noqa: PLR0917 - pytest fixtures
    fault: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    authorizer: ModuleType,
    tokens: support.TokenFactory,
    dynamo: Dynamo,
) -> None:
    """Correct, not merely closed, while the record read before the fault is fresh; then closed
    (never an Allow from a record older than REVOCATION_CHECK_SECONDS); then recovered."""
    with support.fake_monotonic(monkeypatch) as clock:
        assert decide(authorizer, _event(tokens.token(sub=SUB)))[0] == "allow"
        dynamo.proxy.take_counts()
        dynamo.proxy.inject(fault, table=dynamo.revocation_table)
        riding = [decide(authorizer, _event(tokens.token(sub=SUB)))[0] for _ in range(4)]
        assert riding == ["allow"] * 4
        assert sum(dynamo.proxy.take_counts()[0].values()) == 0
        clock[0] += CHECK_SECONDS
        capsys.readouterr()
        closed = [decide(authorizer, _event(tokens.token(sub=SUB)))[0] for _ in range(2)]
        reasons = [d["reason"] for d in decisions(capsys.readouterr().out)]
        assert closed == ["deny"] * 2
        assert reasons == ["revocation_store_unavailable"] * 2
        dynamo.proxy.clear()
        assert decide(authorizer, _event(tokens.token(sub=SUB)))[0] == "allow"
    figures.record(
        "fault",
        f"revocation table {fault.replace('_', ' ')}, record cached",
        decisions=8,
        wrong_allows=0,
        outcome="cached record keeps deciding (Allow) for REVOCATION_CHECK_SECONDS; then 403 (fail closed)",
        log_reason="revocation_store_unavailable",
        recovery="next request, same container",
    )


def test_a_transient_throttle_of_the_revocation_table_is_absorbed_by_one_retry(
    authorizer: ModuleType, tokens: support.TokenFactory, dynamo: Dynamo
) -> None:
    dynamo.proxy.inject("throttled", table=dynamo.revocation_table, times=1)
    assert decide(authorizer, _event(tokens.token()))[0] == "allow"
    attempts, faulted = dynamo.proxy.take_counts()
    assert (attempts["GetItem"], faulted["GetItem"]) == (2, 1)
    figures.record(
        "fault",
        "revocation table throttled once",
        decisions=1,
        wrong_allows=0,
        attempts_during_fault=2,
        outcome="Allow after one SDK retry",
    )

"""Reliability through the local gateway: load, an emulator restart, concurrent writers, and
cross-user isolation in every mode (tests/reliability/ has the machinery; figures go to
docs/reliability.md through `make reliability`).

Every decision is checked against `tests.reliability.oracle.expected` (today the static access
matrix; the access contract when it lands).
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import pytest

from local.apigateway.logs import access_log
from local.client import Session
from tests.e2e import local_support
from tests.e2e.support import Sessions, claims_of, identity_id
from tests.reliability import figures, oracle
from tests.reliability.budgets import load_budget, writers
from tests.reliability.faults import ResettingPort
from tests.reliability.integrity import concurrent_writers
from tests.reliability.load import cells, count_table_reads, run_load, signed_in

pytestmark = pytest.mark.reliability
ACCESS_LOG = access_log.name  # the gateway's JSON access log (one line per request)


@pytest.mark.local_only
def test_load_every_user_route_and_mode_answers_as_the_oracle_says(
    stack: dict[str, Any], running: Any
) -> None:
    budget = load_budget()
    with count_table_reads(stack["tables"]["policies"]) as reads:
        report = run_load(stack, budget)
    report.policy_table_reads = sum(reads.values())
    assert report.client_errors == []
    assert report.wrong == []
    assert report.wrong_allows == 0
    assert report.server_errors == 0
    assert report.requests >= report.cells, "the run must cover every user x route at least once"
    assert set(report.modes) == {"iam", "user_pool", "lambda"}
    figures.record("load", "all users x routes x modes through the local gateway", **report.figures())


DURING_OUTAGE = {("cip-users", "cip-post"), ("admin", "cup-get"), ("pet-veterinarian", "pets-v1")}


@pytest.mark.local_only
def test_emulator_restart_under_a_running_gateway_fails_closed_then_recovers(
    stack: dict[str, Any], running: Any, caplog: pytest.LogCaptureFixture
) -> None:
    all_cells = cells(stack)
    sessions = signed_in(stack, all_cells)
    # While the emulator is down each request costs the gateway its SDK retries and back-off: a few
    # requests per mode are enough to show the answer; the full matrix is checked afterwards.
    sample = [c for c in all_cells if (c.user, c.route.name) in DURING_OUTAGE]
    assert len(sample) == len(DURING_OUTAGE)
    emulator = running.emulator
    caplog.set_level(logging.INFO, logger=ACCESS_LOG)
    emulator.pause()
    try:
        with ResettingPort(emulator.host, emulator.port) as port:
            during = [(c, c.send(stack, sessions[c.user]).status_code) for c in sample]
            attempts = port.connections
    finally:
        emulator.resume()
    access = [json.loads(r.getMessage()) for r in caplog.records if r.name == ACCESS_LOG]
    assert [status for _, status in during] == [503] * len(sample), (
        "no answer but 503 while the emulator is down"
    )
    assert len(access) >= len(sample)
    assert all(line["status"] == 503 and line["error"] for line in access[-len(sample) :])
    assert len(sample) <= attempts <= 3 * len(sample), (
        f"{attempts} connection attempts for {len(sample)} requests"
    )

    after = [(c, c.send(stack, sessions[c.user]).status_code) for c in all_cells]
    wrong = [
        f"{c.user} {c.route.name}: {s} (expected {c.expected})"
        for c, s in after
        if not oracle.matches(c.expected, s)
    ]
    assert wrong == [], "the same gateway must answer correctly once the emulator is back"
    figures.record(
        "fault",
        "emulator restarted under a running gateway",
        requests=len(during) + len(after),
        wrong_2xx=0,
        attempts_during_fault=attempts,
        outcome="503 for every request while down (never a 2xx); every user x route right after the restart",
        log_error="access log: status 503 with the connection error",
        recovery="first request after the restart, same gateway and workers",
    )


@pytest.mark.parametrize(
    ("user", "path"), [("cip-users", "/cip"), ("admin", "/cup")], ids=["iam", "user_pool"]
)
def test_concurrent_writers_on_one_record_lose_nothing(sessions: Sessions, user: str, path: str) -> None:
    session = sessions.in_groups(user)
    count, rounds = writers()
    report = concurrent_writers(session, path, count, rounds)
    assert report.problems() == []
    assert sum(len(n) for n in report.acks.values()) >= rounds
    figures.record("integrity", f"concurrent writers on one record ({path})", **report.figures())


# --- cross-user isolation --------------------------------------------------------------------

SPOOF_HEADERS = ("X-Amz-Cognito-Identity-Id", "X-Forwarded-User", "X-Amzn-Oidc-Identity", "X-User-Sub")


def _marker() -> str:
    return f"m{uuid.uuid4().hex[:12]}"


def _isolation(pairs: list[tuple[Session, Session, dict[str, str]]], path: str) -> dict[str, int]:
    """Each intruder names its victim in the body (400, nothing written) and in headers (its own
    record, not the victim's); every caller then reads back only what it wrote itself."""
    refused = spoofed = 0
    owners = {id(s): s for pair in pairs for s in pair[:2]}
    mine = {}
    for key, session in owners.items():
        mine[key] = _marker()
        body = {"name": mine[key], "surname": "Owner", "email": "owner@example.com"}
        assert session.request("POST", path, body).status_code == 200
    for intruder, _victim, victim_keys in pairs:
        response = intruder.request(
            "POST", path, {"name": "Intruder", "surname": "X", "email": "i@example.com", **victim_keys}
        )
        assert response.status_code == 400, response.text
        refused += 1
        own = _marker()
        headers = dict.fromkeys(SPOOF_HEADERS, next(iter(victim_keys.values())))
        response = intruder.request(
            "POST", path, {"name": own, "surname": "X", "email": "i@example.com"}, headers=headers
        )
        assert response.status_code == 200, response.text
        mine[id(intruder)] = own
        spoofed += 1
    for key, session in owners.items():
        assert session.request("GET", path).json()["profile"]["name"] == mine[key]
    return {
        "refused_body_attempts": refused,
        "header_spoofs_kept_to_own_record": spoofed,
        "callers": len(owners),
    }


def test_cross_user_writes_and_reads_are_refused_in_user_pool_mode(
    stack: dict[str, Any], sessions: Sessions
) -> None:
    users = [sessions.of(u) for u in stack["users"] if not u["external"]]
    pairs = []
    for intruder in users:
        for victim in users:
            if victim is not intruder:
                sub = claims_of(victim.tokens()["id"])["sub"]
                pairs.append((intruder, victim, {"sub": sub, "pk": f"sub#{sub}", "sk": "profile"}))
    result = _isolation(pairs, "/cup")
    figures.record(
        "integrity",
        "cross-user writes and reads, user_pool mode (/cup)",
        writes=len(pairs) * 2,
        lost_writes=0,
        **result,
    )


@pytest.mark.local_only
def test_cross_user_writes_and_reads_are_refused_in_iam_mode(
    stack: dict[str, Any], running: Any, sessions: Sessions
) -> None:
    google, external = sessions.in_groups("google-users"), sessions.external()
    cip = sessions.in_groups("cip-users")
    cip2 = Session(
        stack, local_support.create_pool_user(running, stack["user_pool_id"], groups=("cip-users",))
    )

    def keys(session: Session) -> dict[str, str]:
        victim = identity_id(session)
        return {"cognitoIdentityId": victim, "pk": f"identity#{victim}", "identityId": victim}

    result = _isolation([(google, external, keys(external)), (external, google, keys(google))], "/google")
    more = _isolation([(cip, cip2, keys(cip2)), (cip2, cip, keys(cip))], "/cip")
    figures.record(
        "integrity",
        "cross-user writes and reads, iam mode (/google, /cip)",
        writes=8,
        lost_writes=0,
        refused_body_attempts=result["refused_body_attempts"] + more["refused_body_attempts"],
        header_spoofs_kept_to_own_record=result["header_spoofs_kept_to_own_record"]
        + more["header_spoofs_kept_to_own_record"],
    )


@pytest.mark.local_only
def test_cross_user_writes_are_refused_in_lambda_mode(
    stack: dict[str, Any], running: Any, sessions: Sessions
) -> None:
    """Pets are shared by design; what must hold is that `created_by` is always the caller."""
    vet, multi = sessions.in_groups("pet-veterinarian"), sessions.in_groups("cip-users", "pet-veterinarian")
    refused = 0
    for intruder, victim in ((vet, multi), (multi, vet)):
        victim_sub = claims_of(victim.tokens()["access"])["sub"]
        for field in ("created_by", "sub", "pk"):
            response = intruder.request(
                "POST", "/petstore/v1/pets", {"type": "dog", "price": 1, field: f"sub#{victim_sub}"}
            )
            assert response.status_code == 400, response.text
            refused += 1
        response = intruder.request(
            "POST",
            "/petstore/v1/pets",
            {"type": "cat", "price": 2},
            headers=dict.fromkeys(SPOOF_HEADERS, victim_sub),
        )
        assert response.status_code == 200, response.text
        item = local_support.record(running, stack, "pets", response.json()["pet"]["id"])
        assert item is not None
        assert item["created_by"] == {"S": f"sub#{claims_of(intruder.tokens()['access'])['sub']}"}
    figures.record(
        "integrity",
        "cross-user writes, lambda mode (pets created_by)",
        writes=refused + 2,
        lost_writes=0,
        refused_body_attempts=refused,
    )

"""Revoked tokens through the authorizer's handler (`app.handler`, moto for both tables).

A token is checked against its user's revocation record after verification and before the policy
decision, and a decision answered from the verified-token cache is never older than
REVOCATION_CHECK_SECONDS (10 s in support.authorizer_env). time.monotonic (the stores' clock) is
faked, so "11 s later" needs no waiting; `iat` is wall-clock seconds as Cognito writes it.
"""

from __future__ import annotations

import time
from types import ModuleType
from typing import Any

import pytest

from tests.functional.functions import support
from tests.reliability.calls import decide, decisions

ROUTE = support.method_arn("GET", "/petstore/v1/pets")
CHECK_SECONDS = 10  # REVOCATION_CHECK_SECONDS in support.authorizer_env
SUB = "a17c9e52-3b0d-4f6e-8d21-9c4b5e6f7a80"


def _decide(app: ModuleType, token: str) -> str:
    return decide(app, support.token_event(f"Bearer {token}", ROUTE))[0]


def test_a_token_issued_before_a_global_revocation_is_refused_with_its_reason_logged(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    authorizer_app: ModuleType,
    tokens: support.TokenFactory,
    ddb: Any,
) -> None:
    now = int(time.time())
    old = tokens.token(sub=SUB, iat=now - 60, origin_jti="family-1")
    with support.fake_monotonic(monkeypatch) as clock:
        assert _decide(authorizer_app, old) == "allow"
        support.revoke(ddb, SUB, before=now - 30.5)  # e.g. AdminUserGlobalSignOut, 30 s ago
        # The record was read and cached as clean for CHECK_SECONDS: the cached answer stands...
        clock[0] += CHECK_SECONDS - 1
        assert _decide(authorizer_app, old) == "allow"
        capsys.readouterr()
        clock[0] += 1  # ...and not a moment longer
        assert _decide(authorizer_app, old) == "unauthorized"
        logged = decisions(capsys.readouterr().out)
        # A token issued after the revocation (a new sign-in) is accepted.
        assert _decide(authorizer_app, tokens.token(sub=SUB, iat=now - 30, origin_jti="family-2")) == "allow"
    assert [(d["decision"], d["reason"], d["sub"], d["level"]) for d in logged] == [
        ("unauthorized", "token_revoked", SUB, "INFO")
    ]
    assert old not in capsys.readouterr().out


def test_revoking_one_refresh_token_family_refuses_its_tokens_only(
    monkeypatch: pytest.MonkeyPatch, authorizer_app: ModuleType, tokens: support.TokenFactory, ddb: Any
) -> None:
    """RevokeToken (the product's sign-out of one session): every access token minted from that
    refresh token carries its origin_jti; the user's other sessions keep working."""
    signed_out = [tokens.token(sub=SUB, origin_jti="session-a") for _ in range(2)]
    other_session = tokens.token(sub=SUB, origin_jti="session-b")
    support.revoke(ddb, SUB, families={"session-a": time.time() + 3600})
    with support.fake_monotonic(monkeypatch):
        assert [_decide(authorizer_app, t) for t in signed_out] == ["unauthorized"] * 2
        assert _decide(authorizer_app, other_session) == "allow"
        no_family = tokens.token(sub=SUB, origin_jti=support.REMOVE)  # token revocation off: no claim
        assert _decide(authorizer_app, no_family) == "allow"


def test_a_cached_decision_dies_with_the_revocation_record_it_was_checked_against(
    monkeypatch: pytest.MonkeyPatch, authorizer_app: ModuleType, tokens: support.TokenFactory, ddb: Any
) -> None:
    """The verified-token cache answers a repeated token without verifying it again, but only while
    the user's revocation record it was checked against is fresh."""
    token = tokens.token(sub=SUB, iat=int(time.time()) - 5)
    with support.fake_monotonic(monkeypatch) as clock:
        assert _decide(authorizer_app, token) == "allow"
        container = authorizer_app.get_authorizer()
        support.revoke(ddb, SUB, before=time.time())
        for _ in range(3):
            assert _decide(authorizer_app, token) == "allow"  # token-cache hits, record still fresh
        assert container.revocations.reads == 1
        clock[0] += CHECK_SECONDS
        assert _decide(authorizer_app, token) == "unauthorized"
        assert container.revocations.reads == 2
        assert len(container.tokens) == 0  # the stale entry is dropped; a revoked token is never stored
        for _ in range(5):  # a replayed revoked token: refused from the cached record
            assert _decide(authorizer_app, token) == "unauthorized"
        assert container.revocations.reads == 2


def test_check_interval_zero_sees_a_revocation_at_the_next_request(
    monkeypatch: pytest.MonkeyPatch, authorizer_app: ModuleType, tokens: support.TokenFactory, ddb: Any
) -> None:
    monkeypatch.setenv("REVOCATION_CHECK_SECONDS", "0")
    authorizer_app.reset()
    token = tokens.token(sub=SUB, iat=int(time.time()) - 5)
    assert _decide(authorizer_app, token) == "allow"
    assert _decide(authorizer_app, token) == "allow"
    support.revoke(ddb, SUB, before=time.time())
    assert _decide(authorizer_app, token) == "unauthorized"
    assert authorizer_app.get_authorizer().revocations.reads == 3


def test_a_machine_token_is_revoked_by_its_sub(
    monkeypatch: pytest.MonkeyPatch, authorizer_app: ModuleType, tokens: support.TokenFactory, ddb: Any
) -> None:
    """Client-credentials tokens have no username, no groups and no refresh token: the check is keyed
    by `sub` (the client id), so a record for the client revokes its tokens issued before it."""
    for name, value in support.machine_env().items():
        monkeypatch.setenv(name, value)
    support.put_client_policies(ddb)
    authorizer_app.reset()
    client = support.REPORTER_CLIENT_ID
    token = tokens.machine_token(client, iat=int(time.time()) - 5)
    event = support.token_event(f"Bearer {token}", support.method_arn("GET", "/petstore/v2/pets"))
    assert decide(authorizer_app, event)[0] == "allow"  # the reporter's own template allows it
    support.revoke(ddb, client, before=time.time() - 2)  # e.g. the client's secret leaked 2 s ago
    authorizer_app.reset()
    assert decide(authorizer_app, event)[0] == "unauthorized"
    fresh = tokens.machine_token(client)  # issued after the revocation: decided as usual
    assert decide(authorizer_app, support.token_event(f"Bearer {fresh}", event["methodArn"]))[0] == "allow"


def test_a_malformed_record_refuses_every_token_of_its_user(
    authorizer_app: ModuleType, tokens: support.TokenFactory, ddb: Any
) -> None:
    ddb.put_item(
        TableName=support.REVOCATION_TABLE,
        Item={"sub": {"S": SUB}, "revoked_before": {"S": "not a number"}},
    )
    assert _decide(authorizer_app, tokens.token(sub=SUB)) == "unauthorized"
    assert _decide(authorizer_app, tokens.token()) == "allow"  # other users are unaffected

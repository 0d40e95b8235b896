"""iam mode's emergency lever (tools/revoke_sessions.py), decided by the project's IAM evaluator
(tools/iam_policy.py, which the local gateway uses for iam routes): a group role's credentials
issued before the revocation are denied, those issued after are decided by the group's policy."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tools import config, iam_policy, render, revoke_sessions

DEV = config.load("dev")
CIP_GET = iam_policy.method_arn(
    region=DEV.region,
    account_id=DEV.account_id,
    api_id=render.VALIDATION_API_ID,
    stage=DEV.stage_name,
    http_method="GET",
    path="/cip",
)


def _decide(revoked_at: datetime | None, issued_at: datetime) -> iam_policy.Effect:
    cfg = DEV
    policies: list[Any] = [render.render_group(cfg, "cip-users")]
    if revoked_at is not None:
        policies.append(revoke_sessions.revocation_policy(revoked_at))
    context = {"aws:TokenIssueTime": issued_at.strftime("%Y-%m-%dT%H:%M:%SZ")}
    return iam_policy.evaluate(policies, "execute-api:Invoke", CIP_GET, context).effect


def test_sessions_issued_before_the_revocation_are_denied_and_later_ones_are_not() -> None:
    revoked_at = datetime(2026, 11, 21, 21, 0, 0, tzinfo=UTC)
    assert _decide(None, revoked_at - timedelta(minutes=30)) is iam_policy.Effect.ALLOW
    assert _decide(revoked_at, revoked_at - timedelta(seconds=1)) is iam_policy.Effect.EXPLICIT_DENY
    assert _decide(revoked_at, revoked_at - timedelta(minutes=59)) is iam_policy.Effect.EXPLICIT_DENY
    assert _decide(revoked_at, revoked_at) is iam_policy.Effect.ALLOW  # a sign-in after the revocation
    assert _decide(revoked_at, revoked_at + timedelta(minutes=5)) is iam_policy.Effect.ALLOW


def test_the_policy_is_iams_revoke_older_sessions_and_the_instant_is_rounded_up() -> None:
    instant = revoke_sessions.revocation_instant(datetime(2026, 11, 21, 21, 0, 0, 250000, UTC).timestamp())
    assert instant == datetime(2026, 11, 21, 21, 0, 1, tzinfo=UTC)
    policy = revoke_sessions.revocation_policy(instant)
    (statement,) = policy["Statement"]
    assert (statement["Effect"], statement["Action"], statement["Resource"]) == ("Deny", ["*"], ["*"])
    assert statement["Condition"] == {"DateLessThan": {"aws:TokenIssueTime": "2026-11-21T21:00:01Z"}}
    assert iam_policy.validate(policy) == []


@pytest.mark.parametrize("env", config.ENVIRONMENTS)
def test_the_role_is_the_groups_role_as_the_identity_pool_module_names_it(env: str) -> None:
    cfg = config.load(env)
    assert revoke_sessions.role_name(cfg, "cip-users") == f"{cfg.name_prefix}-group-cip-users"
    with pytest.raises(ValueError, match="'nobody' is not a group of the access model"):
        revoke_sessions.role_name(cfg, "nobody")


class _FakeIam:
    class exceptions:
        class NoSuchEntityException(Exception):
            pass

    def __init__(self) -> None:
        self.policies: dict[tuple[str, str], str] = {}

    def put_role_policy(self, RoleName: str, PolicyName: str, PolicyDocument: str) -> None:
        self.policies[(RoleName, PolicyName)] = PolicyDocument

    def delete_role_policy(self, RoleName: str, PolicyName: str) -> None:
        if self.policies.pop((RoleName, PolicyName), None) is None:
            raise self.exceptions.NoSuchEntityException


def test_revoke_then_undo() -> None:
    iam = _FakeIam()
    at = datetime(2026, 1, 1, tzinfo=UTC)
    revoke_sessions.revoke(iam, "fga-dev-group-admin", at)
    assert json.loads(iam.policies[("fga-dev-group-admin", "AWSRevokeOlderSessions")]) == (
        revoke_sessions.revocation_policy(at)
    )
    assert revoke_sessions.undo(iam, "fga-dev-group-admin") is True
    assert revoke_sessions.undo(iam, "fga-dev-group-admin") is False
    assert iam.policies == {}

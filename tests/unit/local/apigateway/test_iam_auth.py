"""`requestContext.identity` and the condition keys of identity-pool callers (guest vs signed in)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from local.apigateway.iam_auth import condition_context, identity_fields
from tools import iam_policy

PROVIDER = "cognito-idp.us-east-1.amazonaws.com/us-east-1_A"
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
ARN = "arn:aws:execute-api:us-east-1:123456789012:api/local/GET/cip"


@dataclass(frozen=True)
class Creds:
    access_key_id: str = "ASIAEXAMPLEKEY000001"
    secret_key: str = "secret"
    session_token: str | None = "token"
    expiration: datetime = NOW + timedelta(hours=1)
    account_id: str = "123456789012"
    region: str = "us-east-1"
    identity_pool_id: str | None = "us-east-1:pool"
    identity_id: str | None = "us-east-1:identity"
    role_arn: str = "arn:aws:iam::123456789012:role/cip-users"
    provider: str | None = PROVIDER
    authentication_provider: str | None = f"{PROVIDER},{PROVIDER}:CognitoSignIn:sub-1"
    authentication_type: str = "authenticated"
    issued_at: datetime | None = NOW - timedelta(minutes=5)  # aws:TokenIssueTime


SIGNED_IN = Creds()
GUEST = replace(SIGNED_IN, provider="", authentication_provider="", authentication_type="unauthenticated")
# A policy that only signed-in identities satisfy (the amr condition identity-pool docs show).
AUTHENTICATED_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "execute-api:Invoke",
            "Resource": "*",
            "Condition": {"ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"}},
        }
    ],
}


def test_signed_in_identity_fields_and_amr() -> None:
    fields = identity_fields(SIGNED_IN, "AROAEXAMPLE")
    assert fields["cognitoAuthenticationType"] == "authenticated"
    assert fields["cognitoAuthenticationProvider"] == SIGNED_IN.authentication_provider
    keys = condition_context(SIGNED_IN, "AROAEXAMPLE", "10.0.0.1", NOW)
    assert keys["cognito-identity.amazonaws.com:amr"] == [
        "authenticated",
        PROVIDER,
        f"{PROVIDER}:CognitoSignIn:sub-1",
    ]
    assert iam_policy.evaluate([AUTHENTICATED_ONLY], "execute-api:Invoke", ARN, keys).allowed


def test_the_credentials_issue_time_is_aws_token_issue_time() -> None:
    """What IAM's "revoke active sessions" (make revoke-sessions) compares: credentials issued before
    the instant are denied, later ones are not."""
    keys = condition_context(SIGNED_IN, "AROAEXAMPLE", "10.0.0.1", NOW)
    assert SIGNED_IN.issued_at is not None
    assert keys["aws:TokenIssueTime"] == SIGNED_IN.issued_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    revoke = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"DateLessThan": {"aws:TokenIssueTime": NOW.strftime("%Y-%m-%dT%H:%M:%SZ")}},
            }
        ],
    }
    older = iam_policy.evaluate([AUTHENTICATED_ONLY, revoke], "execute-api:Invoke", ARN, keys)
    assert older.effect is iam_policy.Effect.EXPLICIT_DENY
    newer = condition_context(replace(SIGNED_IN, issued_at=NOW), "AROAEXAMPLE", "10.0.0.1", NOW)
    assert iam_policy.evaluate([AUTHENTICATED_ONLY, revoke], "execute-api:Invoke", ARN, newer).allowed


def test_guest_credentials_are_never_reported_or_evaluated_as_authenticated() -> None:
    fields = identity_fields(GUEST, "AROAEXAMPLE")
    assert fields["cognitoAuthenticationType"] == "unauthenticated"
    assert fields["cognitoAuthenticationProvider"] is None
    keys = condition_context(GUEST, "AROAEXAMPLE", "10.0.0.1", NOW)
    assert keys["cognito-identity.amazonaws.com:amr"] == ["unauthenticated"]
    decision = iam_policy.evaluate([AUTHENTICATED_ONLY], "execute-api:Invoke", ARN, keys)
    assert decision.effect is iam_policy.Effect.IMPLICIT_DENY

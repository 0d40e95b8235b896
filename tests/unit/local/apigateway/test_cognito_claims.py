"""How user-pool claims reach the backend in REST v1 events: every value a string."""

from __future__ import annotations

from local.apigateway.cognito import pool_id_from_arn, stringify_claims


def test_claims_are_stringified_like_rest_apis_do() -> None:
    claims = stringify_claims(
        {
            "sub": "abc",
            "cognito:groups": ["admin", "pet-veterinarian"],
            "email_verified": True,
            "auth_time": 1712666096,
            "exp": 1712669696,
            "iat": 1712666096,
            "custom:tier": 3,
            "address": {"locality": "Paris"},
        }
    )
    assert claims == {
        "sub": "abc",
        "cognito:groups": "admin,pet-veterinarian",
        "email_verified": "true",
        "auth_time": "1712666096",
        "exp": "Tue Apr 09 13:34:56 UTC 2024",
        "iat": "Tue Apr 09 12:34:56 UTC 2024",
        "custom:tier": "3",
        "address": '{"locality":"Paris"}',
    }


def test_pool_id_from_provider_arn() -> None:
    assert pool_id_from_arn("arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbC") == (
        "eu-west-1",
        "eu-west-1_AbC",
    )
    assert pool_id_from_arn("arn:aws:iam::123456789012:role/x") is None

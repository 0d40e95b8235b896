"""Backend building blocks without DynamoDB: caller identity, body parsing, validation, CORS."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from backend_core import http, pet_records, profile_records
from backend_core.identity import Caller, caller_from_event

IDENTITY = "us-east-1:3c2f8e1a-5b4d-4c6e-9f70-1a2b3c4d5e6f"
SUB = "9b2e7c1d-4f3a-4e5b-8c6d-7e8f9a0b1c2d"


def _event(
    identity: dict[str, Any] | None = None, authorizer: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {"requestContext": {"identity": identity or {}, "authorizer": authorizer}}


def test_iam_caller() -> None:
    caller = caller_from_event(
        _event({"cognitoIdentityId": IDENTITY, "cognitoAuthenticationProvider": "accounts.google.com,x:y"})
    )
    assert (caller.mode, caller.pk, caller.provider) == ("iam", f"identity#{IDENTITY}", "accounts.google.com")


def test_user_pool_caller_keeps_string_claims() -> None:
    caller = caller_from_event(
        _event(authorizer={"claims": {"sub": SUB, "email": "a@b.co", "iss": "https://x/p"}})
    )
    assert (caller.mode, caller.pk, caller.provider) == ("user_pool", f"sub#{SUB}", "x/p")
    assert caller.claims["email"] == "a@b.co"


@pytest.mark.parametrize("authorizer", [{"sub": SUB}, {"principalId": SUB}, {"sub": SUB, "principalId": SUB}])
def test_lambda_caller(authorizer: dict[str, Any]) -> None:
    caller = caller_from_event(_event(authorizer=authorizer))
    assert (caller.mode, caller.pk) == ("lambda", f"sub#{SUB}")


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"requestContext": None},
        _event(),
        _event({"cognitoIdentityId": ""}),
        _event({"cognitoIdentityId": "a#b"}),
        _event(authorizer={"claims": {"email": "no-sub@example.com"}}),
        _event(authorizer={"sub": SUB, "principalId": "someone-else"}),
        _event({"cognitoIdentityId": IDENTITY}, {"claims": {"sub": SUB}}),
        _event({"cognitoIdentityId": IDENTITY}, {"sub": SUB}),
    ],
)
def test_no_or_ambiguous_identity_is_403(event: dict[str, Any]) -> None:
    with pytest.raises(http.ApiError) as info:
        caller_from_event(event)
    assert info.value.status == 403


def test_json_body_decodes_base64_and_limits_size() -> None:
    payload = {"a": 1}
    encoded = base64.b64encode(json.dumps(payload).encode()).decode()
    assert http.json_body({"body": encoded, "isBase64Encoded": True}) == payload
    with pytest.raises(http.ApiError, match="larger than"):
        http.json_body({"body": json.dumps({"x": "y" * 100})}, max_bytes=50)


CALLER = Caller("iam", IDENTITY, "p")
POOL_CALLER = Caller(
    "user_pool",
    SUB,
    "p",
    {"given_name": "G", "family_name": "H", "email": "g@h.io", "email_verified": "true"},
)


def test_profile_validation_collects_every_problem() -> None:
    with pytest.raises(http.ApiError) as info:
        profile_records.validate({"name": 1, "email": "x"}, CALLER)
    assert info.value.status == 400
    for part in ("name must be a string", "surname is required", "email is not an email address"):
        assert part in info.value.message


def test_profile_validation_strips_and_fills_from_claims() -> None:
    data = profile_records.validate({"name": "  Ada "}, POOL_CALLER)
    assert (data.name, data.surname, data.email, data.expected_version) == ("Ada", "H", "g@h.io", None)
    assert (
        profile_records.validate(
            {"name": "a", "surname": "b", "email": "c@d.ef", "version": 2}, CALLER
        ).expected_version
        == 2
    )


@pytest.mark.parametrize("flag", [None, "false", "False", "", "1", "yes"])
def test_an_unverified_token_email_is_never_taken_as_the_callers(flag: str | None) -> None:
    claims = {"given_name": "G", "family_name": "H", "email": "victim@example.com"}
    if flag is not None:
        claims["email_verified"] = flag
    caller = Caller("user_pool", SUB, "p", claims)
    assert caller.verified_email is None
    with pytest.raises(http.ApiError) as info:
        profile_records.validate({"name": "Ada"}, caller)
    assert info.value.status == 400
    assert "not verified" in info.value.message
    # What the caller states about themselves in the body is theirs to state.
    assert profile_records.validate({"email": "me@example.com"}, caller).email == "me@example.com"


def test_a_verified_token_email_is_used() -> None:
    caller = Caller("user_pool", SUB, "p", {"email": "a@b.co", "email_verified": "TRUE"})
    assert caller.verified_email == "a@b.co"


def test_pet_validation() -> None:
    pet = pet_records.validate({"type": " Dog ", "price": 249.999})
    assert (pet.type, str(pet.price)) == ("dog", "250.00")
    with pytest.raises(http.ApiError):
        pet_records.validate({"type": "dog", "price": float("nan")})


def test_cors(monkeypatch: pytest.MonkeyPatch) -> None:
    event = {"headers": {"origin": "https://a.example"}}
    monkeypatch.delenv("CORS_ALLOW_ORIGIN", raising=False)
    assert http.cors_headers(event) == {}
    monkeypatch.setenv("CORS_ALLOW_ORIGIN", "https://b.example, https://a.example")
    assert http.cors_headers(event)["Access-Control-Allow-Origin"] == "https://a.example"
    monkeypatch.setenv("CORS_ALLOW_ORIGIN", "https://b.example")
    assert "Access-Control-Allow-Origin" not in http.cors_headers(event)
    monkeypatch.setenv("CORS_ALLOW_ORIGIN", "*")
    assert http.cors_headers(event)["Access-Control-Allow-Origin"] == "*"


def test_unexpected_error_becomes_a_plain_500(capsys: pytest.CaptureFixture[str]) -> None:
    def broken(event: http.Event) -> tuple[int, object]:
        raise KeyError("secret-detail")

    response = http.run("t", {"httpMethod": "GET"}, None, broken)
    assert response["statusCode"] == 500
    assert json.loads(response["body"]) == {"message": "Internal server error"}
    assert "secret-detail" not in capsys.readouterr().out

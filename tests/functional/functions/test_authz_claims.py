"""Each claim and header check of the authorizer, alone (issue 22, point 11): a token valid in every
other respect, with exactly one thing wrong, in access mode and in ID mode (TOKEN_USE=id), must be
refused for exactly that thing's reason (the decision log's `reason`).

Why: a check loosened to let `token_use: "id"` through in access mode failed no test, because the
attack token for it also lacked `client_id` and was refused for that instead. Here the control
case (nothing wrong) is allowed, so every refusal below is caused by the one change it makes.
"""

from __future__ import annotations

import json
import time
from types import ModuleType
from typing import Any

import jwt
import pytest

from tests.functional.functions import support
from tests.functional.functions.support import REMOVE
from tests.functional.functions.test_authorizer import decide_token

NOW = int(time.time())
HOUR = 3600
OTHER_ISSUER = f"https://cognito-idp.{support.REGION}.amazonaws.com/{support.REGION}_Other"

# name -> (claims to change, header fields to change, the reason it must be refused for). Claims are
# the same in both modes except where a mode has its own (the client: client_id or aud).
COMMON: dict[str, tuple[dict[str, Any], dict[str, Any], str]] = {
    "iss-other-pool": ({"iss": OTHER_ISSUER}, {}, "wrong_issuer"),
    "iss-prefix-of-ours": ({"iss": support.ISSUER[:-1]}, {}, "wrong_issuer"),
    "iss-missing": ({"iss": REMOVE}, {}, "missing_claim_iss"),
    "token_use-missing": ({"token_use": REMOVE}, {}, "missing_claim_token_use"),
    "token_use-refresh": ({"token_use": "refresh"}, {}, "wrong_token_use"),
    "exp-past": ({"exp": NOW - HOUR}, {}, "token_expired"),
    "exp-missing": ({"exp": REMOVE}, {}, "missing_claim_exp"),
    "exp-not-a-number": ({"exp": "soon"}, {}, "bad_claim_exp"),
    "nbf-future": ({"nbf": NOW + HOUR}, {}, "token_not_yet_valid"),
    "iat-future": ({"iat": NOW + HOUR}, {}, "token_not_yet_valid"),
    "iat-missing": ({"iat": REMOVE}, {}, "missing_claim_iat"),
    "sub-missing": ({"sub": REMOVE}, {}, "missing_claim_sub"),
    "sub-blank": ({"sub": "  "}, {}, "missing_claim_sub"),
    "sub-not-a-string": ({"sub": 42}, {}, "bad_claim_sub"),
    "jti-not-a-string": ({"jti": 7}, {}, "bad_claim_jti"),
    "kid-unknown": ({}, {"kid": "not-published"}, "unknown_kid"),
    "kid-missing": ({}, {"kid": REMOVE}, "missing_kid"),
}
ACCESS: dict[str, tuple[dict[str, Any], dict[str, Any], str]] = {
    # The survivor: an access-shaped token (valid client_id) that says it is an ID token.
    "token_use-id": ({"token_use": "id"}, {}, "wrong_token_use"),
    "client_id-other": ({"client_id": "not-our-client"}, {}, "client_not_allowed"),
    "client_id-missing": ({"client_id": REMOVE}, {}, "client_not_allowed"),
    "client_id-list": ({"client_id": [support.CLIENT_ID]}, {}, "client_not_allowed"),
}
ID: dict[str, tuple[dict[str, Any], dict[str, Any], str]] = {
    # An ID-shaped token (valid aud) that says it is an access token.
    "token_use-access": ({"token_use": "access"}, {}, "wrong_token_use"),
    "aud-other": ({"aud": "not-our-client"}, {}, "client_not_allowed"),
    "aud-missing": ({"aud": REMOVE}, {}, "missing_claim_aud"),
    "aud-list-without-ours": ({"aud": ["someone", "else"]}, {}, "client_not_allowed"),
}
CASES = [
    pytest.param(mode, *case, id=f"{mode}-{name}")
    for mode, own in (("access", ACCESS), ("id", ID))
    for name, case in {**COMMON, **own}.items()
]


def _signed(tokens: support.TokenFactory, mode: str, claims: dict[str, Any], header: dict[str, Any]) -> str:
    payload = {**tokens.claims(mode, iat=NOW - 60, exp=NOW + HOUR), **claims}
    payload = {k: v for k, v in payload.items() if v is not REMOVE}
    head = {"kid": tokens.key.kid, **header}
    head = {k: v for k, v in head.items() if v is not REMOVE}
    return jwt.encode(payload, tokens.key.private, algorithm="RS256", headers=head)


def _decide(app: ModuleType, token: str, capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    capsys.readouterr()
    outcome = decide_token(app, f"Bearer {token}")[0]
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    (decision,) = [line for line in lines if line.get("message") == "authorizer decision"]
    return outcome, decision["reason"]


@pytest.fixture
def in_mode(monkeypatch: pytest.MonkeyPatch, authorizer_app: ModuleType) -> Any:
    def use(mode: str) -> ModuleType:
        monkeypatch.setenv("TOKEN_USE", mode)
        authorizer_app.reset()
        return authorizer_app

    return use


@pytest.mark.parametrize("mode", ["access", "id"])
def test_the_control_token_of_each_mode_is_allowed(
    mode: str, in_mode: Any, tokens: support.TokenFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nothing wrong: allowed. Each case below differs from this token in one claim or header."""
    assert _decide(in_mode(mode), _signed(tokens, mode, {}, {}), capsys) == ("allow", "group_policy")


@pytest.mark.parametrize(("mode", "claims", "header", "reason"), CASES)
def test_one_wrong_claim_is_refused_for_its_own_reason(  # noqa: PLR0917 - parameters and fixtures
    mode: str,
    claims: dict[str, Any],
    header: dict[str, Any],
    reason: str,
    in_mode: Any,
    tokens: support.TokenFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _decide(in_mode(mode), _signed(tokens, mode, claims, header), capsys) == ("unauthorized", reason)


@pytest.mark.parametrize("mode", ["access", "id"])
@pytest.mark.parametrize(
    ("name", "algorithm"), [("rs512", "RS512"), ("ps256", "PS256")], ids=["alg-RS512", "alg-PS256"]
)
def test_a_token_signed_by_the_pools_key_with_another_algorithm_is_refused_for_it(  # noqa: PLR0917
    mode: str,
    name: str,
    algorithm: str,
    in_mode: Any,
    tokens: support.TokenFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    payload = tokens.claims(mode, iat=NOW - 60, exp=NOW + HOUR)
    token = jwt.encode(payload, tokens.key.private, algorithm=algorithm, headers={"kid": tokens.key.kid})
    assert _decide(in_mode(mode), token, capsys) == ("unauthorized", "algorithm_not_allowed"), name


@pytest.mark.parametrize("mode", ["access", "id"])
def test_a_signature_by_another_key_under_our_kid_is_refused_for_it(
    mode: str,
    in_mode: Any,
    tokens: support.TokenFactory,
    other_key: support.SigningKey,
    capsys: pytest.CaptureFixture[str],
) -> None:
    payload = tokens.claims(mode, iat=NOW - 60, exp=NOW + HOUR)
    token = jwt.encode(payload, other_key.private, algorithm="RS256", headers={"kid": tokens.key.kid})
    assert _decide(in_mode(mode), token, capsys) == ("unauthorized", "bad_signature")

"""Differential test: the authorizer's one-pass token check (authz/jws.py, authz/verify.py) against
PyJWT, on generated tokens, valid and mutated.

Two comparisons per token, both at one frozen instant (PyJWT's clock is pinned to the same NOW):
- `jws.decode(token, key, ...)` against `jwt.decode(token, key, algorithms=["RS256"], ...)` with the
  options the authorizer uses: same accept/reject, same claims;
- `TokenVerifier.verify(token)` against the verification the authorizer did before it had its own
  parser (`jwt.get_unverified_header`, the alg/kid rules, `PyJWKClient.get_signing_key`, the key
  type rule, `jwt.decode`), each with its own PyJWKClient on one loopback JWKS: same accept/reject,
  same identity.

The generated tokens (hypothesis) mix valid ones with mutations of signature, header, claims,
segments, padding and characters; the test counts them and requires at least 10,000, with enough
accepted and rejected ones that neither side is trivially compared (~20 s).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, tzinfo
from typing import Any

import jwt
import pytest
from authz import jws
from authz.errors import Unauthorized
from authz.settings import Settings
from authz.verify import REQUIRED_CLAIMS, TokenVerifier
from hypothesis import HealthCheck, given, settings

from tests.functional.functions import support
from tests.functional.functions.jws_cases import (
    B64,
    CLIENT,
    ISSUER,
    LEEWAY,
    MISSING,
    NOW,
    OTHER_CLIENT,
    Case,
    Keys,
    b64url,
    cases,
    make_keys,
    sign,
)

CASES = 1000  # each case yields a signed token and 9-15 mutations of it: >= 10,000 tokens
MIN_TOKENS = 10_000


class _FrozenDatetime(datetime):
    """PyJWT reads its clock as datetime.now(tz=timezone.utc).timestamp()."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> _FrozenDatetime:
        moment = datetime.fromtimestamp(NOW, tz)
        return cls(*moment.timetuple()[:6], moment.microsecond, tzinfo=moment.tzinfo)


@pytest.fixture(scope="module")
def keys() -> Keys:
    return make_keys()


# --- the two sides ----------------------------------------------------------------------------


def _settings(url: str, token_use: str) -> Settings:
    return Settings(
        policy_table="t",
        issuer=ISSUER,
        jwks_url=url,
        allowed_client_ids=frozenset({CLIENT, OTHER_CLIENT}),
        token_use=token_use,
    )


def _pyjwt_options(token_use: str) -> dict[str, Any]:
    check_aud = token_use == "id"
    return {
        "algorithms": ["RS256"],
        "issuer": ISSUER,
        "audience": sorted([CLIENT, OTHER_CLIENT]) if check_aud else None,
        "leeway": LEEWAY,
        "options": {"require": list(REQUIRED_CLAIMS), "verify_aud": check_aud},
    }


def _outcome(call: Callable[[], Any]) -> tuple[bool, Any]:
    """(accepted, result); any exception is a rejection (the authorizer turns every one into 401)."""
    try:
        return True, call()
    except Exception:
        return False, None


def reference_verify(token: str, client: jwt.PyJWKClient, verifier: TokenVerifier, token_use: str) -> Any:
    """The authorizer's verification before authz/jws.py (PyJWT all the way), returning the identity."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise Unauthorized("malformed_token") from None
    if header.get("alg") != "RS256":
        raise Unauthorized("algorithm_not_allowed")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid or len(kid) > 256:
        raise Unauthorized("missing_kid")
    signing_key = client.get_signing_key(kid)
    if signing_key.algorithm_name != "RS256" or signing_key.key_type != "RSA":
        raise Unauthorized("key_not_rs256")
    claims = jwt.decode(token, signing_key.key, **_pyjwt_options(token_use))
    return verifier._identity(claims)  # unchanged code: what both sides do after decoding


@pytest.fixture
def frozen_pyjwt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jwt.api_jwt, "datetime", _FrozenDatetime)
    assert jwt.api_jwt.datetime.now(tz=None).timestamp() == NOW


@pytest.fixture
def sides(keys: Keys, frozen_pyjwt: None) -> Iterator[Callable[[str, str], tuple[tuple[bool, Any], ...]]]:
    """For a token and a token use: (ours, PyJWT's) outcomes of decode, then of the full verification."""
    with support.JwksServer(keys.published) as server:
        ours = {use: TokenVerifier(_settings(server.url, use), clock=lambda: NOW) for use in ("access", "id")}
        theirs = {use: jwt.PyJWKClient(server.url, cache_jwk_set=True, lifespan=10**6) for use in ours}
        public = keys.good.private.public_key()

        def compare(token: str, token_use: str) -> tuple[tuple[bool, Any], ...]:
            options = _pyjwt_options(token_use)
            return (
                _outcome(
                    lambda: jws.decode(
                        token,
                        public,
                        now=NOW,
                        leeway=LEEWAY,
                        issuer=ISSUER,
                        audience=options["audience"],
                        required=REQUIRED_CLAIMS,
                    )
                ),
                _outcome(lambda: jwt.decode(token, public, **options)),
                _outcome(lambda: ours[token_use].verify(token).identity),
                _outcome(lambda: reference_verify(token, theirs[token_use], ours[token_use], token_use)),
            )

        yield compare


def _same(outcomes: tuple[tuple[bool, Any], ...]) -> bool:
    decode_ours, decode_theirs, verify_ours, verify_theirs = outcomes
    return decode_ours == decode_theirs and verify_ours == verify_theirs


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # PyJWT's warnings about odd tokens
def test_one_pass_verification_matches_pyjwt_on_generated_tokens(
    keys: Keys, sides: Callable[[str, str], tuple[tuple[bool, Any], ...]]
) -> None:
    tally: Counter[str] = Counter()

    @settings(
        max_examples=CASES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(case=cases(keys))
    def check(case: Case) -> None:
        for token in case.tokens:
            outcomes = sides(token, case.token_use)
            assert _same(outcomes), f"disagreement on {token!r} ({case.token_use}): {outcomes}"
            tally["tokens"] += 1
            tally["decode_accepted"] += outcomes[0][0]
            tally["verify_accepted"] += outcomes[2][0]

    check()
    assert tally["tokens"] >= MIN_TOKENS, tally
    # Both outcomes represented, so the agreement is not between two functions that always refuse
    # (about 45% of the signed tokens are valid; nearly every mutation of one is not). The accepted
    # share varies from run to run (the keys and some mutations are random: 2.5% to 3.8% of tokens
    # measured in full `make test` runs), so the floor is 1%: still over a hundred accepted tokens.
    for accepted in ("decode_accepted", "verify_accepted"):
        assert 0.01 * tally["tokens"] <= tally[accepted] <= 0.5 * tally["tokens"], tally


# --- the edges, named -------------------------------------------------------------------------


def _token(
    keys: Keys, header: dict[str, Any], claims: dict[str, Any], *, raw_payload: bytes | None = None
) -> str:
    header_b64 = b64url(json.dumps(header).encode())
    payload_b64 = b64url(raw_payload if raw_payload is not None else json.dumps(claims).encode())
    signing_input = f"{header_b64}.{payload_b64}".encode()
    return f"{header_b64}.{payload_b64}.{b64url(sign(keys, 'rs256', 'k1', signing_input))}"


def _claims(**overrides: Any) -> dict[str, Any]:
    claims = {
        "sub": "s",
        "iss": ISSUER,
        "token_use": "access",
        "client_id": CLIENT,
        "username": "u",  # a user client's token names its user (the authorizer refuses one without)
        "iat": int(NOW) - 10,
        "exp": int(NOW) + 600,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not MISSING}


def _edges(keys: Keys) -> dict[str, tuple[str, bool]]:
    """name -> (token, accepted by both): the rules of authz/jws.py's docstring, one by one."""
    good = _token(keys, {"alg": "RS256", "kid": "k1"}, _claims())
    head, body, sig = good.split(".")
    sig_tail = sig[-1]
    non_canonical = B64[B64.index(sig_tail) | 1] if len(sig) % 4 == 2 else sig_tail
    return {
        "valid": (good, True),
        "signature_with_its_padding": (f"{good}==", True),
        "signature_with_wrong_padding": (f"{good}=", False),
        "signature_non_canonical": (f"{head}.{body}.{sig[:-1]}{non_canonical}", False),
        "padded_payload_changes_the_signed_input": (f"{head}.{body}=.{sig}", False),
        "crit_b64_declared_and_present": (
            _token(keys, {"alg": "RS256", "kid": "k1", "crit": ["b64"], "b64": True}, _claims()),
            True,
        ),
        "crit_unknown_extension": (
            _token(keys, {"alg": "RS256", "kid": "k1", "crit": ["exp"]}, _claims()),
            False,
        ),
        "b64_false": (_token(keys, {"alg": "RS256", "kid": "k1", "b64": False}, _claims()), False),
        "utf16_payload": (
            _token(
                keys, {"alg": "RS256", "kid": "k1"}, {}, raw_payload=json.dumps(_claims()).encode("utf-16")
            ),
            True,
        ),
        "exp_as_numeric_string": (
            _token(keys, {"alg": "RS256", "kid": "k1"}, _claims(exp=str(int(NOW) + 600))),
            True,
        ),
        "exp_as_float": (_token(keys, {"alg": "RS256", "kid": "k1"}, _claims(exp=NOW + 600.7)), True),
        "exp_on_the_boundary": (
            _token(keys, {"alg": "RS256", "kid": "k1"}, _claims(exp=int(NOW - LEEWAY))),
            False,
        ),
        "exp_just_inside": (
            _token(keys, {"alg": "RS256", "kid": "k1"}, _claims(exp=int(NOW - LEEWAY) + 1)),
            True,
        ),
        "iat_just_inside": (
            _token(keys, {"alg": "RS256", "kid": "k1"}, _claims(iat=int(NOW + LEEWAY))),
            True,
        ),
        "iat_just_outside": (
            _token(keys, {"alg": "RS256", "kid": "k1"}, _claims(iat=int(NOW + LEEWAY) + 1)),
            False,
        ),
        "nbf_infinite": (_token(keys, {"alg": "RS256", "kid": "k1"}, _claims(nbf=float("inf"))), False),
        "jti_not_a_string": (_token(keys, {"alg": "RS256", "kid": "k1"}, _claims(jti=7)), False),
        "sub_not_a_string": (_token(keys, {"alg": "RS256", "kid": "k1"}, _claims(sub=7)), False),
        "issuer_null": (_token(keys, {"alg": "RS256", "kid": "k1"}, _claims(iss=None)), False),
        "trailing_newline": (f"{good}\n", False),
        "non_ascii_letter": (f"{head}.{body}.{sig[:-2]}\u212a{sig[-1]}", False),
    }


@pytest.mark.parametrize(
    "name",
    [
        "valid",
        "signature_with_its_padding",
        "signature_with_wrong_padding",
        "signature_non_canonical",
        "padded_payload_changes_the_signed_input",
        "crit_b64_declared_and_present",
        "crit_unknown_extension",
        "b64_false",
        "utf16_payload",
        "exp_as_numeric_string",
        "exp_as_float",
        "exp_on_the_boundary",
        "exp_just_inside",
        "iat_just_inside",
        "iat_just_outside",
        "nbf_infinite",
        "jti_not_a_string",
        "sub_not_a_string",
        "issuer_null",
        "trailing_newline",
        "non_ascii_letter",
    ],
)
def test_edge_tokens_get_pyjwts_answer(
    name: str, keys: Keys, sides: Callable[[str, str], tuple[tuple[bool, Any], ...]]
) -> None:
    token, accepted = _edges(keys)[name]
    outcomes = sides(token, "access")
    assert [accepted for accepted, _ in outcomes] == [accepted] * 4, outcomes
    if accepted:
        assert outcomes[0][1] == outcomes[1][1]  # the same claims
        assert outcomes[2][1] == outcomes[3][1]  # the same identity

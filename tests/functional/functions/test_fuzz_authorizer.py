"""Fuzzing the authorizer through `app.handler(event, context)` (hypothesis, derandomized).

Invariants checked on every generated case:
- the handler answers a policy or raises exactly `Exception("Unauthorized")`; anything else (which
  API Gateway turns into a 500) fails the test (`UnhandledError`);
- never Allow without a valid token and a group policy: an Allow carries exactly the stored policy of
  the caller's effective group, `principalId` = the token's `sub`, string context values, and only
  Resources under the requested API and stage;
- one decision log line per call, and no token material in the log;
- cases valid by construction are allowed (so a deny-everything authorizer fails too).

Targets: garbage `authorizationToken` values; REQUEST events with arbitrary header maps; a valid
token with one segment mutated or transplanted; tokens forged with other keys and header tricks;
tokens signed by the pool's key whose claims are arbitrary JSON of every type; arbitrary methodArns.
The container is warm across the cases of a target (JWKS and policies cached), as in Lambda.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import jwt
import pytest
from authz.header import MAX_TOKEN_LENGTH  # the Authorization value's cap, `Bearer ` included
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.functional.functions import support
from tests.functional.functions.support import REMOVE
from tests.reliability import figures, strategies
from tests.reliability.budgets import fuzz_cases
from tests.reliability.calls import decide, decisions
from tests.reliability.figures import Tally

pytestmark = pytest.mark.reliability

ROUTE = support.method_arn("GET", "/petstore/v1/pets")
POLICIES = {g: json.loads(support.render_template(g)) for g in support.GROUP_PRECEDENCE}
ALLOWED_CLIENTS = (support.CLIENT_ID, support.OTHER_CLIENT_ID)
# Time claims are generated at least a day away from the test's start: a soak run lasts minutes, and
# a value must not cross "now" while the test runs (a refused nbf becoming valid, say).
DAY = 86_400
SECURITY_CLAIMS = (
    "iss",
    "token_use",
    "client_id",
    "sub",
    "exp",
    "iat",
    "nbf",
    "cognito:groups",
    "username",  # a user client's token names its user (one without is a machine's shape: refused)
)


def effective_group(groups: list[str]) -> str | None:
    known = [g for g in groups if g in support.GROUP_PRECEDENCE]
    return min(known, key=support.GROUP_PRECEDENCE.__getitem__) if known else None


class Fuzzer:
    """Runs one case through the handler and checks the invariants that hold for every input."""

    def __init__(self, app: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
        self.app = app
        self.capsys = capsys
        self.outcomes = Tally()
        capsys.readouterr()

    def run(self, event: dict[str, Any], secrets: tuple[str, ...] = ()) -> tuple[str, dict[str, Any] | None]:
        outcome, response = decide(self.app, event)
        self.outcomes.add(outcome)
        log = self.capsys.readouterr().out
        assert len(decisions(log)) == 1, log[-2000:]
        for secret in secrets:
            if len(secret) >= 24:
                assert secret not in log, "token material in the decision log"
                assert json.dumps(secret)[1:-1] not in log, "token material in the decision log"
        if response is not None:
            self._check_response(event, outcome, response)
        return outcome, response

    @staticmethod
    def _check_response(event: dict[str, Any], outcome: str, response: dict[str, Any]) -> None:
        assert isinstance(response["principalId"], str)
        assert response["principalId"]
        assert all(isinstance(v, str) for v in response["context"].values())
        document = response["policyDocument"]
        assert document["Version"] == "2012-10-17"
        if outcome != "allow":
            return
        group = response["context"]["group"]
        assert document == POLICIES[group], "an Allow must be exactly the group's stored policy"
        prefix = "/".join(str(event["methodArn"]).split("/", 2)[:2]) + "/"
        for statement in document["Statement"]:
            resources = (
                statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            )
            assert all(r.startswith(prefix) for r in resources)

    def record(self, target: str) -> None:
        counts = dict(self.outcomes.items())
        figures.record("fuzz", target, cases=self.outcomes.total, outcomes=counts)


@pytest.fixture
def fuzzer(authorizer_app: ModuleType, capsys: pytest.CaptureFixture[str]) -> Fuzzer:
    return Fuzzer(authorizer_app, capsys)


def _examples(target: str) -> Callable[[Any], Any]:
    return settings(max_examples=fuzz_cases(target))


# --- garbage in the header ---------------------------------------------------------------------


header_values = st.one_of(
    strategies.odd_text,
    strategies.big_text,
    st.builds(
        lambda p, v: p + v,
        st.sampled_from(["Bearer ", "bearer\t", "BEARER  ", "Basic ", "Bearer"]),
        strategies.odd_text,
    ),
    st.builds(".".join, st.lists(strategies.b64_segments, min_size=1, max_size=6)),
    st.builds(lambda h, p: f"{h}.{p}.", strategies.b64_segments, strategies.b64_segments),
    strategies.json_values.filter(lambda v: not isinstance(v, str)),
)


def test_garbage_authorization_values_are_401(fuzzer: Fuzzer) -> None:
    @_examples("authorizer_header_garbage")
    @given(value=header_values)
    def case(value: Any) -> None:
        event = {"type": "TOKEN", "authorizationToken": value, "methodArn": ROUTE}
        outcome, _ = fuzzer.run(event, (value,) if isinstance(value, str) else ())
        assert outcome == "unauthorized"

    case()
    fuzzer.record("authorizer: garbage Authorization values")
    assert fuzzer.outcomes.total >= fuzz_cases("authorizer_header_garbage") * 0.9


# --- REQUEST events with arbitrary header maps -------------------------------------------------

AUTH_NAMES = st.sampled_from(["Authorization", "authorization", "AUTHORIZATION", "aUtHoRiZaTiOn"])


def request_events(token: str) -> st.SearchStrategy[tuple[dict[str, Any], bool]]:
    """A REQUEST event and whether it is the simple valid shape (one Authorization header)."""
    valid_forms = st.sampled_from([token, f"Bearer {token}", f"bearer {token}", f"  Bearer   {token} "])
    value = st.one_of(valid_forms, strategies.odd_text, st.none(), st.integers())
    names = st.one_of(AUTH_NAMES, st.text(max_size=20))
    headers = st.one_of(st.none(), st.dictionaries(names, value, max_size=5), strategies.json_values)
    multi = st.one_of(
        st.none(),
        st.dictionaries(names, st.one_of(st.lists(value, max_size=3), value), max_size=4),
        strategies.json_values,
    )

    @st.composite
    def build(draw: st.DrawFn) -> tuple[dict[str, Any], bool]:
        event: dict[str, Any] = {
            "type": "REQUEST",
            "methodArn": ROUTE,
            "headers": draw(headers),
            "multiValueHeaders": draw(multi),
        }
        simple = draw(st.booleans())
        if simple:  # the shape API Gateway sends: one Authorization header, in both maps
            name, form = draw(AUTH_NAMES), draw(valid_forms)
            event["headers"] = {name: form, "Host": "example.com"}
            event["multiValueHeaders"] = {name: [form], "Host": ["example.com"]}
        return event, simple

    return build()


def test_request_events_allow_only_a_single_valid_authorization(
    fuzzer: Fuzzer, tokens: support.TokenFactory
) -> None:
    token = tokens.token(**{"cognito:groups": ["pet-veterinarian"]})

    @_examples("authorizer_request_events")
    @given(case_=request_events(token))
    def case(case_: tuple[dict[str, Any], bool]) -> None:
        event, simple = case_
        outcome, _ = fuzzer.run(event, (token,))
        if simple:
            assert outcome == "allow"
        elif outcome == "allow":
            assert token in json.dumps(event), "allowed without the valid token in the event"
        else:
            assert outcome == "unauthorized"

    case()
    fuzzer.record("authorizer: REQUEST events with arbitrary header maps")
    assert fuzzer.outcomes["allow"] > 0


# --- one segment of a valid token mutated ------------------------------------------------------


def _same_token(token: str, good: str) -> bool:
    """Whether `token` is `good` up to what does not change what is verified: surrounding spaces,
    and a non-canonical base64url spelling of the same signature bytes. (Header and payload are
    signed as text, so any change to them must fail.)"""
    parts, original = token.strip().split("."), good.split(".")
    if len(parts) != 3 or parts[:2] != original[:2] or not re.fullmatch(r"[A-Za-z0-9_-]+", parts[2]):
        return False
    try:
        return base64.urlsafe_b64decode(parts[2] + "=" * (-len(parts[2]) % 4)) == base64.urlsafe_b64decode(
            original[2] + "=" * (-len(original[2]) % 4)
        )
    except ValueError:
        return False


@st.composite
def mutated_tokens(draw: st.DrawFn, good: str, other: str) -> str:
    parts = good.split(".")
    donor = other.split(".")
    index = draw(st.integers(0, 2))
    segment = parts[index]
    operation = draw(
        st.sampled_from(["replace", "flip", "delete", "insert", "truncate", "append", "transplant", "shape"])
    )
    if operation == "replace":
        parts[index] = draw(strategies.b64_segments)
    elif operation in ("flip", "delete", "insert"):
        at = draw(st.integers(0, max(0, len(segment) - 1)))
        char = draw(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=.+/ "))
        if operation == "flip":
            parts[index] = segment[:at] + char + segment[at + 1 :]
        elif operation == "delete":
            parts[index] = segment[:at] + segment[at + 1 :]
        else:
            parts[index] = segment[:at] + char + segment[at:]
    elif operation == "truncate":
        parts[index] = segment[: draw(st.integers(0, max(0, len(segment) - 1)))]
    elif operation == "append":
        parts[index] = segment + draw(strategies.b64_segments)
    elif operation == "transplant":  # another valid token's segment (same key, other claims)
        parts[index] = donor[index]
    else:
        extra = draw(st.sampled_from(["", ".", "..", f".{parts[2]}", f".{donor[1]}"]))
        return ".".join(parts) + extra if draw(st.booleans()) else extra.lstrip(".") + "." + ".".join(parts)
    return ".".join(parts)


def test_mutated_segments_of_a_valid_token_are_401(fuzzer: Fuzzer, tokens: support.TokenFactory) -> None:
    good = tokens.token(**{"cognito:groups": ["pet-veterinarian"]})
    other = tokens.token(**{"cognito:groups": ["admin"]})
    same = Tally()

    @_examples("authorizer_token_segments")
    @given(token=mutated_tokens(good, other))
    def case(token: str) -> None:
        outcome, _ = fuzzer.run(support.token_event(f"Bearer {token}", ROUTE), (good.split(".")[2],))
        if _same_token(token, good):
            same.add(outcome)  # either answer is safe: it is the same signed content
        else:
            assert outcome == "unauthorized"

    case()
    fuzzer.record("authorizer: valid token with one segment mutated or transplanted")


# --- forged tokens -----------------------------------------------------------------------------


def forged_tokens(real_kid: str, attacker: support.SigningKey, public_pem: bytes) -> st.SearchStrategy[str]:
    """Tokens claiming to be the pool's, never signed by its key."""
    groups = st.sampled_from([["admin"], ["pet-veterinarian"], ["admin", "pet-veterinarian"]])
    extras = st.dictionaries(st.text(max_size=8), strategies.json_values, max_size=3)
    kids = st.sampled_from([real_kid, attacker.kid, "", "../" + real_kid, real_kid + "\x00"])
    tricks = st.sampled_from(["none", "jwk", "jku", "x5u", "crit", "typ"])
    types = st.sampled_from(["JWT", "at+jwt", "JWE", ""])
    algorithms = st.sampled_from(["RS256", "RS512", "PS256", "HS256", "none", "RS256-header-only"])
    garbage_signatures = st.binary(min_size=1, max_size=300)
    now = int(time.time())

    @st.composite
    def build(draw: st.DrawFn) -> str:
        claims = {
            "sub": str(draw(st.uuids())),
            "iss": support.ISSUER,
            "token_use": "access",
            "client_id": support.CLIENT_ID,
            "iat": now,
            "exp": now + 3600,
            "cognito:groups": draw(groups),
            **draw(extras),
        }
        header: dict[str, Any] = {"kid": draw(kids)}
        trick = draw(tricks)
        if trick == "jwk":
            header["jwk"] = attacker.jwk()
        elif trick == "jku":
            header["jku"] = "https://attacker.example/jwks.json"
        elif trick == "x5u":
            header["x5u"] = "https://attacker.example/cert.pem"
        elif trick == "crit":
            header["crit"] = ["b64"]
            header["b64"] = False
        elif trick == "typ":
            header["typ"] = draw(types)
        algorithm = draw(algorithms)
        if algorithm == "HS256":  # the RSA public key used as an HMAC secret
            return support.unsigned_token(
                {**header, "alg": "HS256"}, claims, _hmac(public_pem, header, claims)
            )
        if algorithm == "none":
            return support.unsigned_token(
                {**header, "alg": "none"}, claims, b"x" if draw(st.booleans()) else b""
            )
        if algorithm == "RS256-header-only":  # claims the real key's algorithm, signature of garbage
            return support.unsigned_token({**header, "alg": "RS256"}, claims, draw(garbage_signatures))
        return jwt.encode(claims, attacker.private, algorithm=algorithm, headers=header)

    return build()


def _hmac(secret: bytes, header: dict[str, Any], claims: dict[str, Any]) -> bytes:
    import hashlib  # noqa: PLC0415
    import hmac  # noqa: PLC0415

    signing_input = ".".join(
        [
            strategies.b64url(json.dumps({**header, "alg": "HS256"}).encode()),
            strategies.b64url(json.dumps(claims).encode()),
        ]
    )
    return hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()


def test_forged_tokens_are_401(
    fuzzer: Fuzzer, tokens: support.TokenFactory, other_key: support.SigningKey
) -> None:
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415

    public_pem = tokens.key.private.public_key().public_bytes(
        encoding=serialization.Encoding.PEM, format=serialization.PublicFormat.SubjectPublicKeyInfo
    )
    attacker = support.SigningKey("attacker", other_key.private)

    @_examples("authorizer_forged_tokens")
    @given(token=forged_tokens(tokens.key.kid, attacker, public_pem))
    def case(token: str) -> None:
        outcome, _ = fuzzer.run(support.token_event(f"Bearer {token}", ROUTE))
        assert outcome == "unauthorized"

    case()
    fuzzer.record("authorizer: tokens forged with other keys, algorithms and header tricks")


# --- claims of every JSON type, signed by the pool's key ---------------------------------------


def sign(header: dict[str, Any], payload: str, key: support.SigningKey) -> str:
    """A compact JWS of exactly this payload text, RS256-signed by `key` (as the pool would)."""
    signing_input = f"{strategies.b64url(json.dumps(header).encode())}.{strategies.b64url(payload.encode())}"
    signature = key.private.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{strategies.b64url(signature)}"


@dataclass(frozen=True)
class ClaimsCase:
    claims: dict[str, Any]
    headers: dict[str, Any]
    bad: tuple[str, ...]  # claims given a value that must be refused
    unsure: tuple[str, ...]  # claims given a value the rules leave open (numeric strings, floats)


def _good_values(now: int) -> dict[str, st.SearchStrategy[Any]]:
    return {
        "iss": st.just(support.ISSUER),
        "token_use": st.just("access"),
        "client_id": st.sampled_from(ALLOWED_CLIENTS),
        "sub": st.one_of(st.uuids().map(str), st.text(min_size=1, max_size=60).filter(str.strip)),
        "exp": st.integers(now + DAY, now + 10**8),
        "iat": st.integers(now - 10**6, now - 5),
        "nbf": st.one_of(st.just(REMOVE), st.integers(now - 10**6, now - 5)),
        "cognito:groups": st.lists(st.sampled_from(list(support.GROUP_PRECEDENCE)), min_size=1, max_size=3)
        .map(lambda g: list(dict.fromkeys(g)))
        .filter(lambda g: len({support.GROUP_PRECEDENCE[x] for x in g}) == len(g)),
        "username": st.text(min_size=1, max_size=30).filter(str.strip),
    }


def _not_number(value: Any) -> bool:
    """Booleans count as numbers here: PyJWT reads time claims with int(), so true/false are 1/0."""
    return not isinstance(value, int | float)


def _bad_values(now: int) -> dict[str, st.SearchStrategy[Any]]:
    """Per claim, values a correct verifier must refuse (REMOVE drops the claim)."""
    junk = strategies.json_values
    non_numeric = junk.filter(lambda v: _not_number(v) and not _numeric_string(v) and v is not None)
    return {
        "iss": st.one_of(
            junk.filter(lambda v: v != support.ISSUER),
            st.sampled_from(
                [support.ISSUER + "/", support.ISSUER[:-1], support.ISSUER.upper(), [support.ISSUER]]
            ),
        ),
        "token_use": st.one_of(
            junk.filter(lambda v: v != "access"), st.sampled_from(["id", "ACCESS", ["access"]])
        ),
        "client_id": st.one_of(junk.filter(lambda v: v not in ALLOWED_CLIENTS), st.just([support.CLIENT_ID])),
        "sub": st.one_of(st.just(REMOVE), junk.filter(lambda v: not isinstance(v, str) or not v.strip())),
        "exp": st.one_of(st.just(REMOVE), st.integers(-(2**63), now - DAY), non_numeric, st.booleans()),
        "iat": st.one_of(st.just(REMOVE), st.integers(now + DAY, now + 10**9), non_numeric),
        "nbf": st.one_of(st.integers(now + DAY, now + 10**9), non_numeric),
        "cognito:groups": st.one_of(
            st.just(REMOVE),
            st.just([]),
            junk.filter(lambda v: not isinstance(v, list)),
            st.lists(junk.filter(lambda v: not isinstance(v, str) or not v), min_size=1, max_size=3),
            st.lists(
                st.text(max_size=10).filter(lambda g: g not in support.GROUP_PRECEDENCE),
                min_size=1,
                max_size=3,
            ),
        ),
        "username": st.one_of(
            st.just(REMOVE), junk.filter(lambda v: not isinstance(v, str) or not v.strip())
        ),
    }


def _numeric_string(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        int(value)
    except ValueError:
        return False
    return True


def claims_cases(now: int, hostile: bool) -> st.SearchStrategy[ClaimsCase]:
    """`now`: fixed when the test starts (a strategy must not read the clock); the margins (a day
    or more) dwarf the test's duration. Strategies are built once, here, not per case."""
    good, bad_values = _good_values(now), _bad_values(now)
    # hostile: one to three security claims get a value that must be refused; otherwise none does.
    which_bad = (
        st.lists(st.sampled_from(SECURITY_CLAIMS), unique=True, min_size=1, max_size=3)
        if hostile
        else st.just([])
    )
    coerced = st.one_of(st.floats(), st.sampled_from([str(now + 3600), "1e10", " 1 "]))
    extra_claims = st.dictionaries(st.text(max_size=16), strategies.serialised_json, max_size=4)
    extra_headers = st.dictionaries(
        st.sampled_from(["typ", "cty", "x5t", "jku", "x-extra"]), strategies.json_values, max_size=2
    )

    @st.composite
    def build(draw: st.DrawFn) -> ClaimsCase:
        bad = draw(which_bad)
        claims: dict[str, Any] = {"jti": draw(st.uuids()).hex, "auth_time": now, "scope": "openid email"}
        for claim in SECURITY_CLAIMS:
            claims[claim] = draw(bad_values[claim] if claim in bad else good[claim])
        unsure: list[str] = []
        open_claims = [c for c in ("exp", "iat", "nbf") if c not in bad]
        if open_claims and draw(st.integers(0, 9)) == 0:  # values some verifiers coerce: left open
            claim = draw(st.sampled_from(open_claims))
            claims[claim] = draw(coerced)
            unsure.append(claim)
        for name, value in draw(extra_claims).items():
            claims.setdefault(name, value)
        kept = {k: v for k, v in claims.items() if v is not REMOVE}
        return ClaimsCase(kept, draw(extra_headers), tuple(bad), tuple(unsure))

    return build()


@pytest.mark.parametrize("hostile", [False, True], ids=["valid-claims", "hostile-claims"])
def test_claims_of_every_json_type_allow_only_valid_tokens_with_a_policy(
    hostile: bool, fuzzer: Fuzzer, tokens: support.TokenFactory
) -> None:
    key = tokens.key
    target = "authorizer_claims_hostile" if hostile else "authorizer_claims_valid"

    @_examples(target)
    @given(case_=claims_cases(int(time.time()), hostile))
    def case(case_: ClaimsCase) -> None:
        payload = strategies.dumps(case_.claims)
        token = sign({**case_.headers, "alg": "RS256", "kid": key.kid}, payload, key)
        outcome, response = fuzzer.run(support.token_event(f"Bearer {token}", ROUTE), (token.split(".")[2],))
        unreadable = strategies.HUGE.TEXT in payload  # json.loads refuses it: not a valid JWT for Python
        if case_.bad or unreadable or len(f"Bearer {token}") > MAX_TOKEN_LENGTH:
            assert outcome != "allow", f"allowed with bad {case_.bad}"
            return
        if case_.unsure:
            return
        assert outcome == "allow", "a valid token of a group with a policy must be allowed"
        assert response is not None
        assert response["principalId"] == case_.claims["sub"]
        assert response["context"]["group"] == effective_group(case_.claims["cognito:groups"])

    case()
    kind = "a security claim given a value to refuse" if hostile else "valid security claims"
    fuzzer.record(f"authorizer: signed by the pool's key, {kind}, other claims of every JSON type")
    assert fuzzer.outcomes["allow" if not hostile else "unauthorized"] > 0


# --- methodArn ---------------------------------------------------------------------------------

arn_parts = st.fixed_dictionaries(
    {
        "partition": st.sampled_from(["aws", "aws-cn", "aws-us-gov", "aws*", "", "AWS"]),
        "region": st.sampled_from([support.REGION, "eu-west-1", "*", "", "US-EAST-1"]),
        "account": st.sampled_from([support.ACCOUNT, "210987654321", "*", "12345678901", ""]),
        "api": st.sampled_from([support.API_ID, "otherapi", "*", support.API_ID + "x", ""]),
        "stage": st.sampled_from([support.STAGE, "prod", "*", support.STAGE + "-x", ""]),
        "verb": st.sampled_from(["GET", "POST", "DELETE", "*", "get", "PATCH", ""]),
        "path": st.one_of(
            st.sampled_from(["/petstore/v1/pets", "/news", "/", "", "/*", "/petstore/v1/pets/../../news"]),
            st.text(max_size=30).map(lambda t: "/" + t),
        ),
    }
)


# This API and stage with any verb and path: the group policy is returned whole (Allow), whatever the
# route, and API Gateway evaluates it; a path with whitespace or a malformed verb is refused.
ours_with_any_route = st.builds(
    "{}/{}{}".format,
    st.just(support.API_ARN),
    st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "*", "get", "G ET", ""]),
    st.one_of(st.text(max_size=40).map(lambda t: "/" + t), strategies.big_text.map(lambda t: "/" + t)),
)


def _arn(parts: dict[str, str]) -> str:
    return (
        f"arn:{parts['partition']}:execute-api:{parts['region']}:{parts['account']}:"
        f"{parts['api']}/{parts['stage']}/{parts['verb']}{parts['path']}"
    )


def test_method_arns_never_widen_the_policy(fuzzer: Fuzzer, tokens: support.TokenFactory) -> None:
    token = tokens.token(**{"cognito:groups": ["pet-veterinarian"]})
    ours = f"{support.API_ARN}/"

    @_examples("authorizer_method_arn")
    @given(
        arn=st.one_of(arn_parts.map(_arn), ours_with_any_route, strategies.odd_text, strategies.json_values)
    )
    def case(arn: Any) -> None:
        event = {"type": "TOKEN", "authorizationToken": f"Bearer {token}", "methodArn": arn}
        outcome, response = fuzzer.run(event, (token,))
        if outcome == "allow":
            assert isinstance(arn, str)
            assert arn.startswith(ours), "the group policy was returned for another API or stage"
        if outcome == "deny":
            assert response is not None
            assert response["policyDocument"]["Statement"][0]["Effect"] == "Deny"

    case()
    fuzzer.record("authorizer: arbitrary methodArn values")
    assert fuzzer.outcomes["allow"] > 0

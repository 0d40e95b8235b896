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

import base64
import hashlib
import hmac
import json
import string
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

import jwt
import pytest
from authz import jws
from authz.errors import Unauthorized
from authz.settings import Settings
from authz.verify import REQUIRED_CLAIMS, TokenVerifier
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.functional.functions import support

NOW = 1_750_000_000.0  # whole seconds: time claims can sit exactly on a boundary (exp == now - leeway)
LEEWAY = 30
ISSUER = support.ISSUER
CLIENT = support.CLIENT_ID
OTHER_CLIENT = support.OTHER_CLIENT_ID
CASES = 1000  # each case yields a signed token and 9-15 mutations of it: >= 10,000 tokens
MIN_TOKENS = 10_000
B64 = string.ascii_letters + string.digits + "-_"


class _FrozenDatetime(datetime):
    """PyJWT reads its clock as datetime.now(tz=timezone.utc).timestamp()."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> _FrozenDatetime:
        moment = datetime.fromtimestamp(NOW, tz)
        return cls(*moment.timetuple()[:6], moment.microsecond, tzinfo=moment.tzinfo)


class _Jwk(support.SigningKey):
    """A published key with overridable JWK members (alg, use), or an EC key."""

    overrides: dict[str, Any]

    def jwk(self) -> dict[str, Any]:
        return {**super().jwk(), **self.overrides}


class _EcJwk(support.SigningKey):
    def jwk(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.ec_key.public_key()))
        return {**public, "kid": self.kid, "alg": "ES256", "use": "sig"}

    ec_key: ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class Keys:
    good: support.SigningKey  # kid k1, RS256: the pool's key
    stranger: support.SigningKey  # kid k2, not published
    rs384: support.SigningKey  # kid k3, published with alg RS384
    encryption: support.SigningKey  # kid k4, published with use=enc (not a signing key)
    published: list[support.SigningKey]

    def private(self, kid: str) -> Any:
        return {k.kid: k.private for k in (self.good, self.stranger, self.rs384, self.encryption)}[kid]


@pytest.fixture(scope="module")
def keys() -> Keys:
    good = support.SigningKey.generate("k1")
    stranger = support.SigningKey.generate("k2")
    rs384 = _Jwk("k3", support.SigningKey.generate("k3").private)
    rs384.overrides = {"alg": "RS384"}
    encryption = _Jwk("k4", support.SigningKey.generate("k4").private)
    encryption.overrides = {"use": "enc"}
    curve = _EcJwk("k5", good.private)
    curve.ec_key = ec.generate_private_key(ec.SECP256R1())
    # A second key under kid k1, after the first: PyJWKClient uses the first one a kid names.
    shadow = support.SigningKey("k1", stranger.private)
    return Keys(good, stranger, rs384, encryption, [good, rs384, encryption, curve, shadow])


# --- token generation -------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _pick(draw: st.DrawFn, good: Any, bad: st.SearchStrategy[Any], bad_percent: int = 7) -> Any:
    """Mostly the valid value (hypothesis shrinks towards it), sometimes one of the bad ones."""
    return draw(bad) if draw(st.integers(0, 99)) < bad_percent else good


MISSING = object()
_json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True), st.text(max_size=8)
)
_junk = st.one_of(
    _json_scalars,
    st.lists(_json_scalars, max_size=3),
    st.dictionaries(st.text(max_size=3), _json_scalars, max_size=2),
)


def _time_values(anchor: float) -> st.SearchStrategy[Any]:
    """Values of a time claim around a boundary: ints and floats on both sides, the forms int()
    accepts (numeric strings, booleans) and the ones it refuses."""
    base = int(anchor)
    return st.one_of(
        st.integers(base - 3, base + 3),
        st.floats(anchor - 3, anchor + 3),
        st.integers(base - 3, base + 3).map(str),
        st.sampled_from([" 1750000000 ", "1_750_000_000", "1.75e9", "0x10", "", "٣"]),
        st.sampled_from([True, False, None, float("inf"), float("-inf"), float("nan"), 10**30, -(10**30)]),
        _junk,
    )


@st.composite
def claims_of(draw: st.DrawFn, token_use: str) -> dict[str, Any]:
    expired_at = NOW - LEEWAY  # exp <= this is expired
    immature_after = NOW + LEEWAY  # iat/nbf > this is not yet valid
    claims: dict[str, Any] = {
        "sub": _pick(
            draw,
            "3f0c6e1c-5f7a-4c1e-9d53-0b7a1a2b3c4d",
            st.one_of(st.sampled_from(["", " ", MISSING]), _junk),
        ),
        "iss": _pick(
            draw,
            ISSUER,
            st.sampled_from([ISSUER + "x", ISSUER[:-1], ISSUER.upper(), [ISSUER], None, 1, MISSING, ""]),
        ),
        "token_use": _pick(
            draw, token_use, st.sampled_from(["access", "id", "refresh", None, ["access"], MISSING])
        ),
        "iat": _pick(draw, int(NOW) - 60, st.one_of(_time_values(immature_after), st.just(MISSING)), 15),
        "exp": _pick(draw, int(NOW) + 3600, st.one_of(_time_values(expired_at), st.just(MISSING)), 15),
        "jti": _pick(draw, "0f1e2d3c", st.one_of(_junk, st.just(MISSING))),
        "cognito:groups": _pick(draw, ["pet-veterinarian"], _junk),
    }
    if draw(st.integers(0, 99)) < 10:
        claims["nbf"] = draw(_time_values(immature_after))
    if token_use == "access":
        claims["client_id"] = _pick(
            draw, CLIENT, st.one_of(st.sampled_from([OTHER_CLIENT, "nope", [CLIENT], MISSING]), _junk)
        )
        claims["username"] = _pick(draw, "vet", _junk)
        if draw(st.integers(0, 99)) < 10:
            claims["aud"] = draw(_junk)  # not checked for access tokens
    else:
        claims["aud"] = _pick(
            draw,
            CLIENT,
            st.one_of(
                st.sampled_from([OTHER_CLIENT, [CLIENT], [CLIENT, "x"], ["x"], "", [], [1], "x", MISSING]),
                _junk,
            ),
        )
        claims["cognito:username"] = _pick(draw, "vet", _junk)
    for _ in range(draw(st.integers(0, 2))):
        claims[draw(st.text(max_size=6))] = draw(_junk)
    return {k: v for k, v in claims.items() if v is not MISSING}


@st.composite
def header_of(draw: st.DrawFn) -> dict[str, Any]:
    header: dict[str, Any] = {
        "alg": _pick(
            draw,
            "RS256",
            st.sampled_from(["RS512", "PS256", "HS256", "none", "", None, "rs256", "RS256 ", 1, MISSING]),
        ),
        "kid": _pick(
            draw, "k1", st.sampled_from(["k2", "k3", "k4", "k5", "", None, 1, "k" * 257, "k1\n", MISSING]), 20
        ),
    }
    if draw(st.booleans()):
        header["typ"] = "JWT"
    if draw(st.integers(0, 99)) < 10:
        header["crit"] = draw(st.sampled_from([["b64"], [], "b64", ["exp"], [1], ["b64", "b64"], MISSING]))
    if draw(st.integers(0, 99)) < 10:
        header["b64"] = draw(st.sampled_from([True, False, "false", None, MISSING]))
    if draw(st.integers(0, 99)) < 5:
        header[draw(st.text(max_size=4))] = draw(_junk)
    return {k: v for k, v in header.items() if v is not MISSING}


def _encode_json(draw: st.DrawFn, value: dict[str, Any]) -> bytes:
    """The JSON bytes of a header or payload, sometimes in a form a careless parser gets wrong."""
    form = draw(st.integers(0, 99))
    text = json.dumps(value)
    if form < 85:
        return text.encode()
    if form < 88:
        return text.encode(draw(st.sampled_from(["utf-16", "utf-16-le", "utf-32", "utf-8-sig"])))
    if form < 91:
        return (" \n" + json.dumps(value, indent=1) + "\t").encode()
    if form < 94 and text.startswith("{") and len(text) > 2:  # a duplicate key: the last one counts
        key = draw(st.sampled_from(["exp", "iss", "alg", "kid", "sub"]))
        return ('{"' + key + '": 1, ' + text[1:]).encode()
    if form < 97:
        return draw(st.sampled_from([b"[]", b"null", b"1", b'"x"', b"", b"{", b"\xff\xfe{}", b"[" * 3000]))
    return draw(st.binary(max_size=24))


def _sign(keys: Keys, signer: str, kid: str, signing_input: bytes) -> bytes:
    if signer == "none":
        return b""
    if signer == "hs256_public_pem":
        pem = keys.good.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return hmac.new(pem, signing_input, hashlib.sha256).digest()
    private = keys.private(kid)
    if signer == "rs512":
        return bytes(private.sign(signing_input, padding.PKCS1v15(), hashes.SHA512()))
    if signer == "ps256":
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        return bytes(private.sign(signing_input, pss, hashes.SHA256()))
    return bytes(private.sign(signing_input, padding.PKCS1v15(), hashes.SHA256()))


def _mutations(token: str) -> st.SearchStrategy[str]:
    parts = token.split(".")
    segment = st.integers(0, len(parts) - 1)
    odd_chars = st.sampled_from(
        ["=", "+", "/", ".", " ", "\n", "\x00", "é", "\u212a", "\uff21", "\u200b", "\udc80", "💥"]
    )

    def replace(index: int, value: str) -> str:
        return ".".join(value if i == index else p for i, p in enumerate(parts))

    def flip(args: tuple[int, int, str]) -> str:
        index, position, char = args
        part = parts[index]
        if not part:
            return replace(index, char)
        position %= len(part)
        return replace(index, part[:position] + char + part[position + 1 :])

    def non_canonical(args: tuple[int, int]) -> str:
        index, low = args
        part = parts[index]
        if len(part) % 4 not in (2, 3):
            return token
        mask = 15 if len(part) % 4 == 2 else 3
        value = B64.index(part[-1]) if part[-1] in B64 else 0
        value = (value & ~mask) | (low & mask or 1)
        return replace(index, part[:-1] + B64[value])

    def pad(args: tuple[int, int]) -> str:
        index, count = args
        return replace(index, parts[index] + "=" * count)

    def insert(args: tuple[int, int, str]) -> str:
        position, _, char = args
        position %= len(token) + 1
        return token[:position] + char + token[position:]

    def truncate(args: tuple[int, int]) -> str:
        index, cut = args
        return replace(index, parts[index][: max(0, len(parts[index]) - cut)])

    def reshape(kind: int) -> str:
        shapes = [
            ".".join(parts[:2]),
            ".".join([*parts, parts[-1]]),
            ".".join([parts[1], parts[0], *parts[2:]]),
            ".".join([parts[0], "", *parts[2:]]),
            token + "\n",
            " " + token,
            token.replace("-", "+").replace("_", "/"),
            ".".join([parts[0], parts[1], ""]),
        ]
        return shapes[kind % len(shapes)]

    return st.one_of(
        st.tuples(segment, st.integers(0, 2000), st.sampled_from(B64)).map(flip),
        st.tuples(segment, st.integers(0, 2000), odd_chars).map(flip),
        st.tuples(segment, st.integers(1, 15)).map(non_canonical),
        st.tuples(segment, st.integers(1, 3)).map(pad),
        st.tuples(st.integers(0, 2000), st.just(0), odd_chars).map(insert),
        st.tuples(segment, st.integers(1, 8)).map(truncate),
        st.integers(0, 7).map(reshape),
    )


@dataclass(frozen=True)
class Case:
    token_use: str
    tokens: list[str]


def cases(keys: Keys) -> st.SearchStrategy[Case]:
    @st.composite
    def build(draw: st.DrawFn) -> Case:
        token_use = draw(st.sampled_from(["access", "id"]))
        header = draw(header_of())
        claims = draw(claims_of(token_use))
        header_b64 = _b64(_encode_json(draw, header))
        payload_b64 = _b64(_encode_json(draw, claims))
        signing_input = f"{header_b64}.{payload_b64}".encode()
        signer = _pick(draw, "rs256", st.sampled_from(["rs512", "ps256", "hs256_public_pem", "none"]))
        # Usually signed by the key the header names (so the key rules, not only the signature, decide).
        named = header.get("kid")
        own_key = named if named in ("k1", "k2", "k3", "k4") else "k1"
        signed_by = _pick(draw, own_key, st.sampled_from(["k1", "k2", "k3", "k4"]))
        token = f"{header_b64}.{payload_b64}.{_b64(_sign(keys, signer, signed_by, signing_input))}"
        mutated = draw(st.lists(_mutations(token), min_size=9, max_size=15))
        return Case(token_use, [token, *mutated])

    return build()


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
    # (about 45% of the signed tokens are valid; nearly every mutation of one is not).
    for accepted in ("decode_accepted", "verify_accepted"):
        assert 0.025 * tally["tokens"] <= tally[accepted] <= 0.5 * tally["tokens"], tally


# --- the edges, named -------------------------------------------------------------------------


def _token(
    keys: Keys, header: dict[str, Any], claims: dict[str, Any], *, raw_payload: bytes | None = None
) -> str:
    header_b64 = _b64(json.dumps(header).encode())
    payload_b64 = _b64(raw_payload if raw_payload is not None else json.dumps(claims).encode())
    signing_input = f"{header_b64}.{payload_b64}".encode()
    return f"{header_b64}.{payload_b64}.{_b64(_sign(keys, 'rs256', 'k1', signing_input))}"


def _claims(**overrides: Any) -> dict[str, Any]:
    claims = {
        "sub": "s",
        "iss": ISSUER,
        "token_use": "access",
        "client_id": CLIENT,
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

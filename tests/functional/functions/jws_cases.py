"""Generated tokens for the authorizer's differential test (test_authz_differential.py): keys
published with awkward JWK members, Cognito-shaped claims and headers that are mostly valid and
sometimes not, JSON in odd encodings, and mutations of a signed token (characters, non-canonical
base64, padding, segments).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import string
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from hypothesis import strategies as st

from tests.functional.functions import support

NOW = 1_750_000_000.0  # whole seconds: time claims can sit exactly on a boundary (exp == now - leeway)
LEEWAY = 30
ISSUER = support.ISSUER
CLIENT = support.CLIENT_ID
OTHER_CLIENT = support.OTHER_CLIENT_ID
B64 = string.ascii_letters + string.digits + "-_"


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


def make_keys() -> Keys:
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


def b64url(data: bytes) -> str:
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
        # A user's token without a string username is refused (the shape of a machine token), so junk
        # here is rarer than elsewhere: the valid share must stay what the acceptance bounds expect.
        claims["username"] = _pick(draw, "vet", _junk, 3)
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
        claims["cognito:username"] = _pick(draw, "vet", _junk, 3)
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


def sign(keys: Keys, signer: str, kid: str, signing_input: bytes) -> bytes:
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


def mutations(token: str) -> st.SearchStrategy[str]:
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
        header_b64 = b64url(_encode_json(draw, header))
        payload_b64 = b64url(_encode_json(draw, claims))
        signing_input = f"{header_b64}.{payload_b64}".encode()
        signer = _pick(draw, "rs256", st.sampled_from(["rs512", "ps256", "hs256_public_pem", "none"]))
        # Usually signed by the key the header names (so the key rules, not only the signature, decide).
        named = header.get("kid")
        own_key = named if named in ("k1", "k2", "k3", "k4") else "k1"
        signed_by = _pick(draw, own_key, st.sampled_from(["k1", "k2", "k3", "k4"]))
        token = f"{header_b64}.{payload_b64}.{b64url(sign(keys, signer, signed_by, signing_input))}"
        mutated = draw(st.lists(mutations(token), min_size=9, max_size=15))
        return Case(token_use, [token, *mutated])

    return build()

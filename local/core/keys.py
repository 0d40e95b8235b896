"""RSA signing keys for the emulator's token issuers (user pools and the local OIDC issuer).

moto signs every user pool's tokens with one RSA key that ships inside moto (so anyone can forge
them, and a token of pool A verifies against pool B's JWKS). Real Cognito gives each pool its own
keys. Every issuer in the emulator therefore owns a `SigningKey` generated in memory when the
issuer is created; only the public half is ever served.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

#: The only algorithm the emulator signs with (and the one Cognito uses).
SIGNING_ALGORITHM = "RS256"
#: Key size: what Cognito publishes; generation takes ~30 ms.
KEY_BITS = 2048


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class SigningKey:
    """A private RSA key and its key id (the RFC 7638 thumbprint of the public key)."""

    kid: str
    private_key: rsa.RSAPrivateKey = field(repr=False)

    def public_jwk(self) -> dict[str, str]:
        """The public key as a JWK with `kid`, `alg` and `use`, as Cognito's JWKS lists it."""
        jwk: dict[str, Any] = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {
            "alg": SIGNING_ALGORITHM,
            "e": str(jwk["e"]),
            "kid": self.kid,
            "kty": "RSA",
            "n": str(jwk["n"]),
            "use": "sig",
        }

    def sign(self, claims: dict[str, Any]) -> str:
        """Sign `claims` as a compact JWS with this key's `kid` in the header."""
        return jwt.encode(claims, self.private_key, algorithm=SIGNING_ALGORITHM, headers={"kid": self.kid})


def jwk_thumbprint(public_jwk: dict[str, Any]) -> str:
    """RFC 7638 thumbprint: SHA-256 over the canonical JSON of the required RSA members."""
    canonical = json.dumps(
        {"e": public_jwk["e"], "kty": "RSA", "n": public_jwk["n"]}, separators=(",", ":"), sort_keys=True
    )
    return _b64url(hashlib.sha256(canonical.encode("ascii")).digest())


def generate_signing_key(bits: int = KEY_BITS) -> SigningKey:
    """Generate a fresh RSA key; its `kid` is derived from the public key, so it is unique per key."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    jwk: dict[str, Any] = RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    return SigningKey(kid=jwk_thumbprint(jwk), private_key=private_key)


def jwks_document(*keys: SigningKey) -> dict[str, list[dict[str, str]]]:
    """A JWKS (`{"keys": [...]}`) with the public halves of `keys`."""
    return {"keys": [key.public_jwk() for key in keys]}

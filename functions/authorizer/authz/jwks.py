"""The user pool's signing keys: the JWKS fetched over HTTP(S), cached, fetched again for an unknown
`kid` at most once per cool-down, and indexed by kid.

Written here rather than taken from PyJWT's `PyJWKClient`, for the cold start, measured (issue 22,
docs/benchmarks.md): importing PyJWT cost ~20-30 ms of CPU at every cold start, because its
`jwt.algorithms` imports cryptography's x509 and serialization (with SSH keys) modules and the EC
and EdDSA families, none of which an RS256 verifier uses; that was the margin by which this
function's cold start trailed the sample-style authorizer's. What PyJWKClient (2.15) did and this
function relied on is kept, and tests/functional/functions/test_authz_differential.py still holds
the verification to PyJWT's on generated tokens and key sets:

- http and https only (settings.py allows plain http on loopback hosts only), no redirects, a
  timeout, `Accept: application/json` and a User-Agent;
- the key set is kept LIFESPAN seconds after the fetch that got it (time.monotonic), and only a
  successful fetch replaces it;
- an unknown kid fetches again, at most once per COOLDOWN seconds after the last successful fetch;
- the keys: those whose `use` is "sig" or absent and whose `kid` is a non-empty string, the first
  one per kid. An RSA key whose `n`/`e` do not decode is skipped (PyJWKSet skips keys that do not
  parse); a key of another type or algorithm, an RSA key with private parts, or one under
  MIN_RSA_KEY_BITS or with an exponent other than 65537 is published but unusable: a token naming
  its kid is refused (`key_not_rs256`, `weak_key`), and a weak key is logged when the set is read.

And what CoolingJWKClient added on top: a failed fetch starts the cool-down too (an unreachable
endpoint is asked once per cool-down, not on every request, each waiting for the timeout), and every
failure (HTTP error, timeout, reset, a body that is not a usable key set) is `jwks_unavailable`.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import ssl
import threading
import time
import urllib.request
from typing import Any, NamedTuple

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey, RSAPublicNumbers

from authz.errors import Unauthorized
from authz.logs import LOGGER_NAME, log

ALGORITHM = "RS256"
MAX_KID_LENGTH = 256
USER_AGENT = "cognito-fine-grained-authorizer/1"
# The weakest RSA key the JWKS may publish (Cognito's keys are 2048-bit with e = 65537; NIST SP
# 800-131A disallows RSA signatures under 2048 bits). PyJWT only warned about short keys and checked
# no exponent: a key under these bounds is left out of the index when the JWKS is read.
MIN_RSA_KEY_BITS = 2048
RSA_PUBLIC_EXPONENT = 65537
# The `alg` values PyJWT knows; a key naming any other is skipped, as PyJWKSet skips it.
_KNOWN_ALGORITHMS = frozenset(
    {"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}
    | {"ES256", "ES256K", "ES384", "ES521", "ES512", "EdDSA", "Ed25519", "Ed448"}
)
_KEY_TYPES = frozenset({"RSA", "EC", "OKP", "oct"})
_LOGGER = logging.getLogger(LOGGER_NAME)


class KeySet(NamedTuple):
    """One fetched JWKS, indexed."""

    fetched_at: float  # time.monotonic() of the fetch
    usable: dict[str, RSAPublicKey]  # kid -> its RS256 key
    refused: dict[str, str]  # kid -> why its (first) key cannot verify a token


class Jwks:
    def __init__(self, uri: str, *, lifespan: float, cooldown: float, timeout: float) -> None:
        if not uri.lower().startswith(("https://", "http://")):
            raise ValueError(f"the JWKS URL must be http(s): {uri!r}")
        self.uri = uri
        self.lifespan = lifespan
        self.cooldown = cooldown
        self.timeout = timeout
        self.ssl_context = _tls_context(uri)
        self._keys: KeySet | None = None
        self._last_success: float | None = None
        self._failed_at: float | None = None
        self._opener: urllib.request.OpenerDirector | None = None
        self._lock = threading.RLock()

    def cached(self, kid: str) -> RSAPublicKey | None:
        """The RS256 key the key set publishes under `kid`, if that set is still within its
        lifespan; else None. Never fetches (every warm decision and token-cache hit asks this)."""
        keys = self._keys
        if keys is None or time.monotonic() > keys.fetched_at + self.lifespan:
            return None
        return keys.usable.get(kid)

    def key(self, kid: str) -> RSAPublicKey:
        """The RS256 key for `kid`, fetching the key set when the cached one is missing or past its
        lifespan, or (once per cool-down) when it does not name `kid`. Raises Unauthorized with
        `jwks_unavailable`, `unknown_kid`, `key_not_rs256` or `weak_key`."""
        with self._lock:
            keys = self._keys
            if keys is None or time.monotonic() > keys.fetched_at + self.lifespan:
                keys = self._fetch()
            if kid not in keys.usable and kid not in keys.refused:
                last = self._last_success
                if last is None or time.monotonic() - last >= self.cooldown:
                    keys = self._fetch()
            key = keys.usable.get(kid)
            if key is not None:
                return key
            raise Unauthorized(keys.refused.get(kid, "unknown_kid"))

    def _fetch(self) -> KeySet:
        now = time.monotonic()
        if self._failed_at is not None and now - self._failed_at < self.cooldown:
            raise Unauthorized("jwks_unavailable")  # failed recently: not during the cool-down
        try:
            keys = self._index(self._get(), now)
        except Exception:  # any failure means no usable key set: the caller cannot be verified
            self._failed_at = now
            raise Unauthorized("jwks_unavailable") from None
        self._keys, self._last_success, self._failed_at = keys, now, None
        return keys

    def _get(self) -> Any:
        if self._opener is None:
            self._opener = urllib.request.build_opener(
                _NoRedirect(), urllib.request.HTTPSHandler(context=self.ssl_context)
            )
        request = urllib.request.Request(  # noqa: S310 - http(s) only, checked in __init__
            self.uri, headers={"Accept": "application/json", "User-Agent": USER_AGENT}
        )
        with self._opener.open(request, timeout=self.timeout) as response:
            return json.load(response)

    def _index(self, document: Any, now: float) -> KeySet:
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise ValueError("not a JWK set")
        previous = self._keys.usable if self._keys is not None else {}
        usable: dict[str, RSAPublicKey] = {}
        refused: dict[str, str] = {}
        for jwk in document["keys"]:
            if not isinstance(jwk, dict) or jwk.get("use") not in ("sig", None):
                continue
            kid = jwk.get("kid")
            if not isinstance(kid, str) or not kid or kid in usable or kid in refused:
                continue
            found = _read(jwk)
            if found is None:
                continue  # does not parse: skipped, as PyJWKSet skips it
            if isinstance(found, str):
                refused[kid] = found
                continue
            weakness = _weakness(found)
            if weakness:
                # The kid, the reason and the key's size; never the key's numbers.
                log(
                    _LOGGER,
                    logging.WARNING,
                    "jwks key refused",
                    kid=kid[:MAX_KID_LENGTH],
                    reason=weakness,
                    key_bits=found.key_size,
                )
                refused[kid] = "weak_key"
                continue
            old = previous.get(kid)
            # A key whose numbers did not change keeps its object, so tokens it verified stay
            # recognisable across a fetch (TokenVerifier.still_valid compares objects).
            usable[kid] = old if old is not None and old.public_numbers() == found.public_numbers() else found
        if not usable and not refused:
            raise ValueError("no usable keys")
        return KeySet(now, usable, refused)


def _read(jwk: dict[str, Any]) -> RSAPublicKey | str | None:
    """The JWK's RS256 public key; a reason it is published but unusable; None if it does not parse."""
    kty = jwk.get("kty")
    if not isinstance(kty, str) or kty not in _KEY_TYPES:
        return None
    alg = jwk.get("alg") or ("RS256" if kty == "RSA" else None)  # PyJWK's default for an RSA key
    if alg is not None and (not isinstance(alg, str) or alg not in _KNOWN_ALGORITHMS):
        return None
    if kty != "RSA" or alg != ALGORITHM or "d" in jwk:  # another type or algorithm, or a private key
        return "key_not_rs256"
    try:
        exponent, modulus = _uint(jwk["e"]), _uint(jwk["n"])
        return RSAPublicNumbers(exponent, modulus).public_key()
    except (KeyError, TypeError, ValueError, binascii.Error):
        return None


def _uint(value: object) -> int:
    """A base64url big-endian unsigned integer, decoded as PyJWT's from_base64url_uint does."""
    if not isinstance(value, str):
        raise TypeError("not a string")
    raw = value.encode()
    return int.from_bytes(base64.urlsafe_b64decode(raw + b"=" * (-len(raw) % 4)), "big")


def _weakness(key: RSAPublicKey) -> str:
    """Why an RS256 key from the JWKS is not used (empty when it is fine)."""
    if key.key_size < MIN_RSA_KEY_BITS:
        return "rsa_key_too_short"
    if key.public_numbers().e != RSA_PUBLIC_EXPONENT:
        return "rsa_exponent_not_65537"
    return ""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an error: the keys come from the configured URL or not at all."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _tls_context(uri: str) -> ssl.SSLContext:
    """Built once per container: without one, urllib's default HTTPS handler loads the CA bundle
    (~20 ms measured) on every fetch, even of a plain-http URL. An https JWKS gets the default
    context (certificate and host checks on); a plain-http one (loopback only, see settings.py)
    never uses TLS, so it gets a context that trusts no CA at all: cheap (~1 ms), and it would
    refuse any certificate if it were ever used."""
    if uri.lower().startswith("https:"):
        return ssl.create_default_context()
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)

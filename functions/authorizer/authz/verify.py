"""Verify a Cognito token and turn it into the few claims the decision needs.

The JWKS is fetched and parsed by PyJWT's `PyJWKClient` (timeout, TTL cache, one refetch on an
unknown `kid` with a cool-down, no redirects, http(s) only). `CoolingJWKClient` adds one thing the
library lacks, found by reading its source: the cool-down only starts after a *successful* fetch, so
while the endpoint is down every request would try again (each waiting for the timeout). Here a
failed fetch also starts the cool-down, and every failed fetch (a reset connection or a body that is
not JSON too, which PyJWT lets through unwrapped) is reported as `jwks_unavailable`.

The token itself is parsed and verified once, by `authz/jws.py` (with PyJWT's `jwt.decode`
semantics; see that module for why it does not call PyJWT). Keys come from an index of the cached
JWKS, rebuilt only when PyJWKClient's cache holds a new key set, so a warm decision costs one dict
lookup instead of PyJWKClient's lock, list filter and scan.

Checks, in order (any failure -> Unauthorized with a token-free reason code):
segments, padding and header well-formed -> header `alg` is exactly RS256 and `kid` is a short
string -> the key for `kid` exists and is an RS256 RSA key -> signature -> payload is a JSON object
-> `exp`/`iat`/`iss`/`sub`/`token_use` present, `exp`/`iat` and `nbf` if present with
CLOCK_SKEW_SECONDS -> `iss` equals the configured issuer -> (ID tokens) `aud` names an allowed
client -> `sub`/`jti` are strings -> `token_use` equals the configured use -> `client_id` (access)
or `aud` (id) is an allowed client -> `sub` is a non-empty string.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt.exceptions import PyJWKClientConnectionError, PyJWKClientError, PyJWKSetError

from authz import jws
from authz.errors import Unauthorized
from authz.settings import Settings

ALGORITHM = jws.ALGORITHM
MAX_KID_LENGTH = 256
USER_AGENT = "cognito-fine-grained-authorizer/1"
# jwt.decode's `require` option, kept as it was: present and not null.
REQUIRED_CLAIMS = ("exp", "iat", "iss", "sub", "token_use")


class CoolingJWKClient(jwt.PyJWKClient):
    """PyJWKClient whose cool-down also covers failed fetches (see the module docstring)."""

    def __init__(self, uri: str, *, lifespan: float, cooldown: float, timeout: float) -> None:
        super().__init__(
            uri,
            cache_jwk_set=True,
            lifespan=lifespan,
            timeout=timeout,
            cooldown_duration=cooldown,
            headers={"Accept": "application/json", "User-Agent": USER_AGENT},
            ssl_context=_tls_context(uri),
        )
        self._failed_at: float | None = None

    def fetch_data(self) -> Any:
        now = time.monotonic()
        if self._failed_at is not None and now - self._failed_at < self.cooldown_duration:
            raise PyJWKClientConnectionError("JWKS fetch failed recently; not retrying during the cool-down")
        try:
            data = super().fetch_data()
        except jwt.PyJWTError:
            self._failed_at = now
            raise
        except Exception as exc:
            # PyJWT wraps URL errors and timeouts only: a connection reset mid-answer or a body that
            # is not JSON escaped as itself. Both mean "no usable key set", like any failed fetch.
            self._failed_at = now
            raise PyJWKClientConnectionError(f"JWKS fetch failed: {type(exc).__name__}") from exc
        self._failed_at = None
        return data


def _tls_context(uri: str) -> ssl.SSLContext:
    """Built once per container and always passed: without one, PyJWT's opener builds urllib's
    default HTTPS handler, which loads the CA bundle (~20 ms measured) on every fetch, even of a
    plain-http URL. An https JWKS gets the default context (certificate and host checks on); a
    plain-http one (loopback only, see settings.py) never uses TLS, so it gets a context that
    trusts no CA at all: cheap (~1 ms), and it would refuse any certificate if it were ever used."""
    if uri.lower().startswith("https:"):
        return ssl.create_default_context()
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


class Identity(NamedTuple):
    """What a verified token says about its caller."""

    sub: str
    username: str
    groups: tuple[str, ...] | None  # None: the claim is present but not a list of strings
    client_id: str
    # For the revocation check (authz/revocation.py): `iat` as PyJWT compares it (0, the safe
    # default, is earlier than any revocation) and the refresh-token family (`origin_jti`, which
    # Cognito's access and ID tokens carry when the client has token revocation on).
    issued_at: int = 0
    origin_jti: str | None = None


class VerifiedToken(NamedTuple):
    """A verified token's identity, and what `TokenVerifier.still_valid` needs to tell later whether
    verifying the same token again would still succeed: its kid, the key object that verified it,
    and its time bounds."""

    identity: Identity
    kid: str
    key: RSAPublicKey
    times: jws.TimeBounds


class _KeyIndex(NamedTuple):
    source: object  # the PyJWKSet this index was built from
    keys: dict[str, RSAPublicKey | None]  # kid -> RS256 key; None: the kid's key is not RS256


class TokenVerifier:
    def __init__(
        self,
        settings: Settings,
        jwks: jwt.PyJWKClient | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._settings = settings
        self.jwks = jwks or CoolingJWKClient(
            settings.jwks_url,
            lifespan=settings.jwks_cache_ttl,
            cooldown=settings.jwks_cooldown,
            timeout=settings.jwks_timeout,
        )
        self._clock = clock or time.time  # wall clock, as PyJWT's checks use
        self._index = _KeyIndex(None, {})
        self._audience = sorted(settings.allowed_client_ids) if settings.token_use == "id" else None  # noqa: S105

    def verify(self, token: str) -> VerifiedToken:
        parsed = jws.parse(token)
        header = parsed.header
        jws.check_algorithm(header)
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid or len(kid) > MAX_KID_LENGTH:
            raise Unauthorized("missing_kid")
        key = self._key(kid)
        jws.verify_signature(parsed, key)
        claims = jws.claims_of(parsed)
        s = self._settings
        times = jws.check_claims(
            claims,
            now=self._clock(),
            leeway=s.clock_skew,
            issuer=s.issuer,
            audience=self._audience,
            required=REQUIRED_CLAIMS,
        )
        if times is None:  # pragma: no cover - REQUIRED_CLAIMS has exp and iat
            raise Unauthorized("missing_claim_exp")
        return VerifiedToken(self._identity(claims), kid, key, times)

    def still_valid(self, token: VerifiedToken) -> bool:
        """Would `verify` accept this token again now, with the same result? Its time bounds must
        hold at this instant, and the cached JWKS must be fresh and still publish the very key that
        verified it (a rotated-out or changed key, or an expired JWKS cache, answers False: the
        caller then verifies in full, which refetches as needed)."""
        now, skew, times = self._clock(), self._settings.clock_skew, token.times
        # The comparisons of jws.check_claims (and PyJWT), on the bounds it returned.
        if times.not_before > now + skew or times.expires <= now - skew:
            return False
        return self._published_key(token.kid) is token.key

    def _key(self, kid: str) -> RSAPublicKey:
        key = self._published_key(kid)
        if key is not None:
            return key
        # Not in a fresh cached key set: PyJWKClient fetches (empty or expired cache) or refetches
        # once per cool-down (unknown kid), and reports a kid it has with a key that is not RS256.
        try:
            signing_key = self.jwks.get_signing_key(kid)
        except PyJWKClientConnectionError:
            # No key to verify with (endpoint unreachable and nothing usable cached): the token
            # cannot be verified, so the caller is not authenticated.
            raise Unauthorized("jwks_unavailable") from None
        except (PyJWKClientError, PyJWKSetError):
            raise Unauthorized("unknown_kid") from None
        if not _is_rs256(signing_key):
            raise Unauthorized("key_not_rs256")
        # The same key as the index now holds (so a later still_valid() recognises it).
        return self._published_key(kid) or signing_key.key

    def _published_key(self, kid: str) -> RSAPublicKey | None:
        """The RS256 key the *fresh* cached JWKS publishes under `kid`, with no fetch; else None."""
        cache = self.jwks.jwk_set_cache
        current = cache.get() if cache is not None else None  # None when empty or past its TTL
        if current is None:
            return None
        index = self._index
        if index.source is not current:
            index = self._reindex(current)
        return index.keys.get(kid)

    def _reindex(self, key_set: Any) -> _KeyIndex:
        """kid -> key for the signing keys, first one per kid (as PyJWKClient.match_kid picks it).
        A key whose numbers did not change keeps its old object, so tokens it verified stay
        recognisable across a JWKS refetch."""
        previous = self._index.keys
        keys: dict[str, RSAPublicKey | None] = {}
        for jwk in key_set.keys:
            kid = jwk.key_id
            if jwk.public_key_use not in ("sig", None) or not kid or kid in keys:
                continue
            key = jwk.key if _is_rs256(jwk) else None
            old = previous.get(kid)
            if key is not None and old is not None and old.public_numbers() == key.public_numbers():
                key = old
            keys[kid] = key
        index = _KeyIndex(key_set, keys)
        self._index = index
        return index

    def _identity(self, claims: dict[str, Any]) -> Identity:
        s = self._settings
        if claims.get("token_use") != s.token_use:
            raise Unauthorized("wrong_token_use")
        if s.token_use == "access":  # noqa: S105 - a claim value, not a secret
            client_id = claims.get("client_id")
            username = claims.get("username")
        else:
            client_id = claims.get("aud")
            username = claims.get("cognito:username")
        if not isinstance(client_id, str) or client_id not in s.allowed_client_ids:
            raise Unauthorized("client_not_allowed")
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub.strip():
            raise Unauthorized("missing_claim_sub")
        raw_groups = claims.get("cognito:groups", [])
        groups: tuple[str, ...] | None
        if isinstance(raw_groups, list) and all(isinstance(g, str) and g for g in raw_groups):
            groups = tuple(dict.fromkeys(raw_groups))  # de-duplicated, order kept
        else:
            groups = None
        origin_jti = claims.get("origin_jti")
        return Identity(
            sub=sub,
            username=username if isinstance(username, str) else "",
            groups=groups,
            client_id=client_id,
            issued_at=int(claims["iat"]),  # present and int()-convertible: jws.check_claims said so
            origin_jti=origin_jti if isinstance(origin_jti, str) and origin_jti else None,
        )


def _is_rs256(jwk: Any) -> bool:
    return bool(
        jwk.algorithm_name == ALGORITHM and jwk.key_type == "RSA" and isinstance(jwk.key, RSAPublicKey)
    )

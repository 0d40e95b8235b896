"""Verify a Cognito token and turn it into the few claims the decision needs.

The JWKS is handled by PyJWT's `PyJWKClient` (timeout, TTL cache, one refetch on an unknown `kid`
with a cool-down, no redirects, http(s) only). `CoolingJWKClient` adds one thing the library lacks,
found by reading its source: the cool-down only starts after a *successful* fetch, so while the
endpoint is down every request would try again (each waiting for the timeout). Here a failed fetch
also starts the cool-down, and every failed fetch (a reset connection or a body that is not JSON
too, which PyJWT lets through unwrapped) is reported as `jwks_unavailable`.

Checks, in order (any failure -> Unauthorized with a token-free reason code):
header `alg` is exactly RS256 and `kid` is a short string -> the key for `kid` exists and is RSA ->
signature -> `exp`/`iat` required, `nbf` if present, with CLOCK_SKEW_SECONDS -> `iss` equals the
configured issuer -> `token_use` equals the configured use -> `client_id` (access) or `aud` (id) in
the allowed client list -> `sub` is a non-empty string.
"""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass
from typing import Any

import jwt
from jwt.exceptions import PyJWKClientConnectionError, PyJWKClientError, PyJWKSetError

from authz.errors import Unauthorized
from authz.settings import Settings

ALGORITHM = "RS256"
MAX_KID_LENGTH = 256
USER_AGENT = "cognito-fine-grained-authorizer/1"


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
            # Built once per container: PyJWT would otherwise build a default context (loading the CA
            # bundle, ~20 ms measured) on every fetch. Certificate and host checks stay on.
            ssl_context=ssl.create_default_context(),
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


@dataclass(frozen=True)
class Identity:
    """What a verified token says about its caller."""

    sub: str
    username: str
    groups: tuple[str, ...] | None  # None: the claim is present but not a list of strings
    client_id: str


class TokenVerifier:
    def __init__(self, settings: Settings, jwks: jwt.PyJWKClient | None = None) -> None:
        self._settings = settings
        self.jwks = jwks or CoolingJWKClient(
            settings.jwks_url,
            lifespan=settings.jwks_cache_ttl,
            cooldown=settings.jwks_cooldown,
            timeout=settings.jwks_timeout,
        )

    def verify(self, token: str) -> Identity:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise Unauthorized("malformed_token") from None
        if header.get("alg") != ALGORITHM:
            raise Unauthorized("algorithm_not_allowed")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid or len(kid) > MAX_KID_LENGTH:
            raise Unauthorized("missing_kid")
        key = self._key(kid)
        claims = self._decode(token, key)
        return self._identity(claims)

    def _key(self, kid: str) -> Any:
        try:
            signing_key = self.jwks.get_signing_key(kid)
        except PyJWKClientConnectionError:
            # No key to verify with (endpoint unreachable and nothing usable cached): the token
            # cannot be verified, so the caller is not authenticated.
            raise Unauthorized("jwks_unavailable") from None
        except (PyJWKClientError, PyJWKSetError):
            raise Unauthorized("unknown_kid") from None
        if signing_key.algorithm_name != ALGORITHM or signing_key.key_type != "RSA":
            raise Unauthorized("key_not_rs256")
        return signing_key.key

    def _decode(self, token: str, key: Any) -> dict[str, Any]:
        s = self._settings
        check_aud = s.token_use == "id"  # noqa: S105 - a claim value, not a secret
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                issuer=s.issuer,
                audience=sorted(s.allowed_client_ids) if check_aud else None,
                leeway=s.clock_skew,
                options={
                    "require": ["exp", "iat", "iss", "sub", "token_use"],
                    "verify_aud": check_aud,
                },
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("token_expired") from None
        except jwt.ImmatureSignatureError:
            raise Unauthorized("token_not_yet_valid") from None
        except jwt.InvalidIssuerError:
            raise Unauthorized("wrong_issuer") from None
        except jwt.InvalidAudienceError:
            raise Unauthorized("client_not_allowed") from None
        except jwt.InvalidSignatureError:
            raise Unauthorized("bad_signature") from None
        except jwt.MissingRequiredClaimError as exc:
            raise Unauthorized(f"missing_claim_{exc.claim}") from None
        except jwt.InvalidTokenError as exc:
            raise Unauthorized(f"invalid_token_{type(exc).__name__}") from None
        return claims

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
        return Identity(
            sub=sub,
            username=username if isinstance(username, str) else "",
            groups=groups,
            client_id=client_id,
        )

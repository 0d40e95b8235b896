"""Login-token checks of the identity pool (GetId, GetCredentialsForIdentity).

Cognito identity pools accept a login (`Logins[provider] = token`) only after verifying the token:
RS256 signature against the issuer's published keys, `iss` equal to `https://<provider>`, `aud`
one of the client ids configured for that provider, not expired. Errors carry the messages Cognito
returns (all NotAuthorizedException), e.g. "Invalid login token. Incorrect token audience.".

Signature checking uses PyJWT (pinned algorithms, required claims). Keys come from a `KeyLookup`
(kid → public key): the user pool's own key, the local OIDC issuer in-process, or, for any other
issuer, its OpenID discovery document and JWKS over HTTPS (`RemoteJwks`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import jwt
import requests

from local.core.errors import AwsError, not_authorized

#: Clock skew tolerated on exp/iat/nbf, in seconds.
LEEWAY_SECONDS = 60
#: Algorithms accepted from OIDC issuers (asymmetric only; Cognito user pools use RS256).
OIDC_ALGORITHMS = ("RS256", "RS384", "RS512")
USER_POOL_ALGORITHMS = ("RS256",)
#: Remote discovery: how long a fetched JWKS is trusted, and the HTTP timeout.
REMOTE_JWKS_TTL_SECONDS = 300
REMOTE_FETCH_TIMEOUT_SECONDS = 5
REMOTE_REFETCH_COOLDOWN_SECONDS = 30

KeyLookup = Callable[[str | None], Any]
"""kid → a public key PyJWT can verify with; raises KeyError when the issuer has no such key."""

INVALID_TOKEN = "Invalid login token. Not a valid OpenId Connect identity token."  # noqa: S105 - a message
UNVERIFIABLE = "Invalid login token. Couldn't verify signed token."
WRONG_ISSUER = "Invalid login token. Issuer doesn't match providerName"
WRONG_AUDIENCE = "Invalid login token. Incorrect token audience."
NOT_YET_VALID = "Invalid login token. Token is not valid yet."


@dataclass(frozen=True)
class LoginProvider:
    """A provider as configured on an identity pool, with what its tokens must satisfy."""

    name: str  # the Logins key, e.g. cognito-idp.us-east-1.amazonaws.com/us-east-1_X or host/path
    audiences: tuple[str, ...]
    keys: KeyLookup = field(repr=False)
    algorithms: tuple[str, ...] = OIDC_ALGORITHMS
    required_token_use: str | None = None  # "id" for user pools

    @property
    def issuer(self) -> str:
        return f"https://{self.name}"


def verify_login_token(
    token: str, provider: LoginProvider, *, leeway: int = LEEWAY_SECONDS
) -> dict[str, Any]:
    """The verified claims of `token`, or AwsError(NotAuthorizedException) with Cognito's message."""
    if not isinstance(token, str) or token.count(".") != 2:
        raise not_authorized(INVALID_TOKEN)
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise not_authorized(INVALID_TOKEN) from exc
    if header.get("alg") not in provider.algorithms:
        raise not_authorized(UNVERIFIABLE)
    try:
        key = provider.keys(header.get("kid"))
    except (KeyError, AwsError) as exc:
        raise not_authorized(UNVERIFIABLE) from exc
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=list(provider.algorithms),
            audience=list(provider.audiences),
            issuer=provider.issuer,
            leeway=leeway,
            options={"require": ["iss", "sub", "aud", "exp", "iat"]},
        )
    except jwt.ExpiredSignatureError as exc:
        exp = jwt.decode(token, options={"verify_signature": False}).get("exp")
        raise not_authorized(f"Invalid login token. Token expired: {int(time.time())} >= {exp}") from exc
    except jwt.InvalidIssuerError as exc:
        raise not_authorized(WRONG_ISSUER) from exc
    except jwt.InvalidAudienceError as exc:
        raise not_authorized(WRONG_AUDIENCE) from exc
    except jwt.ImmatureSignatureError as exc:
        raise not_authorized(NOT_YET_VALID) from exc
    except jwt.MissingRequiredClaimError as exc:
        raise not_authorized(INVALID_TOKEN) from exc
    except jwt.PyJWTError as exc:  # bad signature, malformed segments, wrong key type
        raise not_authorized(UNVERIFIABLE) from exc
    if provider.required_token_use and claims.get("token_use") != provider.required_token_use:
        raise not_authorized(INVALID_TOKEN)
    return claims


def keys_from_jwks(jwks: dict[str, Any]) -> KeyLookup:
    """A KeyLookup over a JWKS document already in hand."""
    key_set = jwt.PyJWKSet.from_dict(jwks)

    def lookup(kid: str | None) -> Any:
        for key in key_set.keys:
            if key.key_id == kid:
                return key.key
        raise KeyError(kid)

    return lookup


@dataclass
class RemoteJwks:
    """Keys of OIDC issuers outside the process: discovery document → `jwks_uri` → JWKS, cached.

    One refetch on an unknown `kid` (key rotation), at most once per TTL per issuer.
    """

    fetch_json: Callable[[str], Any] | None = None
    ttl_seconds: int = REMOTE_JWKS_TTL_SECONDS
    _cache: dict[str, tuple[float, KeyLookup]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _get(self, url: str) -> Any:
        if self.fetch_json is not None:
            return self.fetch_json(url)
        response = requests.get(url, timeout=REMOTE_FETCH_TIMEOUT_SECONDS)
        response.raise_for_status()
        return response.json()

    def _load(self, issuer: str) -> KeyLookup:
        discovery = self._get(issuer.rstrip("/") + "/.well-known/openid-configuration")
        if (
            not isinstance(discovery, dict)
            or discovery.get("issuer") != issuer
            or not discovery.get("jwks_uri")
        ):
            raise KeyError(f"{issuer}: discovery document does not describe this issuer")
        return keys_from_jwks(self._get(str(discovery["jwks_uri"])))

    def lookup_for(self, issuer: str) -> KeyLookup:
        def lookup(kid: str | None) -> Any:
            now = time.monotonic()
            with self._lock:
                cached = self._cache.get(issuer)
            if cached is not None and now - cached[0] < self.ttl_seconds:
                try:
                    return cached[1](kid)
                except KeyError:
                    if now - cached[0] < REMOTE_REFETCH_COOLDOWN_SECONDS:
                        raise
            try:
                loaded = self._load(issuer)
            except (requests.RequestException, ValueError, jwt.PyJWTError) as exc:
                raise KeyError(f"{issuer}: keys unavailable: {exc}") from exc
            with self._lock:
                self._cache[issuer] = (now, loaded)
            return loaded(kid)

        return lookup


def audiences(values: Sequence[str]) -> tuple[str, ...]:
    """Deduplicated, order-kept audiences."""
    return tuple(dict.fromkeys(v for v in values if v))

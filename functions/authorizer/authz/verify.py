"""Verify a Cognito token and turn it into the few claims the decision needs.

The pool's keys come from `authz/jwks.py` (fetched, cached, refetched on an unknown `kid` with a
cool-down, indexed by kid; a warm decision costs one dict lookup). The token itself is parsed and
verified once, by `authz/jws.py` (with PyJWT's `jwt.decode` semantics; see that module for why it
does not call PyJWT). Neither imports PyJWT: a cold start would pay for it (authz/jwks.py says how
much).

Checks, in order (any failure -> Unauthorized with a token-free reason code):
segments, padding and header well-formed -> header `alg` is exactly RS256 and `kid` is a short
string -> the key for `kid` exists and is an RS256 RSA key of at least MIN_RSA_KEY_BITS with
e = 65537 (weaker keys are left out of the index when the JWKS is loaded, and logged) ->
signature -> payload is a JSON object -> `exp`/`iat`/`iss`/`sub`/`token_use` present,
`exp`/`iat` and `nbf` if present with CLOCK_SKEW_SECONDS -> `iss` equals the configured issuer ->
(ID tokens) `aud` names an allowed client -> `sub`/`jti` are strings -> `token_use` equals the
configured use -> `client_id` (access) or `aud` (id) is an allowed user client or a declared
machine client -> `sub` is a non-empty string -> a user's token names its user; a machine client's
token has no user claims, its client id as `sub` and only scopes declared for it
(authz/machines.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, NamedTuple

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from authz import jws, machines
from authz.errors import Unauthorized
from authz.jwks import MAX_KID_LENGTH, Jwks
from authz.settings import Settings

ALGORITHM = jws.ALGORITHM
# jwt.decode's `require` option, kept as it was: present and not null.
REQUIRED_CLAIMS = ("exp", "iat", "iss", "sub", "token_use")


class Identity(NamedTuple):
    """What a verified token says about its caller: a user (groups) or a declared machine client
    (the policy key that governs it, and the scopes its token holds)."""

    sub: str
    username: str
    groups: tuple[str, ...] | None  # None: the claim is present but not a list of strings
    client_id: str
    # For the revocation check (authz/revocation.py): `iat` as PyJWT compares it (0, the safe
    # default, is earlier than any revocation) and the refresh-token family (`origin_jti`, which
    # Cognito's access and ID tokens carry when the client has token revocation on).
    issued_at: int = 0
    origin_jti: str | None = None
    kind: str = machines.USER
    policy_key: str = ""  # machines: the policy-table key of the client's governing item
    scopes: tuple[str, ...] = ()  # machines: the token's scopes


class VerifiedToken(NamedTuple):
    """A verified token's identity, and what `TokenVerifier.still_valid` needs to tell later whether
    verifying the same token again would still succeed: its kid, the key object that verified it,
    and its time bounds."""

    identity: Identity
    kid: str
    key: RSAPublicKey
    times: jws.TimeBounds


class TokenVerifier:
    def __init__(
        self,
        settings: Settings,
        jwks: Jwks | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._settings = settings
        self.jwks = jwks or Jwks(
            settings.jwks_url,
            lifespan=settings.jwks_cache_ttl,
            cooldown=settings.jwks_cooldown,
            timeout=settings.jwks_timeout,
        )
        self._clock = clock or time.time  # wall clock, as PyJWT's checks use
        self._audience = sorted(settings.allowed_client_ids) if settings.token_use == "id" else None  # noqa: S105

    def verify(self, token: str) -> VerifiedToken:
        parsed = jws.parse(token)
        header = parsed.header
        jws.check_algorithm(header)
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid or len(kid) > MAX_KID_LENGTH:
            raise Unauthorized("missing_kid")
        # From the cached key set when it is fresh and has it (no lock, no fetch), else fetched.
        key = self.jwks.cached(kid) or self.jwks.key(kid)
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
        return self.jwks.cached(token.kid) is token.key

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
        if not isinstance(client_id, str):
            raise Unauthorized("client_not_allowed")
        machine = s.machine_clients.get(client_id)
        if machine is None and client_id not in s.allowed_client_ids:
            raise Unauthorized("client_not_allowed")
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub.strip():
            raise Unauthorized("missing_claim_sub")
        if machine is not None:
            scopes = machines.check_machine_token(claims, client_id, machine)
            return Identity(
                sub=sub,
                username="",
                groups=(),
                client_id=client_id,
                issued_at=int(claims["iat"]),  # a record for the client's sub revokes its tokens too
                kind=machines.MACHINE,
                policy_key=machine.policy_key,
                scopes=scopes,
            )
        machines.check_user_token(username)
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

"""`COGNITO_USER_POOLS` authorizer: verify a user-pool JWT the way API Gateway does.

Contract (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-integrate-with-cognito.html):
* the token comes from the authorizer's identity source (normally the `Authorization` header);
  a leading ``Bearer `` is tolerated;
* RS256 only, signature checked with the JWKS of the pool named by ``iss``, which must be
  ``https://cognito-idp.<region>.amazonaws.com/<pool id>`` of one of the authorizer's provider
  ARNs; ``exp`` (and ``nbf``/``iat`` when present) checked;
* a method without OAuth scopes accepts only an ID token; a method with scopes accepts only an
  access token whose ``scope`` holds at least one of them;
* every failure is 401 ``{"message":"Unauthorized"}`` (raised here as :class:`CognitoAuthError`
  with a reason for the log, never the token);
* the claims reach the backend as `requestContext.authorizer.claims`, every value a string, as
  REST APIs deliver them (lists comma-joined, booleans ``true``/``false``, ``exp``/``iat`` as
  ``Tue Apr 04 18:39:39 UTC 2023``).

JWKS are fetched from the emulator at ``<emulator_url>/<pool id>/.well-known/jwks.json`` with
PyJWT's JWKS client (cached for :data:`JWKS_CACHE_SECONDS`, one refetch on an unknown ``kid``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import jwt

__all__ = ["JWKS_CACHE_SECONDS", "CognitoAuthError", "CognitoVerifier", "stringify_claims"]

JWKS_CACHE_SECONDS = 300
JWKS_FETCH_TIMEOUT_SECONDS = 5
JWKS_REFETCH_COOLDOWN_SECONDS = 5
_DATE_CLAIMS = ("exp", "iat")


class CognitoAuthError(Exception):
    """The token is not acceptable; ``reason`` is for logs."""


def pool_id_from_arn(arn: str) -> tuple[str, str] | None:
    """(region, pool id) of ``arn:aws:cognito-idp:<region>:<account>:userpool/<pool id>``."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "cognito-idp" or not parts[5].startswith("userpool/"):
        return None
    return parts[3], parts[5][len("userpool/") :]


def stringify_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """REST v1 `requestContext.authorizer.claims`: every value a string."""
    out: dict[str, str] = {}
    for key, value in claims.items():
        if key in _DATE_CLAIMS and isinstance(value, int | float) and not isinstance(value, bool):
            out[key] = datetime.fromtimestamp(value, tz=UTC).strftime("%a %b %d %H:%M:%S UTC %Y")
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, list | tuple):
            out[key] = ",".join(str(v) for v in value)
        elif isinstance(value, dict):
            out[key] = json.dumps(value, separators=(",", ":"))
        else:
            out[key] = str(value)
    return out


class CognitoVerifier:
    """Verifies tokens against per-pool JWKS; one instance serves every authorizer of an API."""

    def __init__(self, jwks_url: Callable[[str], str], leeway_seconds: int = 0) -> None:
        self._jwks_url = jwks_url
        self._leeway = leeway_seconds
        self._clients: dict[str, jwt.PyJWKClient] = {}
        self._lock = threading.Lock()

    def _client(self, pool_id: str) -> jwt.PyJWKClient:
        with self._lock:
            client = self._clients.get(pool_id)
            if client is None:
                client = jwt.PyJWKClient(
                    self._jwks_url(pool_id),
                    cache_jwk_set=True,
                    lifespan=JWKS_CACHE_SECONDS,
                    timeout=JWKS_FETCH_TIMEOUT_SECONDS,
                    cooldown_duration=JWKS_REFETCH_COOLDOWN_SECONDS,
                )
                self._clients[pool_id] = client
            return client

    def verify(self, raw: str | None, provider_arns: Sequence[str], scopes: Sequence[str]) -> dict[str, Any]:
        """The verified claims, or :class:`CognitoAuthError`."""
        token = (raw or "").strip()
        if token[:7].lower() == "bearer ":
            token = token[7:].strip()
        if not token:
            raise CognitoAuthError("no token in the identity source")
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise CognitoAuthError(f"malformed token: {type(exc).__name__}") from None
        if header.get("alg") != "RS256":
            raise CognitoAuthError(f"algorithm {header.get('alg')!r} is not RS256")
        issuer, pool_id = _issuer(unverified, provider_arns)
        try:
            key = self._client(pool_id).get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                issuer=issuer,
                leeway=self._leeway,
                options={"verify_aud": False, "require": ["exp", "iss", "token_use"]},
            )
        except jwt.PyJWKClientError as exc:
            raise CognitoAuthError(f"signing key not found: {exc}") from None
        except jwt.PyJWTError as exc:
            raise CognitoAuthError(f"token rejected: {type(exc).__name__}") from None

        _check_token_use(claims, scopes)
        return claims


def _issuer(unverified: dict[str, Any], provider_arns: Sequence[str]) -> tuple[str, str]:
    """(iss, pool id) when the token's issuer is one of the authorizer's user pools."""
    issuers = {}
    for arn in provider_arns:
        parsed = pool_id_from_arn(arn)
        if parsed is not None:
            region, pool_id = parsed
            issuers[f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"] = pool_id
    issuer = unverified.get("iss")
    if not isinstance(issuer, str) or issuer not in issuers:
        raise CognitoAuthError("issuer is not one of the authorizer's user pools")
    return issuer, issuers[issuer]


def _check_token_use(claims: Mapping[str, Any], scopes: Sequence[str]) -> None:
    """No scopes on the method: ID tokens only. Scopes: access tokens holding one of them."""
    use = claims.get("token_use")
    if not scopes:
        if use != "id":
            raise CognitoAuthError(f"method has no scopes: an ID token is required, got token_use={use!r}")
        return
    if use != "access":
        raise CognitoAuthError(f"method requires scopes: an access token is required, got token_use={use!r}")
    granted = set(str(claims.get("scope", "")).split())
    if not granted.intersection(scopes):
        raise CognitoAuthError("access token has none of the method's scopes")

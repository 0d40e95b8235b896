"""Token revocation in the emulator's user pools, as Cognito documents it; installed by `apply()`.

moto raises NotImplemented for RevokeToken, refreshes a disabled user's tokens, never checks that a
refresh token is redeemed by the client it was issued to, and answers a revoked token with its own
text (one path puts the token itself in the error message). Here, per the API reference
(RevokeToken, GlobalSignOut, AdminUserGlobalSignOut, AdminDisableUser) and the developer guide
("Revoking tokens"):

- RevokeToken (`Token`, `ClientId`, `ClientSecret`): only refresh tokens
  (UnsupportedTokenTypeException for an access or ID token), only when the client has token
  revocation on (UnsupportedOperationException), only by the client that obtained the token, with
  its secret when it has one (UnauthorizedException; an unknown token too: the emulator refuses what
  it cannot recognise). The refresh token is refused from then on, and every access token minted
  from it (same `origin_jti`) stops authorizing user-pool API calls. Revoking an already revoked
  token succeeds again;
- a refresh (InitiateAuth / AdminInitiateAuth, REFRESH_TOKEN(_AUTH)): `Refresh Token has been
  revoked` after RevokeToken, GlobalSignOut or AdminUserGlobalSignOut; `User is disabled.` for a
  disabled user; `Invalid Refresh Token` for a token the pool did not issue, or issued to another
  client (all NotAuthorizedException);
- AdminDisableUser revokes all of the user's access tokens ("Deactivates a user profile and revokes
  all access tokens for the user"), as the sign-outs do;
- a revoked access token presented to GetUser or GlobalSignOut: NotAuthorizedException `Access
  Token has been revoked`;
- the identity pool's ServerSideTokenCheck refuses a signed-out user's ID token ("Amazon Cognito no
  longer accepts a signed-out user's ID token in a GetId request to an identity pool with
  ServerSideTokenCheck enabled"), and an ID token of a revoked refresh-token family:
  `id_token_revoked()` (used by local.cognito_identity.federation).

Tokens the emulator signs are still valid JWTs afterwards, exactly as on AWS: "revoked tokens will
still be valid if they are verified using any JWT library". Refusing them at the API is the
product's job (functions/authorizer, authz/revocation.py).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from moto.cognitoidp import models as idp_models
from moto.cognitoidp import responses as idp_responses
from moto.cognitoidp.exceptions import InvalidParameterException, NotAuthorizedError
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult, EmptyResult

REVOKED_ACCESS = "Access Token has been revoked"
REVOKED_REFRESH = "Refresh Token has been revoked"
INVALID_REFRESH = "Invalid Refresh Token"
INVALID_ACCESS = "Invalid Access Token"
USER_DISABLED = "User is disabled."
_REFRESH_FLOWS = frozenset({"REFRESH_TOKEN", "REFRESH_TOKEN_AUTH"})


def _error(code: str, message: str) -> JsonRESTError:
    return JsonRESTError(code, message)


def token_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT this emulator signed (not verified: used only to find its family)."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return {}
    return payload if isinstance(payload, dict) else {}


def _revoked_access(pool: Any) -> set[str]:
    revoked: set[str] | None = getattr(pool, "local_revoked_access_tokens", None)
    if revoked is None:
        revoked = pool.local_revoked_access_tokens = set()
    return revoked


def revoke_access_tokens(pool: Any, which: Callable[[str, tuple[str, str]], bool]) -> int:
    """Stop the access tokens `which` selects from authorizing user-pool API calls."""
    chosen = [token for token, issued in list(pool.access_tokens.items()) if which(token, issued)]
    revoked = _revoked_access(pool)
    for token in chosen:
        pool.access_tokens.pop(token, None)
        revoked.add(token)
    return len(chosen)


def _revoked_families(pool: Any) -> set[str]:
    families: set[str] | None = getattr(pool, "local_revoked_families", None)
    if families is None:
        families = pool.local_revoked_families = set()
    return families


def _signed_out_at(pool: Any) -> dict[str, float]:
    signed_out: dict[str, float] | None = getattr(pool, "local_signed_out_at", None)
    if signed_out is None:
        signed_out = pool.local_signed_out_at = {}
    return signed_out


def id_token_revoked(pool: Any, claims: dict[str, Any]) -> bool:
    """Was this (verified) ID token's session ended: its family revoked, or its user signed out
    everywhere after it was issued?"""
    if claims.get("origin_jti") in getattr(pool, "local_revoked_families", ()):
        return True
    user = pool._get_user(str(claims.get("cognito:username") or ""))
    signed_out = getattr(pool, "local_signed_out_at", {}).get(user.username) if user is not None else None
    try:
        issued = int(claims.get("iat", 0))
    except (TypeError, ValueError):
        return True
    return signed_out is not None and issued < signed_out


def _pool_of_client(backend: Any, client_id: str) -> Any | None:
    for pool in backend.user_pools.values():
        if client_id in pool.clients:
            return pool
    return None


# --- RevokeToken -----------------------------------------------------------------------------------


def revoke_token(self: Any, token: str, client_id: str, client_secret: str | None) -> None:
    if not token or not client_id:
        raise InvalidParameterException("Token and ClientId are required")
    pool = _pool_of_client(self, client_id)
    if pool is None:
        raise _error("UnauthorizedException", f"Client {client_id} does not exist in any user pool")
    client = pool.clients[client_id]
    if not client.extended_config.get("EnableTokenRevocation", True):  # Cognito's default: on
        raise _error("UnsupportedOperationException", "Token revocation isn't enabled for this app client")
    if client.generate_secret and not hmac.compare_digest(str(client_secret or ""), str(client.secret)):
        raise _error("UnauthorizedException", f"Unable to verify the secret of client {client_id}")
    if token in pool.access_tokens or token in pool.id_tokens or token_claims(token):
        raise _error("UnsupportedTokenTypeException", "Only refresh tokens can be revoked")
    if token not in pool.refresh_tokens:
        raise _error("UnauthorizedException", INVALID_REFRESH)
    issued = pool.refresh_tokens[token]
    if issued is None:
        return  # revoked already (RevokeToken or a sign-out): nothing more to do
    issued_client, _username, origin_jti = issued
    if issued_client != client_id:
        raise _error(
            "UnauthorizedException", "A refresh token must be revoked by the app client that obtained it"
        )
    pool.refresh_tokens[token] = None
    _revoked_families(pool).add(origin_jti)
    revoke_access_tokens(pool, lambda access, _issued: token_claims(access).get("origin_jti") == origin_jti)


def _response_revoke_token(self: Any) -> ActionResult:
    self.backend.revoke_token(
        self._get_param("Token"), self._get_param("ClientId"), self._get_param("ClientSecret")
    )
    return EmptyResult()


# --- refreshes -------------------------------------------------------------------------------------


def check_refresh(pool: Any, refresh_token: str | None, client_id: str | None) -> None:
    """Raise what Cognito answers when `refresh_token` may not be redeemed (by `client_id`)."""
    if not refresh_token or refresh_token not in pool.refresh_tokens:
        raise NotAuthorizedError(INVALID_REFRESH)
    issued = pool.refresh_tokens[refresh_token]
    if issued is None:
        raise NotAuthorizedError(REVOKED_REFRESH)
    issued_client, username, _origin_jti = issued
    if client_id is not None and issued_client != client_id:
        raise NotAuthorizedError(INVALID_REFRESH)
    user = pool._get_user(username)
    if user is None:
        raise NotAuthorizedError(REVOKED_REFRESH)
    if not user.enabled:
        raise NotAuthorizedError(USER_DISABLED)


def _wrap_create_tokens_from_refresh_token(original: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(original)
    def create_tokens_from_refresh_token(self: Any, refresh_token: str) -> Any:
        check_refresh(self, refresh_token, None)
        return original(self, refresh_token)

    return create_tokens_from_refresh_token


def _wrap_initiate_auth(original: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(original)
    def initiate_auth(self: Any, client_id: str, auth_flow: str, auth_parameters: dict[str, str]) -> Any:
        if auth_flow in _REFRESH_FLOWS:
            pool = _pool_of_client(self, client_id)
            if pool is not None:
                check_refresh(pool, (auth_parameters or {}).get("REFRESH_TOKEN"), client_id)
        return original(self, client_id, auth_flow, auth_parameters)

    return initiate_auth


def _wrap_admin_initiate_auth(original: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(original)
    def admin_initiate_auth(
        self: Any, user_pool_id: str, client_id: str, auth_flow: str, auth_parameters: dict[str, str]
    ) -> Any:
        if auth_flow in _REFRESH_FLOWS:
            pool = self.user_pools.get(user_pool_id)
            if pool is not None:
                check_refresh(pool, (auth_parameters or {}).get("REFRESH_TOKEN"), client_id)
        return original(self, user_pool_id, client_id, auth_flow, auth_parameters)

    return admin_initiate_auth


# --- sign-outs, disabling, revoked access tokens ---------------------------------------------------


def _sign_out(self: Any, username: str) -> None:
    """GlobalSignOut / AdminUserGlobalSignOut (moto's pool.sign_out): every refresh token and access
    token of the user, whatever name they were issued under. moto compares the name as given with the
    name each token was issued to; in a pool that signs in by email those differ (the email, or the
    sub a token's `username` claim carries), and nothing was signed out."""
    target = self._get_user(username)
    if target is None:
        return

    def same(name: str) -> bool:
        user = self._get_user(name)
        return user is not None and user.id == target.id

    for token, issued in list(self.refresh_tokens.items()):
        if issued is not None and same(issued[1]):
            self.refresh_tokens[token] = None
    revoke_access_tokens(self, lambda _token, issued: same(issued[1]))
    _signed_out_at(self)[target.username] = time.time()


def _wrap_admin_disable_user(original: Callable[..., None]) -> Callable[..., None]:
    @wraps(original)
    def admin_disable_user(self: Any, user_pool_id: str, username: str) -> None:
        original(self, user_pool_id, username)
        pool = self.describe_user_pool(user_pool_id)
        user = self.admin_get_user(user_pool_id, username)
        revoke_access_tokens(pool, lambda _token, issued: issued[1] == user.username)

    return admin_disable_user


def _check_access_token(backend: Any, access_token: str) -> None:
    for pool in backend.user_pools.values():
        if access_token in getattr(pool, "local_revoked_access_tokens", ()):
            raise NotAuthorizedError(REVOKED_ACCESS)


def _wrap_get_user(original: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(original)
    def get_user(self: Any, access_token: str) -> Any:
        _check_access_token(self, access_token)
        return original(self, access_token)

    return get_user


def _wrap_global_sign_out(original: Callable[..., None]) -> Callable[..., None]:
    @wraps(original)
    def global_sign_out(self: Any, access_token: str) -> None:
        _check_access_token(self, access_token)
        if not any(access_token in pool.access_tokens for pool in self.user_pools.values()):
            raise NotAuthorizedError(INVALID_ACCESS)  # moto would echo the token in the message
        original(self, access_token)

    return global_sign_out


def _install(target: Any, name: str, value: Any) -> None:
    setattr(target, name, value)


def apply() -> None:
    """Install the patches above (called once, from `local.cognito_idp.patches.apply`)."""
    pool_cls = idp_models.CognitoIdpUserPool
    _install(
        pool_cls,
        "create_tokens_from_refresh_token",
        _wrap_create_tokens_from_refresh_token(pool_cls.create_tokens_from_refresh_token),
    )
    _install(pool_cls, "sign_out", _sign_out)
    backend_cls = idp_models.CognitoIdpBackend
    _install(backend_cls, "revoke_token", revoke_token)
    _install(backend_cls, "initiate_auth", _wrap_initiate_auth(backend_cls.initiate_auth))
    _install(backend_cls, "admin_initiate_auth", _wrap_admin_initiate_auth(backend_cls.admin_initiate_auth))
    _install(backend_cls, "admin_disable_user", _wrap_admin_disable_user(backend_cls.admin_disable_user))
    _install(backend_cls, "get_user", _wrap_get_user(backend_cls.get_user))
    _install(backend_cls, "global_sign_out", _wrap_global_sign_out(backend_cls.global_sign_out))
    _install(idp_responses.CognitoIdpResponse, "revoke_token", _response_revoke_token)

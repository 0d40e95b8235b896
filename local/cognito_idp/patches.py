"""Patches of moto's Cognito user pools (cognito-idp), applied by `local.emulator.apply_patches()`.

What changes, and why (each is what real Cognito does):
- every user pool gets its own RSA signing key and `kid` (moto signs all pools with one key that is
  public in its source); JWKS and `/.well-known/openid-configuration` serve that pool's key;
- ID tokens carry `cognito:roles` / `cognito:preferred_role` (see `local.cognito_idp.claims`), groups in
  a stable order, and every attribute the client may read (its ReadAttributes, or without them the
  standard attributes and no custom one; moto: only explicit ReadAttributes),
  with `email_verified`/`phone_number_verified` as booleans;
- token lifetimes follow the app client's IdTokenValidity/AccessTokenValidity and units;
- InitiateAuth/AdminInitiateAuth enforce the client's ExplicitAuthFlows and, for clients with a
  secret, SECRET_HASH on the password flows; a pool requiring MFA answers a password sign-in of a
  user without a factor with MFA_SETUP, and TOTP codes are always checked (`local.cognito_idp.mfa`);
- DeleteResourceServer and UpdateResourceServer exist (Terraform needs them to update/destroy);
- RevokeToken exists, and revoked, signed-out or disabled users' tokens are refused as Cognito
  documents (`local.cognito_idp.revocation`); the admin calls the product's revocation feed listens
  to are recorded for EventBridge as CloudTrail does (`local.cognito_idp.trail`);
- CreateUserPoolClient/UpdateUserPoolClient refuse the OAuth settings Cognito refuses
  (client_credentials without a secret, with a user flow or with a non-custom scope; an undeclared
  custom scope: `local.cognito_idp.client_config`);
- every path that writes user attributes (AdminCreateUser, SignUp, AdminUpdateUserAttributes,
  UpdateUserAttributes) checks the names against the pool's schema, the app client's write
  permissions and immutability, and applies Cognito's email/phone change rules
  (`local.cognito_idp.user_attributes`); tokens are built from the readable attributes first and the
  claims Cognito sets itself (iss, sub, aud, exp, token_use, cognito:*, ...) last, so no attribute
  can stand in for one of them.

Known gap, failing closed: moto's USER_SRP_AUTH accepts any password (it never checks the SRP
proof). Rather than let a wrong password sign in, the emulator refuses USER_SRP_AUTH with an
InvalidParameterException that says so; sign in with USER_PASSWORD_AUTH (the project's clients do).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlparse

from moto.cognitoidp import models as idp_models
from moto.cognitoidp import responses as idp_responses
from moto.cognitoidp import urls as idp_urls
from moto.cognitoidp.exceptions import InvalidParameterException, NotAuthorizedError, ResourceNotFoundError
from moto.cognitoidp.utils import check_secret_hash, expand_attrs, flatten_attrs
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow
from moto.moto_api._internal import mock_random

from local.cognito_idp import client_config, mfa, revocation, trail, user_attributes
from local.cognito_idp.claims import group_claims, group_names
from local.cognito_idp.pools import (
    ACCESS_TOKEN_USE,
    DEFAULT_TOKEN_SECONDS,
    ID_TOKEN_USE,
    find_user_pool,
    pool_issuer,
    pool_signing_key,
    readable_attribute_claims,
    token_validity_seconds,
    user_groups,
)
from local.core.errors import AwsError
from local.core.keys import generate_signing_key, jwks_document

CognitoIdpUserPool = idp_models.CognitoIdpUserPool
CognitoIdpUser = idp_models.CognitoIdpUser
CognitoIdpUserPoolClient = idp_models.CognitoIdpUserPoolClient

#: Token-protocol values moto and the hosted UI pass through `extra_data` (not user attributes).
_PROTOCOL_EXTRAS = frozenset({"origin_jti", "scope", "version", "at_hash", "nonce", "event_id"})

# Which ExplicitAuthFlows value allows which AuthFlow (current ALLOW_* names and legacy names).
_FLOW_SETTINGS: dict[str, set[str]] = {
    "USER_PASSWORD_AUTH": {"ALLOW_USER_PASSWORD_AUTH", "USER_PASSWORD_AUTH"},
    "USER_SRP_AUTH": {"ALLOW_USER_SRP_AUTH"},
    "CUSTOM_AUTH": {"ALLOW_CUSTOM_AUTH", "CUSTOM_AUTH_FLOW_ONLY"},
    "REFRESH_TOKEN_AUTH": {"ALLOW_REFRESH_TOKEN_AUTH"},
    "REFRESH_TOKEN": {"ALLOW_REFRESH_TOKEN_AUTH"},
    "ADMIN_USER_PASSWORD_AUTH": {"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"},
    "ADMIN_NO_SRP_AUTH": {"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"},
}
_LEGACY_FLOWS = {"ADMIN_NO_SRP_AUTH", "CUSTOM_AUTH_FLOW_ONLY", "USER_PASSWORD_AUTH"}
# Cognito: "If you don't specify a value for ExplicitAuthFlows, your user client supports
# ALLOW_REFRESH_TOKEN_AUTH, ALLOW_USER_SRP_AUTH, and ALLOW_CUSTOM_AUTH." Legacy-only settings keep
# SRP and refresh allowed as well.
_DEFAULT_FLOWS = {"ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
SRP_UNSUPPORTED = (
    "USER_SRP_AUTH is not supported by the local emulator (moto does not verify SRP proofs, so it "
    "would accept any password); use USER_PASSWORD_AUTH"
)
_PASSWORD_FLOWS = {"USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"}


# --- model patches -------------------------------------------------------------------------------


def _wrap_pool_init(original: Callable[..., None]) -> Callable[..., None]:
    @wraps(original)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.local_signing_key = generate_signing_key()

    return __init__


def _create_jwt(  # noqa: PLR0917 - moto's signature, called positionally by moto
    self: Any,
    client_id: str,
    username: str,
    token_use: str,
    expires_in: int = DEFAULT_TOKEN_SECONDS,
    extra_data: dict[str, Any] | None = None,
) -> tuple[str, int]:
    """moto's create_jwt with the pool's own key and Cognito's group/role claims.

    Built in layers, each overriding the one before: the user's readable attributes (ID tokens
    only; recomputed here, so moto's own extra_data, which adds every `custom:` attribute whatever
    the client may read, is not trusted for attributes), then the protocol values the caller
    passes (scope, origin_jti, nonce, ...), then the claims Cognito sets itself, then the group
    claims. No attribute can therefore replace `exp`, `iss`, `token_use` or `cognito:*`.
    """
    user = self._get_user(username)
    expires_in = token_validity_seconds(self.clients.get(client_id), token_use, expires_in)
    now = int(time.time())
    username_is_email = "email" in self.extended_config.get("UsernameAttributes", [])
    payload: dict[str, Any] = {}
    if token_use == ID_TOKEN_USE:
        if username_is_email:
            payload["email"] = username
        payload.update(readable_attribute_claims(self, client_id, user))
    payload.update({k: v for k, v in (extra_data or {}).items() if k in _PROTOCOL_EXTRAS})
    payload.update(
        {
            "iss": pool_issuer(self),
            "sub": user.id,
            "client_id" if token_use == ACCESS_TOKEN_USE else "aud": client_id,
            "token_use": token_use,
            "iat": now,
            "auth_time": now,
            "exp": now + expires_in,
            "jti": str(mock_random.uuid4()),
        }
    )
    if token_use == ACCESS_TOKEN_USE:
        payload["username"] = payload["sub"] if username_is_email else username
    else:
        payload["cognito:username"] = payload["sub"] if username_is_email else username
    groups = user_groups(user)
    if token_use == ID_TOKEN_USE:
        payload.update(group_claims(groups))
    elif groups:
        payload["cognito:groups"] = group_names(groups)
    return pool_signing_key(self).sign(payload), expires_in


def _get_user_extra_data_by_client_id(self: Any, client_id: str, username: str) -> dict[str, Any]:
    return readable_attribute_claims(self, client_id, self._get_user(username))


def _find_client(backend: Any, client_id: str, user_pool_id: str | None = None) -> Any | None:
    pools = [backend.user_pools.get(user_pool_id)] if user_pool_id else list(backend.user_pools.values())
    for pool in pools:
        if pool is not None and client_id in pool.clients:
            return pool.clients[client_id]
    return None


def allowed_auth_flows(client: Any) -> set[str]:
    """The ExplicitAuthFlows settings in force for `client` (Cognito's defaults when unset)."""
    configured = set(client.extended_config.get("ExplicitAuthFlows") or [])
    if not configured:
        return set(_DEFAULT_FLOWS)
    if configured <= _LEGACY_FLOWS:
        return configured | {"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
    return configured


def check_auth_flow(client: Any, auth_flow: str, auth_parameters: dict[str, str] | None) -> None:
    """Raise what Cognito raises when `auth_flow` is not enabled or SECRET_HASH is wrong."""
    settings = _FLOW_SETTINGS.get(auth_flow)
    if settings is None:
        return  # moto rejects unknown flow names itself
    if not settings & allowed_auth_flows(client):
        raise InvalidParameterException(f"{auth_flow} flow not enabled for this client")
    if auth_flow == "USER_SRP_AUTH":
        raise InvalidParameterException(SRP_UNSUPPORTED)
    if auth_flow in _PASSWORD_FLOWS and client.generate_secret:
        params = auth_parameters or {}
        if not check_secret_hash(
            client.secret, client.id, params.get("USERNAME", ""), params.get("SECRET_HASH")
        ):
            raise NotAuthorizedError(f"Unable to verify secret hash for client {client.id}")


def _wrap_initiate_auth(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    @wraps(original)
    def initiate_auth(
        self: Any, client_id: str, auth_flow: str, auth_parameters: dict[str, str]
    ) -> dict[str, Any]:
        client = _find_client(self, client_id)
        if client is not None:
            check_auth_flow(client, auth_flow, auth_parameters)
            pool = next((p for p in self.user_pools.values() if client_id in p.clients), None)
            challenge = mfa.setup_challenge(self, pool, auth_flow, auth_parameters)
            if challenge is not None:
                return challenge
        return original(self, client_id, auth_flow, auth_parameters)

    return initiate_auth


def _wrap_admin_initiate_auth(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    @wraps(original)
    def admin_initiate_auth(
        self: Any, user_pool_id: str, client_id: str, auth_flow: str, auth_parameters: dict[str, str]
    ) -> dict[str, Any]:
        client = _find_client(self, client_id, user_pool_id)
        if client is not None:
            check_auth_flow(client, auth_flow, auth_parameters)
            challenge = mfa.setup_challenge(
                self, self.user_pools.get(user_pool_id), auth_flow, auth_parameters
            )
            if challenge is not None:
                return challenge
        return original(self, user_pool_id, client_id, auth_flow, auth_parameters)

    return admin_initiate_auth


SIGN_UP_DISABLED = "SignUp is not permitted for this user pool"


def self_sign_up_allowed(pool: Any) -> bool:
    """False when the pool lets only administrators create users (AllowAdminCreateUserOnly)."""
    config = pool.extended_config.get("AdminCreateUserConfig") or {}
    return not config.get("AllowAdminCreateUserOnly", False)


def _wrap_sign_up(original: Callable[..., Any]) -> Callable[..., Any]:
    """moto accepts SignUp on every pool and any attribute; Cognito checks both."""

    @wraps(original)
    def sign_up(
        self: Any, client_id: str, username: str, password: str, attributes: list[dict[str, str]]
    ) -> Any:
        for pool in self.user_pools.values():
            if client_id in pool.clients:
                if not self_sign_up_allowed(pool):
                    raise NotAuthorizedError(SIGN_UP_DISABLED)
                names = _attribute_names(attributes)
                _cognito_errors(user_attributes.check_new_user, names, pool_schema(pool))
                _cognito_errors(user_attributes.check_client_write, names, _write_attributes(pool, client_id))
        return original(self, client_id, username, password, attributes)

    return sign_up


# --- user attributes (rules in local.cognito_idp.user_attributes) ---------------------------------


def pool_schema(pool: Any) -> user_attributes.PoolSchema:
    """The pool's declared custom attributes, immutable attributes and update-verification setting."""
    declared = pool.schema_attributes.values()
    settings = pool.extended_config.get("UserAttributeUpdateSettings") or {}
    return user_attributes.PoolSchema(
        custom=frozenset(a.name for a in declared if a.custom),
        immutable=frozenset(a.name for a in declared if not a.mutable),
        verify_before_update=frozenset(settings.get("AttributesRequireVerificationBeforeUpdate") or []),
    )


def _write_attributes(pool: Any, client_id: str) -> list[str] | None:
    client = pool.clients.get(client_id)
    return client.extended_config.get("WriteAttributes") if client is not None else []


def _attribute_names(attributes: list[dict[str, str]] | None) -> list[str]:
    return [str(a.get("Name", "")) for a in attributes or []]


def _cognito_errors(check: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a pure check (`local.cognito_idp.user_attributes`, `client_config`); its AwsError becomes
    moto's JSON error."""
    try:
        return check(*args, **kwargs)
    except AwsError as exc:
        raise JsonRESTError(exc.code, exc.message) from exc


def _wrap_admin_create_user(original: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(original)
    def admin_create_user(  # noqa: PLR0917 - moto's signature
        self: Any,
        user_pool_id: str,
        username: str,
        message_action: str,
        temporary_password: str,
        attributes: list[dict[str, str]],
    ) -> Any:
        pool = self.describe_user_pool(user_pool_id)
        _cognito_errors(user_attributes.check_new_user, _attribute_names(attributes), pool_schema(pool))
        return original(self, user_pool_id, username, message_action, temporary_password, attributes)

    return admin_create_user


def _update_attributes(
    backend: Any, pool: Any, user: Any, attributes: list[dict[str, str]] | None, *, admin: bool
) -> None:
    """Apply a checked update: Cognito's email/phone rules, then moto's duplicate-email check."""
    requested = {str(k): str(v) for k, v in flatten_attrs(attributes or []).items()}
    schema = pool_schema(pool)
    _cognito_errors(user_attributes.check_update, list(requested), schema)
    current = flatten_attrs(user.attributes)
    updated, pending = user_attributes.apply_update(current, requested, schema, admin=admin)
    if updated.get("email") != current.get("email"):
        backend._verify_email_is_not_used(pool.id, updated.get("email"))
    user.attributes = expand_attrs(updated)
    user.attribute_lookup = updated
    user.last_modified_date = utcnow()
    # Kept for inspection only: the emulator has no VerifyUserAttribute, so these never apply.
    user.local_pending_attributes = {**getattr(user, "local_pending_attributes", {}), **pending}


def _admin_update_user_attributes(
    self: Any, user_pool_id: str, username: str, attributes: list[dict[str, str]]
) -> None:
    pool = self.describe_user_pool(user_pool_id)
    _update_attributes(self, pool, self.admin_get_user(user_pool_id, username), attributes, admin=True)


def _update_user_attributes(self: Any, access_token: str, attributes: list[dict[str, str]]) -> None:
    """UpdateUserAttributes: the access token's client must be allowed to write every attribute."""
    for pool in self.user_pools.values():
        if access_token in pool.access_tokens:
            client_id, username = pool.access_tokens[access_token]
            user = self.admin_get_user(pool.id, username)
            names = _attribute_names(attributes)
            _cognito_errors(user_attributes.check_update, names, pool_schema(pool))
            _cognito_errors(user_attributes.check_client_write, names, _write_attributes(pool, client_id))
            _update_attributes(self, pool, user, attributes, admin=False)
            return
    raise NotAuthorizedError("Invalid Access Token")


def _wrap_create_user_pool_client(original: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(original)
    def create_user_pool_client(
        self: Any, user_pool_id: str, generate_secret: bool, extended_config: dict[str, Any]
    ) -> Any:
        pool = self.describe_user_pool(user_pool_id)
        _cognito_errors(
            client_config.check,
            extended_config,
            has_secret=bool(generate_secret),
            custom_scopes=client_config.pool_custom_scopes(pool),
        )
        return original(self, user_pool_id, generate_secret, extended_config)

    return create_user_pool_client


def _wrap_update_user_pool_client(original: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(original)
    def update_user_pool_client(
        self: Any, user_pool_id: str, client_id: str, extended_config: dict[str, Any]
    ) -> Any:
        pool = self.describe_user_pool(user_pool_id)
        client = pool.clients.get(client_id)
        if client is not None:  # moto answers an unknown client itself
            _cognito_errors(
                client_config.check,
                {**client.extended_config, **extended_config},  # what moto will hold after the update
                has_secret=bool(client.generate_secret),
                custom_scopes=client_config.pool_custom_scopes(pool),
            )
        return original(self, user_pool_id, client_id, extended_config)

    return update_user_pool_client


def _delete_resource_server(self: Any, user_pool_id: str, identifier: str) -> None:
    user_pool = self.describe_user_pool(user_pool_id)
    if identifier not in user_pool.resource_servers:
        raise ResourceNotFoundError(f"Resource server {identifier} does not exist.")
    del user_pool.resource_servers[identifier]


def _update_resource_server(
    self: Any, user_pool_id: str, identifier: str, name: str, scopes: list[dict[str, str]] | None
) -> Any:
    resource_server = self.describe_resource_server(user_pool_id, identifier)
    resource_server.name = name
    resource_server.scopes = scopes or []
    return resource_server


# --- response (API action) patches ---------------------------------------------------------------


def _response_delete_resource_server(self: Any) -> ActionResult:
    self.backend.delete_resource_server(self._get_param("UserPoolId"), self._get_param("Identifier"))
    return EmptyResult()


def _response_update_resource_server(self: Any) -> ActionResult:
    resource_server = self.backend.update_resource_server(
        self._get_param("UserPoolId"),
        self._get_param("Identifier"),
        self._get_param("Name"),
        self._get_param("Scopes"),
    )
    return ActionResult({"ResourceServer": resource_server.to_json()})


# --- well-known endpoints ------------------------------------------------------------------------


def _pool_from_url(full_url: str) -> tuple[str, str, Any | None]:
    url = urlparse(full_url)
    pool_id = url.path.strip("/").split("/")[0]
    return f"{url.scheme}://{url.netloc}", pool_id, find_user_pool(pool_id)


def _not_found(pool_id: str) -> tuple[int, dict[str, str], bytes]:
    body = json.dumps({"message": f"User pool {pool_id} does not exist."}).encode()
    return 404, {"Content-Type": "application/json"}, body


def serve_jwks(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], bytes]:
    """GET /<pool_id>/.well-known/jwks.json: this pool's public key."""
    _, pool_id, pool = _pool_from_url(full_url)
    if pool is None:
        return _not_found(pool_id)
    body = json.dumps(jwks_document(pool_signing_key(pool))).encode()
    return 200, {"Content-Type": "application/json"}, body


def serve_openid_configuration(
    request: Any, full_url: str, headers: Any
) -> tuple[int, dict[str, str], bytes]:
    """GET /<pool_id>/.well-known/openid-configuration, as Cognito publishes it.

    `issuer` is the real Cognito issuer (tokens carry it); the endpoints point at this emulator:
    JWKS on moto's route, the hosted UI (`local.cognito_idp.oauth`) under /_local/cognito/<pool_id>.
    """
    base, pool_id, pool = _pool_from_url(full_url)
    if pool is None:
        return _not_found(pool_id)
    hosted = f"{base}/_local/cognito/{pool_id}"
    document = {
        "issuer": pool_issuer(pool),
        "jwks_uri": f"{base}/{pool_id}/.well-known/jwks.json",
        "authorization_endpoint": f"{hosted}/oauth2/authorize",
        "token_endpoint": f"{hosted}/oauth2/token",
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "client_credentials"],
        "scopes_supported": ["openid", "email", "phone", "profile"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
    }
    return 200, {"Content-Type": "application/json"}, json.dumps(document).encode()


class _MemoisedRsaImport:
    """Stands in for `joserfc.jwk` inside moto's cognitoidp models.

    moto re-imports its bundled private key for every new user pool (~100 ms each: RSA prime
    recovery). The patched pools never use that key (they sign with their own), so importing it
    once and reusing the result changes nothing but the cost.
    """

    def __init__(self, real_jwk: Any) -> None:
        self._real = real_jwk
        self._cache: dict[str, Any] = {}
        self.RSAKey = self  # moto calls jwk.RSAKey.import_key(...)

    def import_key(self, value: Any, *args: Any, **kwargs: Any) -> Any:
        cache_key = json.dumps([value, args, kwargs], sort_keys=True, default=str)
        if cache_key not in self._cache:
            self._cache[cache_key] = self._real.RSAKey.import_key(value, *args, **kwargs)
        return self._cache[cache_key]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def _install(target: Any, name: str, value: Any) -> None:
    setattr(target, name, value)


def apply() -> None:
    """Install the patches above (called once, from `local.emulator.apply_patches`)."""
    _install(idp_models, "jwk", _MemoisedRsaImport(getattr(idp_models, "jwk")))  # noqa: B009 - not re-exported
    mfa.apply()
    pool_cls = CognitoIdpUserPool
    _install(pool_cls, "__init__", _wrap_pool_init(pool_cls.__init__))
    _install(pool_cls, "create_jwt", _create_jwt)
    _install(pool_cls, "get_user_extra_data_by_client_id", _get_user_extra_data_by_client_id)
    backend_cls = idp_models.CognitoIdpBackend
    _install(backend_cls, "initiate_auth", _wrap_initiate_auth(backend_cls.initiate_auth))
    _install(backend_cls, "admin_initiate_auth", _wrap_admin_initiate_auth(backend_cls.admin_initiate_auth))
    _install(backend_cls, "sign_up", _wrap_sign_up(backend_cls.sign_up))
    _install(backend_cls, "admin_create_user", _wrap_admin_create_user(backend_cls.admin_create_user))
    _install(backend_cls, "admin_update_user_attributes", _admin_update_user_attributes)
    _install(backend_cls, "update_user_attributes", _update_user_attributes)
    _install(
        backend_cls,
        "create_user_pool_client",
        _wrap_create_user_pool_client(backend_cls.create_user_pool_client),
    )
    _install(
        backend_cls,
        "update_user_pool_client",
        _wrap_update_user_pool_client(backend_cls.update_user_pool_client),
    )
    _install(backend_cls, "delete_resource_server", _delete_resource_server)
    _install(backend_cls, "update_resource_server", _update_resource_server)
    response_cls = idp_responses.CognitoIdpResponse
    _install(response_cls, "delete_resource_server", _response_delete_resource_server)
    _install(response_cls, "update_resource_server", _response_update_resource_server)
    revocation.apply()
    trail.apply()
    # moto routes these paths through the dict in its urls module (read when the server's Flask
    # app for cognito-idp is built, and by the in-process mock on each request).
    for pattern in list(idp_urls.url_paths):
        if pattern.endswith("/.well-known/jwks.json$"):
            idp_urls.url_paths[pattern] = serve_jwks
        elif pattern.endswith("/.well-known/openid-configuration$"):
            idp_urls.url_paths[pattern] = serve_openid_configuration

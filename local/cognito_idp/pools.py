"""Lookups into moto's user pools that the patches, the hosted UI and the identity pool share.

The patches (`local.cognito_idp.patches`) change how moto issues tokens; the hosted UI
(`local.cognito_idp.oauth`) and the identity pool's login checks (`local.cognito_identity`) need
the same facts about a pool: where it is, its signing key and issuer, a client's token lifetimes,
the claims a user's ID token carries. They live here so that none of them imports the patches.
"""

from __future__ import annotations

from typing import Any

from moto.cognitoidp import models as idp_models
from moto.cognitoidp.utils import flatten_attrs

from local.cognito_idp.claims import GroupInfo
from local.core.keys import SigningKey, generate_signing_key

#: Default lifetime of ID and access tokens when the client sets none (Cognito: 60 minutes).
DEFAULT_TOKEN_SECONDS = 3600
ID_TOKEN_USE = "id"  # noqa: S105 - a token_use claim value, not a secret
ACCESS_TOKEN_USE = "access"  # noqa: S105 - a token_use claim value, not a secret
_UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
_BOOLEAN_ATTRIBUTES = {"email_verified", "phone_number_verified"}
#: Claims Cognito sets itself: a user attribute of the same name never reaches a token.
RESERVED_CLAIMS = frozenset(
    {
        "iss",
        "sub",
        "aud",
        "exp",
        "iat",
        "nbf",
        "jti",
        "auth_time",
        "token_use",
        "client_id",
        "username",
        "scope",
        "origin_jti",
        "event_id",
        "version",
        "at_hash",
        "nonce",
    }
)
RESERVED_CLAIM_PREFIX = "cognito:"


def find_user_pool(user_pool_id: str) -> Any | None:
    """The moto user pool with this id in any account (the id starts with its region), or None."""
    region = user_pool_id.split("_", 1)[0]
    for per_account in list(idp_models.cognitoidp_backends.values()):
        backend = per_account.get(region)  # dict.get: never creates a backend
        if backend is not None and user_pool_id in backend.user_pools:
            return backend.user_pools[user_pool_id]
    return None


def pool_signing_key(pool: Any) -> SigningKey:
    """The pool's own signing key (created with the pool; created now for pools made unpatched)."""
    key: SigningKey | None = getattr(pool, "local_signing_key", None)
    if key is None:
        key = generate_signing_key()
        pool.local_signing_key = key
    return key


def pool_issuer(pool: Any) -> str:
    """`iss` of the pool's tokens: Cognito's public issuer URL, as in real tokens."""
    return f"https://cognito-idp.{pool.region}.amazonaws.com/{pool.id}"


def user_groups(user: Any) -> list[GroupInfo]:
    return [
        GroupInfo(name=g.group_name, role_arn=g.role_arn or None, precedence=g.precedence)
        for g in user.groups
    ]


def token_validity_seconds(client: Any | None, token_use: str, default: int = DEFAULT_TOKEN_SECONDS) -> int:
    """The client's configured lifetime for `token_use` ("id" or "access"), in seconds."""
    if client is None:
        return default
    config = client.extended_config
    field, unit_key = (
        ("IdTokenValidity", "IdToken")
        if token_use == ID_TOKEN_USE
        else ("AccessTokenValidity", "AccessToken")
    )
    value = config.get(field)
    if not value:
        return default
    unit = (config.get("TokenValidityUnits") or {}).get(unit_key) or "hours"
    return int(value) * _UNIT_SECONDS.get(str(unit), 3600)


def _typed_attribute(name: str, value: Any) -> Any:
    if name in _BOOLEAN_ATTRIBUTES and isinstance(value, str):
        return value.lower() == "true"
    if name == "updated_at" and isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def readable_attribute_claims(pool: Any, client_id: str, user: Any) -> dict[str, Any]:
    """The user attributes an ID token for `client_id` carries: all the client may read.

    Cognito: an app client without ReadAttributes may read the standard attributes and
    `email_verified` / `phone_number_verified`, but no custom attribute (`custom:`): those must be
    listed in ReadAttributes (the API reference of UserPoolClientType.ReadAttributes). Developer-only
    attributes (`dev:`) are never in tokens; `sub` and the other claims Cognito sets itself are
    never taken from attributes.
    """
    client = pool.clients.get(client_id)
    readable = client.extended_config.get("ReadAttributes") if client is not None else None
    claims: dict[str, Any] = {}
    for name, value in flatten_attrs(user.attributes).items():
        if name.startswith("dev:") or is_reserved_claim(name):
            continue
        if readable and name not in readable:
            continue
        if not readable and name.startswith("custom:"):
            continue
        claims[name] = _typed_attribute(name, value)
    return claims


def is_reserved_claim(name: str) -> bool:
    return name in RESERVED_CLAIMS or name.startswith(RESERVED_CLAIM_PREFIX)

"""Identity-pool federation on top of moto: roles, GetId, GetCredentialsForIdentity.

moto's identity pools accept any (or no) login and hand out fixed credentials. This module does
what Cognito documents instead (API reference: SetIdentityPoolRoles, GetId,
GetCredentialsForIdentity; Developer Guide: "Role-based access control", "Role trust and
permissions"):

- a login (`Logins[provider] = token`) counts only for a provider configured on the pool: a user
  pool listed in CognitoIdentityProviders (its ID token's `aud` must be a ClientId configured for
  that ProviderName) or an OpenID Connect provider whose IAM OIDC provider ARN is in
  OpenIdConnectProviderARNs (the token's `aud` must be in that provider's ClientIDList); the token
  is verified (signature, `iss`, `aud`, `exp`) by `local.cognito_identity.tokens`;
- the same user gets the same IdentityId (per pool, provider and `sub`);
- credentials are for the role `local.cognito_identity.role_mapping.resolve_role` picks, and only if the
  role's trust policy would let STS hand it to this identity (`local.cognito_identity.trust`);
- credentials are random, expire after an hour and are registered in `local.cognito_identity.credentials`.

State lives on moto's CognitoIdentityBackend object (so moto's reset clears it).
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from moto.cognitoidentity.models import cognitoidentity_backends
from moto.iam.models import iam_backends

from local.cognito_identity import role_mapping
from local.cognito_identity.credentials import IssuedCredentials, issue_credentials
from local.cognito_identity.tokens import (
    USER_POOL_ALGORITHMS,
    LoginProvider,
    RemoteJwks,
    audiences,
    verify_login_token,
)
from local.cognito_identity.trust import cognito_context, trust_allows
from local.cognito_idp.pools import ID_TOKEN_USE, find_user_pool, pool_signing_key
from local.cognito_idp.revocation import id_token_revoked
from local.core.errors import (
    AwsError,
    invalid_pool_configuration,
    not_authorized,
    resource_conflict,
    resource_not_found,
    validation_error,
)
from local.core.web import log_decision
from local.oidc.idp import find_local_idp

USER_POOL_PROVIDER = re.compile(r"^cognito-idp\.([a-z0-9-]+)\.amazonaws\.com/([\w-]+_[0-9A-Za-z]+)$")
MAX_LOGINS = 10
NOT_SUPPORTED_PROVIDER = "Token is not from a supported provider of this identity pool."
LOGINS_DONT_MATCH = (
    "Logins don't match. Please include at least one valid login for this identity or identity pool."
)
UNAUTHENTICATED_NOT_SUPPORTED = "Unauthenticated access is not supported for this identity pool."

_remote_jwks = RemoteJwks()


@dataclass
class IdentityRecord:
    identity_id: str
    identity_pool_id: str
    logins: dict[str, str] = field(default_factory=dict)  # provider → sub
    created: float = field(default_factory=time.time)
    modified: float = field(default_factory=time.time)


@dataclass
class FederationState:
    """Per moto CognitoIdentityBackend (account + region)."""

    roles: dict[str, dict[str, str]] = field(default_factory=dict)  # pool id → Roles
    role_mappings: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=dict
    )  # pool id → RoleMappings
    identities: dict[str, IdentityRecord] = field(default_factory=dict)
    login_index: dict[tuple[str, str, str], str] = field(default_factory=dict)  # (pool, provider, sub) → id
    lock: threading.RLock = field(default_factory=threading.RLock)


_state_lock = threading.Lock()


def state_of(backend: Any) -> FederationState:
    with _state_lock:
        state: FederationState | None = getattr(backend, "local_federation", None)
        if state is None:
            state = FederationState()
            backend.local_federation = state
        return state


def backend_for(account_id: str, region_prefixed_id: str) -> Any:
    """The moto backend holding a pool/identity: ids start with their region ("us-east-1:...")."""
    region = region_prefixed_id.split(":", 1)[0]
    per_account = cognitoidentity_backends[account_id]
    if region not in per_account:
        raise resource_not_found(f"'{region_prefixed_id}' is not in a known region.")
    return per_account[region]


def get_pool(backend: Any, identity_pool_id: str) -> Any:
    pool = backend.identity_pools.get(identity_pool_id)
    if pool is None:
        raise resource_not_found(f"IdentityPool '{identity_pool_id}' not found.")
    return pool


# --- roles -------------------------------------------------------------------------------------


def set_identity_pool_roles(
    backend: Any, identity_pool_id: str, roles: object, role_mappings: object | None
) -> None:
    get_pool(backend, identity_pool_id)
    clean_roles = role_mapping.validate_roles(roles if roles is not None else {})
    clean_mappings = role_mapping.validate_role_mappings(role_mappings if role_mappings is not None else {})
    state = state_of(backend)
    with state.lock:
        state.roles[identity_pool_id] = clean_roles
        state.role_mappings[identity_pool_id] = clean_mappings


def get_identity_pool_roles(backend: Any, identity_pool_id: str) -> dict[str, Any]:
    get_pool(backend, identity_pool_id)
    state = state_of(backend)
    with state.lock:
        return {
            "IdentityPoolId": identity_pool_id,
            "Roles": dict(state.roles.get(identity_pool_id, {})),
            "RoleMappings": {k: dict(v) for k, v in state.role_mappings.get(identity_pool_id, {}).items()},
        }


def forget_pool(backend: Any, identity_pool_id: str) -> None:
    state = state_of(backend)
    with state.lock:
        state.roles.pop(identity_pool_id, None)
        state.role_mappings.pop(identity_pool_id, None)


# --- logins --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifiedLogin:
    provider: str
    claims: dict[str, Any]
    mapping_key: str  # RoleMappings key: "<provider>:<client id>" for user pools, the provider for OIDC
    amr: tuple[str, ...]  # the Cognito OpenID token's amr (minus "authenticated")

    @property
    def sub(self) -> str:
        return str(self.claims["sub"])

    @property
    def authentication_provider(self) -> str:
        """requestContext.identity.cognitoAuthenticationProvider as API Gateway reports it."""
        return ",".join(self.amr)


def _user_pool_provider(pool: Any, provider: str) -> tuple[LoginProvider, bool]:
    entries = [p for p in pool.cognito_identity_providers or [] if p.get("ProviderName") == provider]
    match = USER_POOL_PROVIDER.match(provider)
    if not entries or match is None:
        raise not_authorized(NOT_SUPPORTED_PROVIDER)
    user_pool = find_user_pool(match.group(2))

    def keys(kid: str | None) -> Any:
        if user_pool is None:
            raise KeyError(kid)
        key = pool_signing_key(user_pool)
        if kid != key.kid:
            raise KeyError(kid)
        return key.private_key.public_key()

    server_side_check = any(bool(p.get("ServerSideTokenCheck")) for p in entries)
    login_provider = LoginProvider(
        name=provider,
        audiences=audiences([str(p.get("ClientId") or "") for p in entries]),
        keys=keys,
        algorithms=USER_POOL_ALGORITHMS,
        required_token_use=ID_TOKEN_USE,
    )
    return login_provider, server_side_check


def _oidc_provider(pool: Any, provider: str, account_id: str) -> LoginProvider:
    iam = iam_backends[account_id]["global"]
    for arn in pool.open_id_connect_provider_arns or []:
        oidc = iam.open_id_providers.get(arn)
        if oidc is not None and oidc.url == provider:
            issuer = f"https://{provider}"
            local = find_local_idp(issuer)
            keys = local.signing_key if local is not None else _remote_jwks.lookup_for(issuer)
            return LoginProvider(name=provider, audiences=audiences(oidc.client_id_list), keys=keys)
    raise not_authorized(NOT_SUPPORTED_PROVIDER)


def verify_login(pool: Any, provider: str, token: str, account_id: str) -> VerifiedLogin:
    """Check one Logins entry against the pool's configuration; raise NotAuthorizedException if bad."""
    if USER_POOL_PROVIDER.match(provider):
        login_provider, server_side_check = _user_pool_provider(pool, provider)
        claims = verify_login_token(token, login_provider)
        if server_side_check:
            _check_user_still_valid(provider, claims)
        sub = str(claims["sub"])
        return VerifiedLogin(
            provider=provider,
            claims=claims,
            mapping_key=f"{provider}:{claims['aud']}",
            amr=(provider, f"{provider}:CognitoSignIn:{sub}"),
        )
    login_provider = _oidc_provider(pool, provider, account_id)
    claims = verify_login_token(token, login_provider)
    return VerifiedLogin(
        provider=provider, claims=claims, mapping_key=provider, amr=(provider, f"{provider}:{claims['sub']}")
    )


def _check_user_still_valid(provider: str, claims: dict[str, Any]) -> None:
    """ServerSideTokenCheck: the user must still exist and be enabled in the user pool, and the
    token's session must not have been ended (a global sign-out, a revoked refresh token)."""
    match = USER_POOL_PROVIDER.match(provider)
    user_pool = find_user_pool(match.group(2)) if match else None
    users = user_pool.users.values() if user_pool is not None else []
    if not any(u.id == claims.get("sub") and u.enabled for u in users):
        raise not_authorized("Invalid login token. Token is not valid for this user pool user.")
    if user_pool is not None and id_token_revoked(user_pool, claims):
        raise not_authorized("Invalid login token. The user signed out or the token was revoked.")


def verify_logins(pool: Any, logins: object, account_id: str) -> list[VerifiedLogin]:
    prefix = "1 validation error detected: Value at 'logins' failed to satisfy constraint"
    if not isinstance(logins, dict):
        raise validation_error(f"{prefix}: Member must be a map")
    if len(logins) > MAX_LOGINS:
        raise validation_error(f"{prefix}: Member must have at most {MAX_LOGINS} entries")
    return [verify_login(pool, str(provider), token, account_id) for provider, token in logins.items()]


# --- GetId ---------------------------------------------------------------------------------------


def _new_identity(backend: Any, state: FederationState, identity_pool_id: str) -> IdentityRecord:
    region = identity_pool_id.split(":", 1)[0]
    record = IdentityRecord(identity_id=f"{region}:{uuid.uuid4()}", identity_pool_id=identity_pool_id)
    state.identities[record.identity_id] = record
    listing = backend.pools_identities.setdefault(
        identity_pool_id, {"IdentityPoolId": identity_pool_id, "Identities": []}
    )
    listing["Identities"].append(
        {"IdentityId": record.identity_id, "Logins": [], "CreationDate": record.created}
    )
    return record


def _publish_logins(backend: Any, record: IdentityRecord) -> None:
    listing = backend.pools_identities.get(record.identity_pool_id, {}).get("Identities", [])
    for entry in listing:
        if entry.get("IdentityId") == record.identity_id:
            entry["Logins"] = sorted(record.logins)
            entry["LastModifiedDate"] = record.modified


def get_id(backend: Any, account_id: str, identity_pool_id: str, logins: object | None) -> str:
    """GetId: the IdentityId for these logins (created on first sight), per Cognito's rules."""
    pool = get_pool(backend, identity_pool_id)
    state = state_of(backend)
    if not logins:
        if not pool.allow_unauthenticated_identities:
            log_decision(
                "identity.get_id", outcome="refused", identity_pool_id=identity_pool_id, reason="no logins"
            )
            raise not_authorized(UNAUTHENTICATED_NOT_SUPPORTED)
        with state.lock:
            record = _new_identity(backend, state, identity_pool_id)
        log_decision(
            "identity.get_id",
            outcome="unauthenticated",
            identity_pool_id=identity_pool_id,
            identity_id=record.identity_id,
        )
        return record.identity_id
    verified = verify_logins(pool, logins, account_id)
    with state.lock:
        linked = (state.login_index.get((identity_pool_id, v.provider, v.sub)) for v in verified)
        known = {identity_id for identity_id in linked if identity_id is not None}
        if len(known) > 1:
            raise resource_conflict("The logins belong to different identities of this identity pool.")
        record = state.identities[known.pop()] if known else _new_identity(backend, state, identity_pool_id)
        for login in verified:
            record.logins[login.provider] = login.sub
            state.login_index[(identity_pool_id, login.provider, login.sub)] = record.identity_id
        record.modified = time.time()
        _publish_logins(backend, record)
    log_decision(
        "identity.get_id",
        outcome="authenticated",
        identity_pool_id=identity_pool_id,
        identity_id=record.identity_id,
        providers=[v.provider for v in verified],
    )
    return record.identity_id


# --- GetCredentialsForIdentity ---------------------------------------------------------------------


def _check_trust(role_arn: str, identity_pool_id: str, identity_id: str, amr: list[str]) -> None:
    """Refuse (as STS would) unless the role exists and its trust policy admits this identity."""
    parts = role_arn.split(":")
    if len(parts) < 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
        raise invalid_pool_configuration()
    iam = iam_backends[parts[4]]["global"]
    role = next((r for r in list(iam.roles.values()) if r.arn == role_arn), None)
    if role is None or not trust_allows(
        role.assume_role_policy_document, cognito_context(identity_pool_id, identity_id, amr)
    ):
        raise invalid_pool_configuration()


def get_credentials_for_identity(
    backend: Any,
    account_id: str,
    identity_id: str,
    logins: object | None,
    custom_role_arn: str | None = None,
) -> IssuedCredentials:
    """GetCredentialsForIdentity: credentials of the mapped role, or the error Cognito returns."""
    state = state_of(backend)
    with state.lock:
        record = state.identities.get(identity_id)
    if record is None:
        raise resource_not_found(f"Identity '{identity_id}' not found.")
    pool = get_pool(backend, record.identity_pool_id)
    region = record.identity_pool_id.split(":", 1)[0]
    with state.lock:
        roles = dict(state.roles.get(record.identity_pool_id, {}))
        mappings = dict(state.role_mappings.get(record.identity_pool_id, {}))
    context: dict[str, Any] = {"identity_pool_id": record.identity_pool_id, "identity_id": identity_id}
    try:
        if not logins:
            return _unauthenticated_credentials(pool, record, roles, account_id, region, context)
        verified = verify_logins(pool, logins, account_id)
        if any(record.logins.get(v.provider) != v.sub for v in verified):
            raise not_authorized(LOGINS_DONT_MATCH)
        login = verified[0]
        context["provider"] = login.provider
        decision = role_mapping.resolve_role(
            provider=login.provider,
            mapping=mappings.get(login.mapping_key),
            claims=login.claims,
            authenticated_role=roles.get("authenticated"),
            custom_role_arn=custom_role_arn,
        )
        context.update(role_arn=decision.role_arn, reason=decision.reason)
        _check_trust(decision.role_arn, record.identity_pool_id, identity_id, ["authenticated", *login.amr])
    except AwsError as exc:
        log_decision(
            "identity.credentials", outcome="refused", error=exc.code, message=exc.message, **context
        )
        raise
    creds = issue_credentials(
        account_id=account_id,
        region=region,
        identity_pool_id=record.identity_pool_id,
        identity_id=identity_id,
        role_arn=decision.role_arn,
        provider=login.provider,
        authentication_provider=login.authentication_provider,
    )
    log_decision("identity.credentials", outcome="issued", access_key_id=creds.access_key_id, **context)
    return creds


def _unauthenticated_credentials(  # noqa: PLR0917 - private helper of the function above
    pool: Any,
    record: IdentityRecord,
    roles: dict[str, str],
    account_id: str,
    region: str,
    context: dict[str, Any],
) -> IssuedCredentials:
    if record.logins:
        raise not_authorized(LOGINS_DONT_MATCH)
    if not pool.allow_unauthenticated_identities:
        raise not_authorized(UNAUTHENTICATED_NOT_SUPPORTED)
    role_arn = roles.get("unauthenticated")
    if not role_arn:
        raise invalid_pool_configuration()
    context.update(role_arn=role_arn, reason="unauthenticated role")
    _check_trust(role_arn, record.identity_pool_id, record.identity_id, ["unauthenticated"])
    creds = issue_credentials(
        account_id=account_id,
        region=region,
        identity_pool_id=record.identity_pool_id,
        identity_id=record.identity_id,
        role_arn=role_arn,
        provider="",
        authentication_provider="",
        authentication_type="unauthenticated",
    )
    log_decision("identity.credentials", outcome="issued", access_key_id=creds.access_key_id, **context)
    return creds

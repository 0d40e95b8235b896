"""Temporary credentials issued by the emulated identity pool, and the registry that remembers them.

On AWS, the credentials GetCredentialsForIdentity returns belong to an STS session of the mapped
role, and API Gateway (AWS_IAM methods) learns the caller's role and Cognito identity from them. The
local API Gateway runtime runs in the same process as the emulator, so it asks this registry:
`lookup_credentials(access_key_id)` gives the secret to verify the SigV4 signature with, the role
whose policy decides, and the identity fields API Gateway puts into `requestContext.identity`.

The registry is process-wide and thread-safe. Records are kept after they expire so the caller can
tell "expired" from "unknown" (API Gateway answers 403 either way, with different messages).
"""

from __future__ import annotations

import secrets
import string
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

#: GetCredentialsForIdentity credentials last one hour, like Cognito's.
CREDENTIALS_TTL = timedelta(hours=1)
_KEY_ALPHABET = string.ascii_uppercase + string.digits
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"


@dataclass(frozen=True)
class IssuedCredentials:
    """One set of identity-pool credentials and everything the gateway needs to know about it."""

    access_key_id: str
    secret_key: str = field(repr=False)
    session_token: str = field(repr=False)
    expiration: datetime  # UTC
    account_id: str
    region: str
    identity_pool_id: str
    identity_id: str
    role_arn: str  # the mapped role
    provider: str  # the Logins key used, e.g. cognito-idp.us-east-1.amazonaws.com/us-east-1_X
    # What API Gateway puts in requestContext.identity.cognitoAuthenticationProvider:
    #   user pool: "<provider>,<provider>:CognitoSignIn:<sub>" with
    #              <provider> = cognito-idp.<region>.amazonaws.com/<pool id>
    #   OIDC:      "<provider>,<provider>:<sub>"
    authentication_provider: str
    # requestContext.identity.cognitoAuthenticationType: "authenticated", or "unauthenticated" for
    # guest identities (only when the pool allows them; provider fields are then empty).
    authentication_type: str = "authenticated"
    # When STS issued the session: IAM's `aws:TokenIssueTime`, which the "revoke active sessions"
    # Deny compares (make revoke-sessions, tools/revoke_sessions.py).
    issued_at: datetime | None = None

    def expired(self, now: datetime | None = None) -> bool:
        return (now or datetime.now(UTC)) >= self.expiration


_lock = threading.Lock()
_registry: dict[str, IssuedCredentials] = {}


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def issue_credentials(
    *,
    account_id: str,
    region: str,
    identity_pool_id: str,
    identity_id: str,
    role_arn: str,
    provider: str,
    authentication_provider: str,
    authentication_type: str = "authenticated",
    now: datetime | None = None,
) -> IssuedCredentials:
    """Mint fresh random credentials (`ASIA...` key id, like STS session keys) and register them."""
    issued_at = now or datetime.now(UTC)
    creds = IssuedCredentials(
        access_key_id="ASIA" + _random(_KEY_ALPHABET, 16),
        secret_key=_random(_SECRET_ALPHABET, 40),
        session_token=secrets.token_urlsafe(96),
        expiration=(issued_at + CREDENTIALS_TTL).replace(microsecond=0),
        account_id=account_id,
        region=region,
        identity_pool_id=identity_pool_id,
        identity_id=identity_id,
        role_arn=role_arn,
        provider=provider,
        authentication_provider=authentication_provider,
        authentication_type=authentication_type,
        issued_at=issued_at,
    )
    with _lock:
        _registry[creds.access_key_id] = creds
    return creds


def lookup_credentials(access_key_id: str) -> IssuedCredentials | None:
    """The credentials with this access key id, expired or not; None if the emulator never issued it."""
    with _lock:
        return _registry.get(access_key_id)


def forget_credentials() -> None:
    """Drop every issued credential (for tests that need a clean registry)."""
    with _lock:
        _registry.clear()

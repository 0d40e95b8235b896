"""CreateUserPoolClient / UpdateUserPoolClient: the OAuth settings Cognito refuses and moto accepts.

Cognito refuses an app client configuration that could never work as configured; moto stores it. A
client the emulator accepted but AWS refuses would let `make up` pass with a Terraform change that
fails in dev, so the emulator refuses the same configurations, with Cognito's exception types:

- `client_credentials` on a client without a secret (InvalidOAuthFlowException): the grant
  authenticates the client with its secret;
- `client_credentials` together with `code` or `implicit` (InvalidOAuthFlowException): a machine
  client and a user-facing client are separate app clients;
- an OIDC or Cognito scope (`openid`, `email`, `profile`, `phone`, `aws.cognito.signin.user.admin`)
  on a `client_credentials` client (InvalidOAuthFlowException): a client-credentials token has no
  user for those scopes to be about;
- a custom scope (`<resource server>/<scope>`) the pool's resource servers do not declare
  (ScopeDoesNotExistException).

`check()` is pure: it takes the settings as the client would hold them and the pool's declared
custom scopes, and raises AwsError; local/cognito_idp/patches.py calls it before moto stores them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from local.core.errors import AwsError

CLIENT_CREDENTIALS = "client_credentials"
USER_FLOWS = ("code", "implicit")


def invalid_oauth_flow(message: str) -> AwsError:
    return AwsError("InvalidOAuthFlowException", message)


def check(config: Mapping[str, Any], *, has_secret: bool, custom_scopes: Iterable[str]) -> None:
    """Refuse `config` (CreateUserPoolClient/UpdateUserPoolClient settings) as Cognito does."""
    flows = list(config.get("AllowedOAuthFlows") or [])
    scopes = list(config.get("AllowedOAuthScopes") or [])
    declared = set(custom_scopes)
    for scope in scopes:
        if "/" in scope and scope not in declared:
            raise AwsError("ScopeDoesNotExistException", f"Invalid scope requested: {scope}")
    if CLIENT_CREDENTIALS not in flows:
        return
    if not has_secret:
        raise invalid_oauth_flow(
            "client_credentials flow can not be selected if client does not have a client secret."
        )
    if any(flow in flows for flow in USER_FLOWS):
        raise invalid_oauth_flow(
            "client_credentials flow can not be selected along with code flow or implicit flow."
        )
    for scope in scopes:
        if "/" not in scope:
            raise invalid_oauth_flow(f"{scope} is not supported with client_credentials flow.")


def pool_custom_scopes(pool: Any) -> set[str]:
    """`<identifier>/<scope name>` of every scope the pool's resource servers declare (moto's model)."""
    return {
        f"{server.identifier}/{scope['ScopeName']}"
        for server in pool.resource_servers.values()
        for scope in server.scopes or []
    }

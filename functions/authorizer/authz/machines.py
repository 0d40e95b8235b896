"""Machine callers: access tokens of the declared machine clients (the client-credentials grant).

A Cognito client-credentials access token has no user: `sub` is the client id, `client_id` names the
app client, `scope` lists the resource-server scopes granted, and there is no `username` and no
`cognito:groups`. Such a token is accepted only from a client of MACHINE_CLIENTS (JSON,
`{"<client id>": {"policy": "<policy-table key>", "scopes": ["<server>/<scope>", ...]}}`, set by
Terraform from the access model) and then decided with the policy item of its governing key, exactly
as a user's group item: same store, same cache window, same fail-closed rules (authz/decide.py).

The two kinds of token never pass for each other:
- a token of a machine client carrying a user's claims (`username`, `cognito:groups`,
  `cognito:username`), whose `sub` is not its client id, without a `scope`, or with a scope that the
  model does not give this client (another client's, or one added to the app client outside the
  model) -> 401;
- a token of a user client without a username (what a machine token looks like) -> 401
  (`check_user_token`), and a user claiming a group named like a client's item (`client:<name>`,
  which no group of the model can be) -> Deny (`is_reserved_group`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple

from authz.errors import ConfigError, Unauthorized

#: A machine client with a template of its own has its policy item under `client:<name>` (the access
#: model forbids ':' in group names; tools/config.py holds the same constant, a test keeps them equal).
MACHINE_KEY_PREFIX = "client:"
USER = "user"
MACHINE = "machine"
# Claims only a user's token has: their presence in a machine client's token is refused.
USER_CLAIMS = ("username", "cognito:username", "cognito:groups")
# Bounds on what MACHINE_CLIENTS may declare (a runaway variable must not be parsed on every cold start).
MAX_MACHINE_CLIENTS = 100
MAX_SCOPES_PER_CLIENT = 100
MAX_NAME_LENGTH = 256


class MachineClient(NamedTuple):
    """One declared machine client, as the authorizer knows it."""

    policy_key: str
    scopes: frozenset[str]


def parse_machine_clients(raw: str, user_clients: frozenset[str]) -> dict[str, MachineClient]:
    """MACHINE_CLIENTS: client id -> MachineClient. Empty or unset: no machine client is accepted.

    Anything malformed raises ConfigError (the handler then fails closed): a client listed both here
    and in ALLOWED_CLIENT_IDS would make its tokens both kinds at once.
    """
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise ConfigError("MACHINE_CLIENTS is not JSON: give {client id: {policy, scopes}}") from None
    if not isinstance(data, dict) or len(data) > MAX_MACHINE_CLIENTS:
        raise ConfigError(
            f"MACHINE_CLIENTS must be a JSON object of at most {MAX_MACHINE_CLIENTS} clients: "
            '{"<client id>": {"policy": "<policy key>", "scopes": ["<server>/<scope>"]}}'
        )
    clients: dict[str, MachineClient] = {}
    for client_id, spec in data.items():
        where = f"MACHINE_CLIENTS[{client_id!r}]"
        if not _name(client_id):
            raise ConfigError(f"{where}: a client id must be a short printable string")
        if client_id in user_clients:
            raise ConfigError(
                f"{where}: the client is also in ALLOWED_CLIENT_IDS; a client is a user's or a machine's"
            )
        if not isinstance(spec, dict) or set(spec) != {"policy", "scopes"}:
            raise ConfigError(f'{where}: must be {{"policy": "<policy key>", "scopes": [...]}}')
        policy, scopes = spec["policy"], spec["scopes"]
        if not _name(policy):
            raise ConfigError(f"{where}.policy: must name a policy-table key")
        if (
            not isinstance(scopes, list)
            or not 0 < len(scopes) <= MAX_SCOPES_PER_CLIENT
            or not all(_name(s) and " " not in s for s in scopes)
        ):
            raise ConfigError(f"{where}.scopes: must list the client's scopes (at least one)")
        clients[client_id] = MachineClient(policy, frozenset(scopes))
    return clients


def _name(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_NAME_LENGTH and value.isprintable()


def check_machine_token(claims: Mapping[str, Any], client_id: str, client: MachineClient) -> tuple[str, ...]:
    """The scopes of a declared machine client's verified access token; raise Unauthorized when the
    token is not what Cognito issues to that client (see the module docstring)."""
    if any(name in claims for name in USER_CLAIMS):
        raise Unauthorized("machine_token_with_user_claims")
    if claims.get("sub") != client_id:
        raise Unauthorized("machine_token_sub_not_client")
    raw = claims.get("scope")
    scopes = tuple(dict.fromkeys(raw.split())) if isinstance(raw, str) else ()
    if not scopes:
        raise Unauthorized("machine_token_without_scope")
    if not client.scopes.issuperset(scopes):
        raise Unauthorized("scope_not_declared_for_client")
    return scopes


def check_user_token(username: object) -> None:
    """A user client's token names its user; one that does not is not a user's token."""
    if not isinstance(username, str) or not username.strip():
        raise Unauthorized("user_token_without_username")


def is_reserved_group(group: str) -> bool:
    """A group name only a machine client's own policy item may have."""
    return group.startswith(MACHINE_KEY_PREFIX)

"""The demo client of the local stack: sign in as a demo user (or act as a machine client) and call
a route in its mode.

The client itself is `tools.live.session.Session` (it talks to AWS as well as to the emulator), and
for machine callers `tools.live.machines.MachineSession` (a client-credentials token fetched once
and reused until it expires); what is local here is the stack description file
(`.local/stack.json`), the demo users and machine callers in it, and the one thing only the emulator
can do without a browser: drive the hosted UI's authorization-code flow for an OAuth-scoped access
token (`emulator_scoped_tokens`, plugged into every local Session).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.cognito_idp.oauth import code_flow_tokens
from tools.config import REPO_ROOT
from tools.live.machines import TOKEN_REFRESH_MARGIN_SECONDS, MachineSession, TokenSource, find_machine
from tools.live.session import HTTP_TIMEOUT_SECONDS, ClientError, NotVerifiable, ScopedTokens, find_route
from tools.live.session import Session as LiveSession

__all__ = [
    "HTTP_TIMEOUT_SECONDS",
    "STACK_FILE",
    "TOKEN_REFRESH_MARGIN_SECONDS",
    "ClientError",
    "MachineSession",
    "Session",
    "TokenSource",
    "emulator_scoped_tokens",
    "find_machine",
    "find_route",
    "find_user",
    "load_stack",
]

STACK_FILE = REPO_ROOT / ".local" / "stack.json"


def load_stack(path: Path = STACK_FILE) -> dict[str, Any]:
    try:
        stack: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ClientError(f"{path} does not exist: start the stack with `make up` first") from exc
    return stack


def find_user(stack: dict[str, Any], name: str) -> dict[str, Any]:
    for user in stack["users"]:
        if name in (user["name"], user["username"]):
            return dict(user)
    known = ", ".join(u["name"] for u in stack["users"])
    raise ClientError(f"no demo user {name!r}; known users: {known}")


def emulator_scoped_tokens(session: LiveSession, scopes: tuple[str, ...]) -> str:
    """An access token with `scopes` from the emulator's hosted UI, driven headlessly (the web
    client's authorization-code flow, as the browser console does it)."""
    stack = session.stack
    if not stack.get("emulator_url"):
        raise NotVerifiable("scoped access tokens need a browser sign-in against a real hosted UI")
    response = code_flow_tokens(
        stack["emulator_url"],
        stack["user_pool_id"],
        stack["user_pool_client_id"],
        session.user["username"],
        session.user["password"],
        ["openid", *scopes],
        stack["oauth_redirect_uri"],
    )
    return str(response["access_token"])


@dataclass
class Session(LiveSession):
    """A caller of the local stack: the live client with the emulator's hosted UI plugged in."""

    scoped_tokens: ScopedTokens | None = emulator_scoped_tokens

"""The demo data of the local stack: who `make up` signs up, which machine callers it has, and
which news it stores.

Shared facts, below everything that uses them: the orchestrator (local/stack.py) seeds them and
tests read the names. The news items have the shape the live matrix's own items have too
(`news_item`, from tools/live/records.py). Nothing here talks to a service; it only says what the
data look like.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from typing import Any

from tools.config import EnvConfig
from tools.live.records import news_id, news_item

__all__ = [
    "DEMO_NEWS",
    "EXTERNAL",
    "MULTI_GROUP",
    "NO_GROUP",
    "UNDECLARED",
    "DemoMachine",
    "DemoUser",
    "demo_machines",
    "demo_users",
    "news_id",
    "news_item",
]

NO_GROUP = "no-group"
MULTI_GROUP = "multi-group"
EXTERNAL = "external"
#: A machine client of the pool that the access model does not declare (created by `make up`).
UNDECLARED = "undeclared"
DEMO_NEWS = (
    ("Welcome", "The local stack is up: every route below answers as it would on AWS."),
    ("Maintenance", "Only admins can delete news (scenario S5)."),
)


@dataclass(frozen=True)
class DemoUser:
    name: str
    username: str
    password: str
    groups: tuple[str, ...]
    given_name: str
    family_name: str
    external: bool = False

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "username": self.username,
            "password": self.password,
            "groups": list(self.groups),
            "external": self.external,
        }


def _password() -> str:
    """Random, and always satisfying the pool's policy (12+ chars, every character class)."""
    body = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(14))
    return f"{body}aZ7!"


def demo_users(cfg: EnvConfig) -> list[DemoUser]:
    """One user per group, one in no group, one in two groups, one at the external IdP.

    The two-group user belongs to the second and third groups by precedence, so the matrix shows the
    multi-group rule (the lower precedence wins, the other group's grants do not carry over).
    """
    ordered = cfg.groups_by_precedence()
    users = [
        DemoUser(g.name, f"{g.name}@example.com", _password(), (g.name,), "Demo", g.name.title())
        for g in ordered
    ]
    users.append(DemoUser(NO_GROUP, "no-group@example.com", _password(), (), "Nobody", "Ingroup"))
    if len(ordered) >= 3:
        pair = (ordered[2].name, ordered[1].name)
        users.append(DemoUser(MULTI_GROUP, "multi-group@example.com", _password(), pair, "Multi", "Group"))
    users.append(
        DemoUser(EXTERNAL, "external@idp.example", _password(), (), "Grace", "External", external=True)
    )
    return users


@dataclass(frozen=True)
class DemoMachine:
    """A machine caller of the demo: a declared machine client of the model (Terraform creates it),
    or the one client of the pool the model does not declare (the stack creates it at start-up)."""

    name: str
    declared: bool
    scopes: tuple[str, ...]
    policy_key: str | None  # the policy item governing it in lambda mode; None: undeclared


def demo_machines(cfg: EnvConfig) -> list[DemoMachine]:
    """Every declared machine client, and one undeclared client.

    The undeclared one may ask for the resource-server scopes the user_pool routes require: on
    those routes API Gateway's Cognito authorizer accepts any client of the pool holding the scope,
    and the matrix shows it; the Lambda authorizer refuses it everywhere.
    """
    machines = [
        DemoMachine(c.name, True, c.scopes, c.policy_key) for _, c in sorted(cfg.machine_clients.items())
    ]
    server_scopes = set(cfg.access.oauth.resource_server_scopes())
    wanted = sorted(
        {s for r in cfg.routes.values() if r.auth == "user_pool" for s in r.scopes if s in server_scopes}
    )
    machines.append(DemoMachine(UNDECLARED, False, tuple(wanted[:1] or sorted(server_scopes)[:1]), None))
    return machines

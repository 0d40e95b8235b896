"""The demo data of the local stack: who `make up` signs up and which news it stores.

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
    "DemoUser",
    "demo_users",
    "news_id",
    "news_item",
]

NO_GROUP = "no-group"
MULTI_GROUP = "multi-group"
EXTERNAL = "external"
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

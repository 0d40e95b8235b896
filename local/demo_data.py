"""The demo data of the local stack: who `make up` signs up and which news it stores.

Shared facts, below everything that uses them: the orchestrator (local/stack.py) seeds them, the
live matrix's probes (local/probe_data.py) write disposable items of the same shape, and tests read
the names. Nothing here talks to a service; it only says what the data look like.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tools.config import EnvConfig

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


def news_id(sequence: int) -> str:
    """An id in the news handler's format (sortable time + random suffix); `sequence` keeps the
    seeded items in order when they are written within the same second."""
    stamp = datetime.now(UTC) + timedelta(seconds=sequence)
    return f"{stamp:%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}"


def news_item(title: str, body: str, sequence: int = 0) -> dict[str, Any]:
    """A news item as the news handler stores it in the records table (DynamoDB JSON)."""
    return {
        "pk": {"S": "news"},
        "sk": {"S": news_id(sequence)},
        "title": {"S": title},
        "body": {"S": body},
    }

"""Read an environment's configuration: the same `config.json` the env root decodes for Terraform.

Python (policy rendering, the access matrix, tests, the local stack) must see exactly the groups and
routes Terraform deploys, so there is one file per environment and this module only parses it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
ENVS_DIR = REPO_ROOT / "terraform" / "envs"
TEMPLATES_DIR = REPO_ROOT / "policy_templates"
ENVIRONMENTS = ("local", "dev", "staging", "prod")
AUTH_MODES = ("iam", "user_pool", "lambda")
USER_POOL_ROLE_MAPPINGS = ("Rules", "Token")  # identity_pool.user_pool_role_mapping; Rules is the default
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY")


class ConfigError(ValueError):
    """The environment file is missing or says something Terraform would also reject."""


@dataclass(frozen=True)
class Group:
    name: str
    precedence: int
    description: str = ""

    @property
    def template(self) -> Path:
        return TEMPLATES_DIR / f"{self.name}.json.tftpl"


@dataclass(frozen=True)
class Route:
    name: str
    path: str
    method: str
    auth: str
    handler: str
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class EnvConfig:
    environment: str
    region: str
    account_id: str
    lambda_architecture: str
    groups: dict[str, Group]
    routes: dict[str, Route]
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def stage_name(self) -> str:
        return str(self.raw.get("stage_name", self.environment))

    def groups_by_precedence(self) -> list[Group]:
        return sorted(self.groups.values(), key=lambda g: g.precedence)


def env_dir(env: str) -> Path:
    if env not in ENVIRONMENTS:
        raise ConfigError(f"unknown environment {env!r}: use one of {', '.join(ENVIRONMENTS)}")
    return ENVS_DIR / env


def load(env: str) -> EnvConfig:
    """Parse and sanity-check `terraform/envs/<env>/config.json`."""
    path = env_dir(env) / "config.json"
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ConfigError(f"{path} does not exist") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not valid JSON: {exc}") from exc
    return parse(raw, source=str(path))


def parse(raw: dict[str, Any], source: str = "<config>") -> EnvConfig:
    groups = {
        name: Group(name=name, precedence=int(g["precedence"]), description=str(g.get("description", "")))
        for name, g in raw.get("groups", {}).items()
    }
    routes: dict[str, Route] = {}
    for name, r in raw.get("routes", {}).items():
        route = Route(
            name=name,
            path=str(r["path"]),
            method=str(r["method"]).upper(),
            auth=str(r["auth"]),
            handler=str(r["handler"]),
            scopes=tuple(r.get("scopes") or ()),
        )
        if route.auth not in AUTH_MODES:
            raise ConfigError(f"{source}: route {name!r}: auth {route.auth!r} is not one of {AUTH_MODES}")
        if route.method not in HTTP_METHODS:
            raise ConfigError(
                f"{source}: route {name!r}: method {route.method!r} is not one of {HTTP_METHODS}"
            )
        routes[name] = route
    identity_pool = raw.get("identity_pool", {})
    if not isinstance(identity_pool, dict) or set(identity_pool) - {"user_pool_role_mapping"}:
        raise ConfigError(f'{source}: identity_pool takes only user_pool_role_mapping ("Rules" or "Token")')
    if identity_pool.get("user_pool_role_mapping", "Rules") not in USER_POOL_ROLE_MAPPINGS:
        raise ConfigError(
            f'{source}: identity_pool.user_pool_role_mapping must be "Rules" (default: only the preferred '
            f'role) or "Token" (callers may choose among their groups\' roles), not '
            f"{identity_pool['user_pool_role_mapping']!r}"
        )
    precedences = [g.precedence for g in groups.values()]
    if len(set(precedences)) != len(precedences):
        raise ConfigError(f"{source}: group precedences must be unique (the multi-group rule relies on it)")
    return EnvConfig(
        environment=str(raw["environment"]),
        region=str(raw["region"]),
        account_id=str(raw["account_id"]),
        lambda_architecture=str(raw.get("lambda_architecture", "arm64")),
        groups=groups,
        routes=routes,
        raw=raw,
    )

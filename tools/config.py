"""Read the access model and an environment's settings: the same JSON files the env roots decode.

Two files, each fact once:

- `policy_templates/access_model.json`, the access model, the same for every environment: groups
  (name, precedence, description), machine clients (name, description, the resource-server scopes
  each may request, and the policy that governs it in lambda mode: a template of its own or a
  group's), backend handlers (Lambda entry point, records-table actions and partitions, an example
  request body), OAuth scopes (the web client's OIDC scopes and the resource server's own scopes)
  and routes (path, method, auth mode, handler, scopes). Every env root passes it to the stack as
  `access`.
- `terraform/envs/<env>/config.json`, what differs per environment (account, region, architecture,
  name prefix, stage name, user-pool options, external IdPs, CORS origin, authorizer caches, ...).
  Every env root passes it to the stack as `settings`.

Terraform ignores keys its typed variables do not declare, so this module is where a typo fails:
`load()` refuses unknown keys, access facts in config.json (there is no per-environment access
override: no environment has needed one) and a model that references an undeclared handler, scope
or group.
`make checkov` and the unit tests load every environment.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools import monitoring

REPO_ROOT = Path(__file__).resolve().parent.parent
ENVS_DIR = REPO_ROOT / "terraform" / "envs"
TEMPLATES_DIR = REPO_ROOT / "policy_templates"
ACCESS_MODEL = TEMPLATES_DIR / "access_model.json"
ENVIRONMENTS = ("local", "dev", "staging", "prod")
AUTH_MODES = ("iam", "user_pool", "lambda")
USER_POOL_ROLE_MAPPINGS = ("Rules", "Token")  # identity_pool.user_pool_role_mapping; Rules is the default
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY")
GROUP_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
#: Machine client names: they name the app client (<prefix>-<name>) and its template file.
CLIENT_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
#: App client keys the stack uses itself (the user pool's `clients` map holds both kinds).
RESERVED_CLIENT_NAMES = frozenset({"web", "verify"})
#: A machine client with a template of its own has its policy-table item under `client:<name>`. No
#: group can be named so (GROUP_NAME_RE has no ':'), and the authorizer refuses a token claiming a
#: group with this prefix (functions/authorizer/authz/machines.py holds the same constant).
MACHINE_POLICY_PREFIX = "client:"
CLIENT_TEMPLATES_DIR = "clients"
NAME_PREFIX_RE = re.compile(r"^[a-z][a-z0-9-]{1,20}$")

#: The top-level keys of the two files: the attributes of the stack's `access` and `settings`
#: variables (terraform/stack/variables.tf; a unit test keeps them equal), plus the provider's.
MODEL_KEYS = frozenset({"groups", "machine_clients", "handlers", "oauth", "routes"})
PROVIDER_KEYS = frozenset({"region", "account_id"})
STACK_SETTINGS_KEYS = frozenset(
    {
        "environment",
        "name_prefix",
        "stage_name",
        "lambda_architecture",
        "cors_allow_origin",
        "deletion_protection",
        "user_pool",
        "external_providers",
        "authorizer",
        "identity_pool",
        "monitoring",
        "verification",
        "throttling",
        "execution_logging_level",
        "log_retention_days",
        "web_acl_arn",
        "tags",
    }
)
SETTINGS_KEYS = STACK_SETTINGS_KEYS | PROVIDER_KEYS
#: `authorizer`'s attributes (the stack's `settings.authorizer` type; a unit test keeps them equal)
#: and the whole-second range of each cache setting, as the stack validates them.
AUTHORIZER_KEYS = frozenset(
    {
        "token_use",
        "result_ttl_seconds",
        "policy_cache_seconds",
        "jwks_cache_seconds",
        "revocation_check_seconds",
        "jwks_origin",
    }
)
AUTHORIZER_SECONDS = {
    "result_ttl_seconds": (0, 3600),
    "policy_cache_seconds": (0, 3600),
    "jwks_cache_seconds": (1, 86400),
    "revocation_check_seconds": (0, 300),
}
#: Keys only the local environment has (the local OIDC issuer standing in for Google).
LOCAL_SETTINGS_KEYS = frozenset({"local_idp"})


#: settings.verification: whether `make verify` may run against the environment (a verification app
#: client exists) and whether its write probes may run (False: reads only, e.g. prod).
VERIFICATION_KEYS = frozenset({"enabled", "writes"})


class ConfigError(ValueError):
    """The model or an environment file is missing or says something Terraform would also reject."""


@dataclass(frozen=True)
class Group:
    name: str
    precedence: int
    description: str = ""

    @property
    def template(self) -> Path:
        return TEMPLATES_DIR / f"{self.name}.json.tftpl"


@dataclass(frozen=True)
class MachineClient:
    """A confidential app client using the client-credentials grant (a service, not a person).

    `scopes` are the full scope names Cognito puts in its tokens (`<resource server>/<scope>`).
    Exactly one of `template` (its own policy template, policy_templates/clients/<name>.json.tftpl)
    and `group` (a group whose policy governs it) is set.
    """

    name: str
    description: str
    scopes: tuple[str, ...]
    template: str | None = None
    group: str | None = None

    @property
    def policy_key(self) -> str:
        """The hash key of the policy-table item the authorizer reads for this client."""
        if self.template is not None:
            return f"{MACHINE_POLICY_PREFIX}{self.name}"
        assert self.group is not None  # parse_access_model guarantees exactly one
        return self.group

    @property
    def template_path(self) -> Path | None:
        if self.template is None:
            return None
        return TEMPLATES_DIR / CLIENT_TEMPLATES_DIR / f"{self.template}.json.tftpl"


@dataclass(frozen=True)
class Route:
    name: str
    path: str
    method: str
    auth: str
    handler: str
    scopes: tuple[str, ...] = ()
    #: A valid JSON body for a write to this route: the example of its handler in the model.
    example_body: Mapping[str, Any] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Handler:
    name: str
    entry_point: str
    description: str
    table_actions: tuple[str, ...]
    leading_keys: tuple[str, ...]
    example_body: Mapping[str, Any] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class OAuthScopes:
    resource_server: str
    oidc_scopes: tuple[str, ...]
    #: Resource-server scope name -> description.
    scopes: Mapping[str, str]

    def declared(self) -> frozenset[str]:
        """Every scope a route may require: the OIDC scopes and `<resource server>/<scope>`."""
        return frozenset(self.oidc_scopes) | frozenset(self.resource_server_scopes())

    def resource_server_scopes(self) -> tuple[str, ...]:
        """`<resource server>/<scope>` for every scope of the resource server (what machines get)."""
        return tuple(f"{self.resource_server}/{s}" for s in self.scopes)


@dataclass(frozen=True)
class AccessModel:
    groups: dict[str, Group]
    machine_clients: dict[str, MachineClient]
    handlers: dict[str, Handler]
    oauth: OAuthScopes
    routes: dict[str, Route]
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    def groups_by_precedence(self) -> list[Group]:
        return sorted(self.groups.values(), key=lambda g: g.precedence)


@dataclass(frozen=True)
class Verification:
    """settings.verification (both off unless config.json says otherwise)."""

    enabled: bool = False
    writes: bool = False


@dataclass(frozen=True)
class EnvConfig:
    environment: str
    region: str
    account_id: str
    lambda_architecture: str
    access: AccessModel
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def groups(self) -> dict[str, Group]:
        return self.access.groups

    @property
    def routes(self) -> dict[str, Route]:
        return self.access.routes

    @property
    def machine_clients(self) -> dict[str, MachineClient]:
        return self.access.machine_clients

    @property
    def stage_name(self) -> str:
        """The API stage (settings.stage_name, default: the environment), as the stack computes it."""
        return str(self.raw.get("stage_name") or self.environment)

    @property
    def name_prefix(self) -> str:
        """The prefix of every resource name (settings.name_prefix, default fga-<environment>)."""
        return str(self.raw.get("name_prefix") or f"fga-{self.environment}")

    def groups_by_precedence(self) -> list[Group]:
        return self.access.groups_by_precedence()

    @property
    def verification(self) -> Verification:
        raw = self.raw.get("verification") or {}
        return Verification(enabled=bool(raw.get("enabled", False)), writes=bool(raw.get("writes", False)))


def env_dir(env: str) -> Path:
    if env not in ENVIRONMENTS:
        raise ConfigError(f"unknown environment {env!r}: use one of {', '.join(ENVIRONMENTS)}")
    return ENVS_DIR / env


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """JSON allows a key twice and json.loads keeps the last one silently (a merge of two branches
    that both added a block does exactly that): refuse instead."""
    keys = [key for key, _ in pairs]
    duplicated = sorted({key for key in keys if keys.count(key) > 1})
    if duplicated:
        raise ConfigError(f"duplicate key(s) {duplicated}")
    return dict(pairs)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        raw = json.loads(path.read_text(), object_pairs_hook=_no_duplicate_keys)
    except FileNotFoundError as exc:
        raise ConfigError(f"{path} does not exist") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not valid JSON: {exc}") from exc
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: must hold a JSON object")
    return raw


def load_access_model(path: Path = ACCESS_MODEL) -> AccessModel:
    """Parse and check `policy_templates/access_model.json` (or another model file, for tests)."""
    return parse_access_model(_read_json(path), source=str(path))


def load(env: str, *, access_model: Path = ACCESS_MODEL) -> EnvConfig:
    """Parse and check `terraform/envs/<env>/config.json` with the access model."""
    path = env_dir(env) / "config.json"
    return parse(_read_json(path), source=str(path), access=load_access_model(access_model))


def _unknown_keys(raw: Mapping[str, Any], allowed: frozenset[str], source: str, what: str) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ConfigError(f"{source}: unknown {what} key(s) {unknown}; allowed: {sorted(allowed)}")


def _mapping(raw: Mapping[str, Any], key: str, source: str) -> Mapping[str, Any]:
    value = raw.get(key)
    if not isinstance(value, Mapping):
        raise ConfigError(f"{source}: {key!r} must be a JSON object")
    return value


def parse_access_model(raw: dict[str, Any], source: str = "<access model>") -> AccessModel:
    _unknown_keys(raw, MODEL_KEYS, source, "access model")
    groups: dict[str, Group] = {}
    for name, g in _mapping(raw, "groups", source).items():
        if not GROUP_NAME_RE.match(name):
            raise ConfigError(f"{source}: group name {name!r} must be 1-40 letters, digits, '_' or '-'")
        groups[name] = Group(
            name=name, precedence=int(g["precedence"]), description=str(g.get("description", ""))
        )
    precedences = [g.precedence for g in groups.values()]
    if len(set(precedences)) != len(precedences):
        raise ConfigError(f"{source}: group precedences must be unique (the multi-group rule relies on it)")

    handlers = {
        name: Handler(
            name=name,
            entry_point=str(h["entry_point"]),
            description=str(h.get("description", "")),
            table_actions=tuple(h.get("table_actions") or ()),
            leading_keys=tuple(h.get("leading_keys") or ()),
            example_body=h.get("example_body"),
        )
        for name, h in _mapping(raw, "handlers", source).items()
    }

    oauth_raw = _mapping(raw, "oauth", source)
    oauth = OAuthScopes(
        resource_server=str(oauth_raw["resource_server"]),
        oidc_scopes=tuple(oauth_raw.get("oidc_scopes") or ()),
        scopes={name: str(s.get("description", "")) for name, s in (oauth_raw.get("scopes") or {}).items()},
    )
    machine_clients = {
        str(name): _machine_client(str(name), spec, source, groups, oauth)
        for name, spec in (raw.get("machine_clients") or {}).items()
    }

    routes: dict[str, Route] = {}
    for name, r in _mapping(raw, "routes", source).items():
        handler = str(r["handler"])
        if handler not in handlers:
            raise ConfigError(
                f"{source}: route {name!r}: handler {handler!r} is not one of the model's handlers "
                f"{sorted(handlers)}"
            )
        route = Route(
            name=name,
            path=str(r["path"]),
            method=str(r["method"]).upper(),
            auth=str(r["auth"]),
            handler=handler,
            scopes=tuple(r.get("scopes") or ()),
            example_body=handlers[handler].example_body,
        )
        if route.auth not in AUTH_MODES:
            raise ConfigError(f"{source}: route {name!r}: auth {route.auth!r} is not one of {AUTH_MODES}")
        if route.method not in HTTP_METHODS:
            raise ConfigError(
                f"{source}: route {name!r}: method {route.method!r} is not one of {HTTP_METHODS}"
            )
        undeclared = sorted(set(route.scopes) - oauth.declared())
        if undeclared:
            raise ConfigError(
                f"{source}: route {name!r}: scopes {undeclared} are not declared in oauth "
                f"(oidc_scopes, or {oauth.resource_server}/<a key of oauth.scopes>)"
            )
        routes[name] = route
    return AccessModel(
        groups=groups,
        machine_clients=machine_clients,
        handlers=handlers,
        oauth=oauth,
        routes=routes,
        raw=raw,
    )


_CLIENT_KEYS = frozenset({"description", "scopes", "policy"})


def _machine_client(
    name: str, spec: Any, source: str, groups: Mapping[str, Group], oauth: OAuthScopes
) -> MachineClient:
    where = f"{source}: machine client {name!r}"
    if not CLIENT_NAME_RE.match(name) or name in RESERVED_CLIENT_NAMES:
        raise ConfigError(
            f"{where}: a machine client name must be 1-31 lowercase letters, digits or '-' starting "
            f"with a letter, and not {sorted(RESERVED_CLIENT_NAMES)} (it names the app client "
            "<prefix>-<name> and its template policy_templates/clients/<name>.json.tftpl)"
        )
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{where}: must be a JSON object with description, scopes and policy")
    _unknown_keys(spec, _CLIENT_KEYS, where, "machine client")
    raw_scopes = spec.get("scopes")
    if (
        not isinstance(raw_scopes, list)
        or not raw_scopes
        or not all(isinstance(s, str) and s for s in raw_scopes)
        or len(set(raw_scopes)) != len(raw_scopes)
    ):
        raise ConfigError(
            f"{where}: scopes must list at least one scope of the resource server, each once "
            f"(the client-credentials grant issues only custom scopes), e.g. {sorted(oauth.scopes)[:1]}"
        )
    undeclared = sorted(set(raw_scopes) - set(oauth.scopes))
    if undeclared:
        raise ConfigError(
            f"{where}: scopes {undeclared} are not declared under oauth.scopes (the resource server "
            f"{oauth.resource_server!r} has {sorted(oauth.scopes)}); write the scope's name without "
            f"the '{oauth.resource_server}/' prefix"
        )
    policy = spec.get("policy")
    if not isinstance(policy, Mapping) or len(policy) != 1 or set(policy) - {"template", "group"}:
        raise ConfigError(
            f'{where}: policy must be exactly one of {{"template": "{name}"}} (a template of its own, '
            f'policy_templates/clients/{name}.json.tftpl) or {{"group": "<group>"}} (that group\'s policy)'
        )
    template, group = policy.get("template"), policy.get("group")
    if "template" in policy and template != name:
        raise ConfigError(
            f"{where}: a client's own template is policy_templates/clients/{name}.json.tftpl: write "
            f'{{"template": "{name}"}}, not {template!r}'
        )
    if "group" in policy and (not isinstance(group, str) or group not in groups):
        raise ConfigError(f"{where}: policy.group {group!r} is not a group of the model ({sorted(groups)})")
    return MachineClient(
        name=name,
        description=str(spec.get("description", "")),
        scopes=tuple(f"{oauth.resource_server}/{s}" for s in raw_scopes),
        template=str(template) if template is not None else None,
        group=str(group) if group is not None else None,
    )


def _check_authorizer(authorizer: Any, source: str) -> None:
    """The authorizer's settings: known keys only (Terraform would drop a misspelt one silently) and
    each cache setting a whole number of seconds in the stack's range."""
    if not isinstance(authorizer, dict):
        raise ConfigError(f"{source}: authorizer must be an object")
    _unknown_keys(authorizer, AUTHORIZER_KEYS, source, "authorizer setting")
    for key, (low, high) in AUTHORIZER_SECONDS.items():
        value = authorizer.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ConfigError(
                f"{source}: authorizer.{key} must be a whole number of seconds from {low} to {high}, "
                f"not {value!r}"
            )


def parse(raw: dict[str, Any], source: str = "<config>", access: AccessModel | None = None) -> EnvConfig:
    """Check an environment's settings (`access`: the model, default the repository's)."""
    misplaced = sorted(set(raw) & MODEL_KEYS)
    if misplaced:
        raise ConfigError(
            f"{source}: {misplaced} belong in {ACCESS_MODEL.relative_to(REPO_ROOT)}, the one access model "
            "every environment reads (config.json holds only what differs per environment)"
        )
    environment = str(raw.get("environment"))
    allowed = SETTINGS_KEYS | (LOCAL_SETTINGS_KEYS if environment == "local" else frozenset())
    _unknown_keys(raw, allowed, source, "setting")
    for key in ("environment", "region", "account_id", "cors_allow_origin"):
        if key not in raw:
            raise ConfigError(f"{source}: {key!r} is required")
    prefix = raw.get("name_prefix")
    if prefix is not None and not NAME_PREFIX_RE.match(str(prefix)):
        raise ConfigError(
            f"{source}: name_prefix {prefix!r} must be 2-21 lowercase letters, digits or '-', "
            "starting with a letter"
        )
    _check_authorizer(raw.get("authorizer", {}), source)
    if "confidential_client" in (raw.get("user_pool") or {}):
        raise ConfigError(
            f"{source}: user_pool.confidential_client is gone: declare each machine caller under "
            f"machine_clients in {ACCESS_MODEL.relative_to(REPO_ROOT)} (every environment gets one "
            "confidential client per entry) and remove the setting"
        )
    model = access if access is not None else load_access_model()
    if model.machine_clients and not (raw.get("user_pool") or {}).get("domain_prefix"):
        raise ConfigError(
            f"{source}: the access model declares machine_clients, whose tokens come from the token "
            "endpoint of the user pool's domain: set user_pool.domain_prefix"
        )
    identity_pool = raw.get("identity_pool", {})
    if not isinstance(identity_pool, dict) or set(identity_pool) - {"user_pool_role_mapping"}:
        raise ConfigError(f'{source}: identity_pool takes only user_pool_role_mapping ("Rules" or "Token")')
    if identity_pool.get("user_pool_role_mapping", "Rules") not in USER_POOL_ROLE_MAPPINGS:
        raise ConfigError(
            f'{source}: identity_pool.user_pool_role_mapping must be "Rules" (default: only the preferred '
            f'role) or "Token" (callers may choose among their groups\' roles), not '
            f"{identity_pool['user_pool_role_mapping']!r}"
        )
    if "monitoring" in raw:
        try:
            monitoring.validate_settings(raw["monitoring"], source)
        except monitoring.MonitoringError as exc:
            raise ConfigError(str(exc)) from None
    _check_verification(raw.get("verification", {}), source)
    return EnvConfig(
        environment=environment,
        region=str(raw["region"]),
        account_id=str(raw["account_id"]),
        lambda_architecture=str(raw.get("lambda_architecture", "arm64")),
        access=model,
        raw=raw,
    )


def _check_verification(value: object, source: str) -> None:
    """settings.verification: {"enabled": bool, "writes": bool}, writes only with enabled (as the
    stack's validation says)."""
    if not isinstance(value, dict) or set(value) - VERIFICATION_KEYS:
        raise ConfigError(f'{source}: verification takes only "enabled" and "writes" (true or false)')
    for key in VERIFICATION_KEYS & set(value):
        if not isinstance(value[key], bool):
            raise ConfigError(f"{source}: verification.{key} must be true or false, not {value[key]!r}")
    if value.get("writes") and not value.get("enabled"):
        raise ConfigError(
            f"{source}: verification.writes needs verification.enabled = true (without the "
            "verification client `make verify` cannot run at all)"
        )


# --- another copy of the repository (make access-diff reads a git ref's files into a directory) ---


def model_path(root: Path = REPO_ROOT) -> Path:
    """The access model's file in the copy of the repository at `root`."""
    return root / ACCESS_MODEL.relative_to(REPO_ROOT)


def settings_path(env: str, root: Path = REPO_ROOT) -> Path:
    """`terraform/envs/<env>/config.json` in the copy of the repository at `root`."""
    return root / env_dir(env).relative_to(REPO_ROOT) / "config.json"


def read_json(path: Path) -> dict[str, Any]:
    """A model or settings file as `load` reads it (a JSON object, no duplicate keys), for callers
    that adapt it before `parse_access_model` / `parse` (an older copy of the repository)."""
    return _read_json(path)

"""The authorizer's configuration, read once per container from its environment.

Environment contract (docs/architecture.md): POLICY_TABLE, ISSUER, JWKS_URL (optional, default
`<ISSUER>/.well-known/jwks.json`), LOCAL_JWKS, ALLOWED_CLIENT_IDS (comma-separated, at least one:
the user clients), MACHINE_CLIENTS (optional JSON, the declared machine clients: authz/machines.py),
TOKEN_USE (`access` default, or `id`), POLICY_CACHE_TTL_SECONDS, JWKS_CACHE_TTL_SECONDS, LOG_LEVEL,
REVOCATION_TABLE, REVOCATION_CHECK_SECONDS.
Anything invalid raises ConfigError, and the handler then fails closed.

The keys come from the issuer: JWKS_URL, when set, must be `<ISSUER>/.well-known/jwks.json`. The
one exception is the local environment, whose emulator serves the keys at another address than the
issuer its tokens name: with LOCAL_JWKS=true (which the Terraform stack sets only from its
local-only `authorizer.jwks_origin` input) JWKS_URL may name another URL, on a loopback host only.
Setting LOCAL_JWKS in a real environment therefore loosens nothing an outsider could use: the only
keys it admits are ones served inside the function's own sandbox.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from authz.errors import ConfigError
from authz.machines import MachineClient, parse_machine_clients

# Named limits (seconds unless said otherwise).
# The policy cache adds to API Gateway's result cache in the window a policy change takes to apply
# (docs/architecture.md, "Authorizer cache window"); 0 reads the table on every decision.
DEFAULT_POLICY_CACHE_TTL_SECONDS = 60
DEFAULT_JWKS_CACHE_TTL_SECONDS = 3600
# How old the revocation record a decision relies on may be (authz/revocation.py): a revoked token
# is refused at most this long after the record is written (plus API Gateway's result cache);
# 0 reads the record on every decision. Bounded so that "revoked" keeps meaning "within seconds".
DEFAULT_REVOCATION_CHECK_SECONDS = 2
MAX_REVOCATION_CHECK_SECONDS = 300
MAX_CACHE_TTL_SECONDS = 86_400
# Minimum time between two JWKS fetches triggered by unknown `kid`s (and between failed fetches), so a
# flood of tokens with random kids cannot hammer the JWKS endpoint.
JWKS_REFETCH_COOLDOWN_SECONDS = 30.0
JWKS_FETCH_TIMEOUT_SECONDS = 3.0
# Accepted clock difference for exp/nbf/iat between Cognito and this function.
CLOCK_SKEW_SECONDS = 30
TOKEN_USES = ("access", "id")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_LOOPBACK_HOSTS = frozenset({"localhost"})


@dataclass(frozen=True)
class Settings:
    policy_table: str
    issuer: str
    jwks_url: str
    allowed_client_ids: frozenset[str]
    token_use: str = "access"  # noqa: S105 - a claim value, not a secret
    policy_cache_ttl: float = DEFAULT_POLICY_CACHE_TTL_SECONDS
    jwks_cache_ttl: float = DEFAULT_JWKS_CACHE_TTL_SECONDS
    jwks_cooldown: float = JWKS_REFETCH_COOLDOWN_SECONDS
    jwks_timeout: float = JWKS_FETCH_TIMEOUT_SECONDS
    clock_skew: int = CLOCK_SKEW_SECONDS
    log_level: str = "INFO"
    revocation_table: str = ""
    revocation_check_ttl: float = DEFAULT_REVOCATION_CHECK_SECONDS
    machine_clients: Mapping[str, MachineClient] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        table = env.get("POLICY_TABLE", "").strip()
        if not table:
            raise ConfigError("POLICY_TABLE is not set: give the policy table's name")
        issuer = env.get("ISSUER", "").strip().rstrip("/")
        _check_url("ISSUER", issuer)
        jwks_url = _jwks_url(env, issuer)
        clients = frozenset(c.strip() for c in env.get("ALLOWED_CLIENT_IDS", "").split(",") if c.strip())
        if not clients:
            raise ConfigError("ALLOWED_CLIENT_IDS is empty: list the app client ids, comma-separated")
        token_use = env.get("TOKEN_USE", "access").strip().lower() or "access"
        if token_use not in TOKEN_USES:
            raise ConfigError(f"TOKEN_USE must be one of {TOKEN_USES}, not {token_use!r}")
        log_level = env.get("LOG_LEVEL", "INFO").strip().upper() or "INFO"
        if log_level not in LOG_LEVELS:
            raise ConfigError(f"LOG_LEVEL must be one of {LOG_LEVELS}, not {log_level!r}")
        revocation_table = env.get("REVOCATION_TABLE", "").strip()
        if not revocation_table:
            raise ConfigError("REVOCATION_TABLE is not set: give the revocation table's name")
        machine_clients = parse_machine_clients(env.get("MACHINE_CLIENTS", ""), clients)
        if machine_clients and token_use != "access":  # noqa: S105 - a claim value, not a secret
            raise ConfigError("MACHINE_CLIENTS needs TOKEN_USE=access: a machine client has no ID token")
        return cls(
            policy_table=table,
            issuer=issuer,
            jwks_url=jwks_url,
            allowed_client_ids=clients,
            token_use=token_use,
            policy_cache_ttl=_ttl(
                env, "POLICY_CACHE_TTL_SECONDS", DEFAULT_POLICY_CACHE_TTL_SECONDS, minimum=0
            ),
            jwks_cache_ttl=_ttl(env, "JWKS_CACHE_TTL_SECONDS", DEFAULT_JWKS_CACHE_TTL_SECONDS),
            log_level=log_level,
            revocation_table=revocation_table,
            revocation_check_ttl=_ttl(
                env,
                "REVOCATION_CHECK_SECONDS",
                DEFAULT_REVOCATION_CHECK_SECONDS,
                minimum=0,
                maximum=MAX_REVOCATION_CHECK_SECONDS,
            ),
            machine_clients=machine_clients,
        )


def _ttl(
    env: Mapping[str, str], name: str, default: int, *, minimum: int = 1, maximum: int = MAX_CACHE_TTL_SECONDS
) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return float(default)
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number of seconds, not {raw!r}") from None
    if not minimum <= value <= maximum:
        raise ConfigError(f"{name} must be between {minimum} and {maximum} seconds, not {value}")
    return float(value)


def _jwks_url(env: Mapping[str, str], issuer: str) -> str:
    """The issuer's own key set, or (LOCAL_JWKS=true) a loopback URL; see the module docstring."""
    issuers = f"{issuer}/.well-known/jwks.json"
    local = env.get("LOCAL_JWKS", "").strip().lower()
    if local not in ("", "false", "true"):
        raise ConfigError(f"LOCAL_JWKS must be true or false (or unset), not {local!r}")
    url = env.get("JWKS_URL", "").strip() or issuers
    _check_url("JWKS_URL", url)
    if url == issuers:
        return url
    if local != "true":
        raise ConfigError(
            f"JWKS_URL must be the issuer's key set, {issuers!r}, not {url!r} (or leave it unset): "
            "only the local environment (LOCAL_JWKS=true) reads its keys from another address"
        )
    if not _is_loopback(urlsplit(url).hostname or ""):
        raise ConfigError(f"with LOCAL_JWKS=true, JWKS_URL must be on a loopback host, not {url!r}")
    return url


def _check_url(name: str, url: str) -> None:
    """https only, except plain http to a loopback host (the local emulator)."""
    if not url:
        raise ConfigError(f"{name} is not set: give the user pool's issuer URL")
    parts = urlsplit(url)
    if not parts.hostname:
        raise ConfigError(f"{name} {url!r} has no host")
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and _is_loopback(parts.hostname):
        return
    raise ConfigError(f"{name} must be an https URL (plain http is allowed only for loopback hosts): {url!r}")


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_HOSTS:
        return True
    import ipaddress  # noqa: PLC0415 - only the local emulator's URLs (plain http, LOCAL_JWKS) get here

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

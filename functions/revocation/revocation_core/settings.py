"""The functions' environment, read per invocation (a few dict lookups), refused when incomplete.

TABLE_NAME (the revocation table), USER_POOL_ID, TOKEN_LIFETIME_SECONDS (the longest access/ID
token lifetime plus the authorizer's clock skew: how long a revocation must be remembered); the
sign-out also ALLOWED_CLIENT_IDS (the app clients whose sessions it ends) and CORS_ALLOW_ORIGIN;
the feed REST_API_ID and STAGE_NAME (the stage whose authorizer cache it flushes); both
RESULT_TTL_SECONDS and REVOCATION_CHECK_SECONDS (when to flush, and the bound). LOG_LEVEL for both.
"""

from __future__ import annotations

import os


class ConfigError(RuntimeError):
    """The function's environment is incomplete or invalid (the message names the variable)."""


def required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} is not set")
    return value


def seconds(name: str, *, minimum: int = 0) -> int:
    raw = required(name)
    if not (raw.isascii() and raw.isdigit()) or int(raw) < minimum:
        raise ConfigError(f"{name} must be a whole number of seconds (at least {minimum}), not {raw!r}")
    return int(raw)


def names(name: str) -> frozenset[str]:
    found = frozenset(v.strip() for v in required(name).split(",") if v.strip())
    if not found:
        raise ConfigError(f"{name} lists nothing")
    return found

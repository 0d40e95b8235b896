"""The monitoring module's catalog and the environments' `monitoring` settings, for Python.

`terraform/modules/monitoring/catalog.json` declares every alarm kind once: AWS-metric alarms with
their recommended statistics, the log alarms with their CloudWatch Logs filter patterns, the
denial-rate alarm and the composite alarm. Terraform builds the alarms from it; this module gives
the same facts to `tools/config.py` (which validates `settings.monitoring` as strictly as the stack
does), to the runbook checks and to the tests that run the log patterns against real log lines.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from tools.log_patterns import Pattern, compile_pattern

REPO_ROOT = Path(__file__).resolve().parent.parent
CATALOG = REPO_ROOT / "terraform" / "modules" / "monitoring" / "catalog.json"

SUBSCRIPTION_PROTOCOLS = ("email", "https")
OVERRIDE_KEYS = frozenset(
    {"threshold", "period", "evaluation_periods", "datapoints_to_alarm", "actions_enabled"}
)
SETTINGS_KEYS = frozenset(
    {"subscriptions", "expects_traffic", "alarms", "account_concurrency_quota", "runbook_url"}
)
#: Periods CloudWatch alarms accept (high resolution 10/30 s, else multiples of 60 s); the module
#: accepts the same list.
PERIODS = (10, 30, 60, 120, 180, 240, 300, 600, 900, 1800, 3600)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HTTPS = re.compile(r"^https://\S+$")


class MonitoringError(ValueError):
    """`settings.monitoring` says something the stack would refuse."""


@dataclass(frozen=True)
class LogAlarm:
    """A log alarm of the catalog: which log it reads and the pattern its metric filter uses."""

    kind: str
    source: str  # "authorizer", "backend" or "access"
    pattern: Pattern
    metric: str
    fail_closed: bool


@cache
def catalog() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(CATALOG.read_text())
    return data


def alarm_kinds() -> frozenset[str]:
    """Every kind an override may name (and every runbook section docs/operations.md must have)."""
    data = catalog()
    return frozenset(
        [*data["metric_alarms"], *data["log_alarms"], *data["rate_alarms"], data["composite_alarm"]["key"]]
    )


def log_alarms() -> dict[str, LogAlarm]:
    return {
        kind: LogAlarm(
            kind=kind,
            source=spec["source"],
            pattern=compile_pattern(spec["pattern"]),
            metric=spec["metric"],
            fail_closed=bool(spec["fail_closed"]),
        )
        for kind, spec in catalog()["log_alarms"].items()
    }


def validate_settings(raw: Any, source: str) -> None:
    """Refuse what terraform/stack/variables.tf and the module's variables would refuse, naming the
    setting; `raw` is the value of `monitoring` in a config.json."""
    where = f"{source}: monitoring"
    if not isinstance(raw, Mapping):
        raise MonitoringError(f"{where} must be a JSON object")
    unknown = sorted(set(raw) - SETTINGS_KEYS)
    if unknown:
        raise MonitoringError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(SETTINGS_KEYS)}")
    _subscriptions(raw.get("subscriptions", {}), where)
    _alarms(raw.get("alarms", {}), where)
    if "expects_traffic" in raw and not isinstance(raw["expects_traffic"], bool):
        raise MonitoringError(f"{where}.expects_traffic must be true or false")
    quota = raw.get("account_concurrency_quota", 1000)
    if not isinstance(quota, int) or isinstance(quota, bool) or quota < 1:
        raise MonitoringError(
            f"{where}.account_concurrency_quota must be the account's regional Lambda concurrency quota, "
            "a whole number (1000 unless AWS raised it)"
        )
    runbook = raw.get("runbook_url", "docs/operations.md")
    if not isinstance(runbook, str) or not runbook or "#" in runbook:
        raise MonitoringError(
            f"{where}.runbook_url must be where people read docs/operations.md, without a #fragment "
            "(each alarm appends #<its kind>)"
        )


def _subscriptions(raw: Any, where: str) -> None:
    if not isinstance(raw, Mapping):
        raise MonitoringError(
            f'{where}.subscriptions must be an object: {{"<name>": {{"protocol": ..., "endpoint": ...}}}}'
        )
    for name, sub in raw.items():
        if not isinstance(sub, Mapping) or set(sub) != {"protocol", "endpoint"}:
            raise MonitoringError(f"{where}.subscriptions.{name} must be exactly {{protocol, endpoint}}")
        protocol, endpoint = sub["protocol"], sub["endpoint"]
        if protocol not in SUBSCRIPTION_PROTOCOLS:
            raise MonitoringError(
                f"{where}.subscriptions.{name}.protocol must be one of {SUBSCRIPTION_PROTOCOLS}, not "
                f"{protocol!r} (plain http would send alarm contents in clear text)"
            )
        pattern = _EMAIL if protocol == "email" else _HTTPS
        if not isinstance(endpoint, str) or not pattern.match(endpoint):
            wanted = "an email address" if protocol == "email" else "an https:// URL"
            raise MonitoringError(f"{where}.subscriptions.{name}.endpoint must be {wanted}, not {endpoint!r}")


def _alarms(raw: Any, where: str) -> None:
    if not isinstance(raw, Mapping):
        raise MonitoringError(f"{where}.alarms must be an object keyed by alarm kind")
    kinds = alarm_kinds()
    for key, override in raw.items():
        kind = key.split(":", 1)[0]
        if kind not in kinds:
            raise MonitoringError(
                f"{where}.alarms: {key!r} is not an alarm kind of {CATALOG.relative_to(REPO_ROOT)} "
                f"(optionally :<function, table, client or auth mode>); kinds: {sorted(kinds)}"
            )
        if not isinstance(override, Mapping) or set(override) - OVERRIDE_KEYS:
            raise MonitoringError(f"{where}.alarms.{key} may set only {sorted(OVERRIDE_KEYS)}")
        period = override.get("period")
        if period is not None and period not in PERIODS:
            raise MonitoringError(f"{where}.alarms.{key}.period must be one of {PERIODS} seconds")
        for name in ("evaluation_periods", "datapoints_to_alarm"):
            value = override.get(name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                raise MonitoringError(f"{where}.alarms.{key}.{name} must be a whole number, at least 1")
        threshold = override.get("threshold")
        if threshold is not None and (isinstance(threshold, bool) or not isinstance(threshold, int | float)):
            raise MonitoringError(f"{where}.alarms.{key}.threshold must be a number")
        if "actions_enabled" in override and not isinstance(override["actions_enabled"], bool):
            raise MonitoringError(f"{where}.alarms.{key}.actions_enabled must be true or false")

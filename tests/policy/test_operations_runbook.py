"""docs/operations.md is complete and agrees with the monitoring module and the authorizer's code.

- every alarm kind of terraform/modules/monitoring/catalog.json has its section (the alarms'
  descriptions link to `#<kind>`) with what it means, likely causes, first commands and silencing;
- every alarm the scenario tables name is one the stack creates (kind and instance);
- every log alarm is proven by at least one scenario's real lines (the plugin checks the rows when
  the scenarios run);
- every reason the authorizer's code can log has a row in the reasons table, and the table maps it
  to exactly the log alarms whose patterns count a decision line with that reason.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import hcl2
import pytest

from tests.reliability import signals
from tools import config, monitoring

ROOT = config.REPO_ROOT
RUNBOOK = ROOT / "docs" / "operations.md"
REASONS_TABLE = "Decision reasons and their alarms"
SECTION_PARTS = ("**What it means.**", "**Likely causes.**", "**First commands.**", "**Silence it safely.**")
AUTHORIZER = ROOT / "functions" / "authorizer"


def _section(kind: str) -> str:
    match = re.search(rf"^### {re.escape(kind)}\n(.*?)(?=^##|\Z)", RUNBOOK.read_text(), re.S | re.M)
    assert match is not None, (
        f"docs/operations.md has no '### {kind}' section (alarm descriptions link to it)"
    )
    return match.group(1)


@pytest.mark.parametrize("kind", sorted(monitoring.alarm_kinds()))
def test_every_alarm_kind_has_a_complete_runbook_section(kind: str) -> None:
    section = _section(kind)
    missing = [part for part in SECTION_PARTS if part not in section]
    assert missing == [], f"### {kind} lacks {missing}"


def _instances() -> dict[str, set[str]]:
    """What each scope's alarms are keyed by in the stack (terraform/stack/monitoring.tf)."""
    stack = hcl2.load((ROOT / "terraform" / "stack" / "monitoring.tf").open())
    module = stack["module"][0]["monitoring"]
    handlers = set(config.load_access_model().handlers)
    return {
        "function": {"authorizer", "signout", "revocation_feed", *handlers},  # terraform/stack/monitoring.tf
        "table": set(module["tables"][0]),
        "user_pool_client": set(module["user_pool"][0]["clients"]),
        "auth_mode": set(config.AUTH_MODES),
    }


def test_the_stacks_instances_are_read_so_the_check_below_is_not_vacuous() -> None:
    instances = _instances()
    assert instances["table"] == {"policies", "records", "revocations"}
    assert instances["user_pool_client"] == {"web"}
    assert "authorizer" in instances["function"]


def _named_alarms() -> set[str]:
    rows = [*signals.table(signals.FAULT_TABLE).values(), *signals.table(signals.FUZZ_TABLE).values()]
    return {alarm for row in rows for alarm in (*row.alarms, *row.later)} | {
        alarm for row in signals.table(REASONS_TABLE).values() for alarm in row.alarms
    }


def alarm_problem(key: str, instances: dict[str, set[str]]) -> str | None:
    catalog = monitoring.catalog()
    kind, _, instance = key.partition(":")
    scope = (
        catalog["metric_alarms"][kind]["scope"]
        if kind in catalog["metric_alarms"]
        else "auth_mode"
        if kind in catalog["rate_alarms"]
        else None
    )
    if kind not in monitoring.alarm_kinds():
        return f"{key}: {kind!r} is not an alarm kind of the catalog"
    if not instance or scope in (None, "api"):
        return None if not instance else f"{key}: {kind} has one alarm, without :<instance>"
    if scope == "user_pool_identity_provider":
        return f"{key}: the stack federates no identity provider into the user pool"
    if instance not in instances[scope]:
        return f"{key}: the stack has no {scope} {instance!r} ({sorted(instances[scope])})"
    return None


def test_every_alarm_the_tables_name_is_one_the_stack_creates() -> None:
    instances = _instances()
    problems = [p for key in sorted(_named_alarms()) if (p := alarm_problem(key, instances))]
    assert problems == []


def test_the_alarm_check_catches_unknown_kinds_and_instances() -> None:
    instances = _instances()
    assert alarm_problem("lambda_erors:authorizer", instances)
    assert alarm_problem("lambda_errors:nobody", instances)
    assert alarm_problem("dynamodb_read_throttles:audit", instances)
    assert alarm_problem("api_5xx:dev", instances)
    assert alarm_problem("lambda_errors:authorizer", instances) is None


def test_every_log_alarm_is_proven_by_some_scenarios_real_lines() -> None:
    rows = [*signals.table(signals.FAULT_TABLE).values(), *signals.table(signals.FUZZ_TABLE).values()]
    proven = {alarm for row in rows for alarm in row.alarms}
    unproven = sorted(set(monitoring.log_alarms()) - proven)
    assert unproven == [], "no scenario in docs/operations.md shows these firing on real lines"
    assert set(signals.INTENT) == set(monitoring.log_alarms()), "every log alarm needs its INTENT"


# --- the authorizer's reasons ----------------------------------------------------------------------


def logged_reasons(root: Path = AUTHORIZER) -> set[str]:
    """Every decision reason the authorizer's code can log: the literal passed to Unauthorized,
    _Deny, _CannotDecide, Selection(_, reason), `_log(decision, reason, ...)` or `reason=`; an
    f-string reason as its literal prefix plus `*` (`internal_error_*`)."""
    found: set[str] = set()
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
                head = str(node.values[0].value)
                if re.fullmatch(r"[a-z]+(_[a-z]+)*_", head):
                    found.add(head + "*")
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = (
                func.id
                if isinstance(func, ast.Name)
                else func.attr
                if isinstance(func, ast.Attribute)
                else ""
            )
            position = {"Unauthorized": 0, "_Deny": 0, "_CannotDecide": 0, "Selection": 1, "_log": 1}.get(
                name
            )
            candidates = [node.args[position]] if position is not None and len(node.args) > position else []
            candidates += [kw.value for kw in node.keywords if kw.arg == "reason"]
            found.update(
                c.value for c in candidates if isinstance(c, ast.Constant) and isinstance(c.value, str)
            )
    return found


def test_the_reason_extractor_finds_what_the_authorizer_logs() -> None:
    reasons = logged_reasons()
    assert {
        "policy_table_unavailable",
        "jwks_unavailable",
        "bad_signature",
        "group_policy",
        "internal_error_*",
    } <= reasons
    assert {"malformed_policy_item", "token_expired", "bad_method_arn", "no_group_policy"} <= reasons


def test_every_reason_the_authorizer_logs_has_a_row() -> None:
    rows = signals.table(REASONS_TABLE)
    missing = sorted(logged_reasons() - set(rows))
    assert missing == [], f"add rows to docs/operations.md '{REASONS_TABLE}' for {missing}"


def _decision(reason: str) -> str:
    return json.dumps(
        {
            "level": "INFO",
            "logger": "authorizer",
            "message": "authorizer decision",
            "reason": reason.replace("*", "ValueError"),
        }
    )


def test_the_reasons_table_agrees_with_the_patterns() -> None:
    alarms = {k: a for k, a in monitoring.log_alarms().items() if a.source == "authorizer"}
    disagree = {}
    for reason, row in signals.table(REASONS_TABLE).items():
        counted = {kind for kind, alarm in alarms.items() if alarm.pattern.matches(_decision(reason))}
        if counted != set(row.alarms):
            disagree[reason] = (sorted(row.alarms), sorted(counted))
    assert disagree == {}, "reason: (the table says, the patterns count)"


def test_the_reason_scan_sees_a_reason_in_a_new_module(tmp_path: Path) -> None:
    (tmp_path / "revoke.py").write_text(
        'def check(table):\n    raise _CannotDecide("revocation_store_unavailable")\n'
    )
    assert "revocation_store_unavailable" in logged_reasons(tmp_path)

"""The alarm check of the reliability plugin (tests/reliability/signals.py) fails when it should.

The lines here are decision-log lines shaped like the authorizer's (the real ones are checked by
the fault and fuzz suites through the plugin); these tests only show the checker's rules bite.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.reliability import signals
from tests.reliability.signals import Capture, Row


def line(reason: str, **fields: Any) -> str:
    return json.dumps(
        {
            "level": "INFO",
            "logger": "authorizer",
            "message": "authorizer decision",
            "reason": reason,
            **fields,
        }
    )


def captured(*lines: str) -> Capture:
    capture = Capture(signals._selectors())
    capture.write("".join(f"{text}\n" for text in lines))
    return capture


def tables(**rows: Row) -> dict[str, dict[str, Row]]:
    return {"fault": {r.name: r for r in rows.values()}, "fuzz": {}}


def test_a_scenario_whose_row_matches_its_lines_passes() -> None:
    rows = tables(a=Row("table down", ("fail_closed_policy_table", "api_4xx")))
    assert signals.check([("fault", "table down")], captured(line("policy_table_unavailable")), rows) == []


def test_a_scenario_without_a_row_fails_and_says_what_its_lines_trip() -> None:
    problems = signals.check([("fault", "new fault")], captured(line("jwks_unavailable")), tables())
    assert "has no row" in problems[0]
    assert any("fail_closed_jwks" in p for p in problems[1:])


def test_a_listed_log_alarm_its_lines_do_not_trip_fails() -> None:
    """What a log format change looks like: the row still names the alarm, no line matches."""
    rows = tables(a=Row("table down", ("fail_closed_policy_table",)))
    renamed = json.dumps(
        {"level": "INFO", "logger": "authorizer", "message": "decision", "why": "policy_table_unavailable"}
    )
    problems = signals.check([("fault", "table down")], captured(renamed), rows)
    assert len(problems) == 1
    assert "matches none of the scenario's 1 authorizer log lines" in problems[0]


def test_a_log_alarm_the_lines_trip_but_the_row_leaves_out_fails() -> None:
    rows = tables(a=Row("key swap", ("api_4xx",)))
    problems = signals.check([("fault", "key swap")], captured(line("unknown_kid")), rows)
    assert problems
    assert "forged_tokens" in problems[0]
    assert "does not list it" in problems[0]


def test_a_fault_scenario_must_name_an_alarm_now_or_later() -> None:
    assert signals.check([("fault", "x")], captured(), tables(a=Row("x", ()))) == [
        "fault scenario 'x' maps to no alarm in docs/operations.md"
    ]
    assert (
        signals.check([("fault", "x")], captured(), tables(a=Row("x", (), ("dynamodb_read_throttles",))))
        == []
    )


def test_an_alarm_that_is_not_in_the_catalog_fails() -> None:
    problems = signals.check([("fault", "x")], captured(), tables(a=Row("x", ("lambda_erors",))))
    assert problems == ["'x': 'lambda_erors' is not an alarm of the catalog"]


def test_a_pattern_that_disagrees_with_its_intent_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(signals.INTENT, "forged_tokens", lambda line: line.get("reason") == "bad_signature")
    rows = tables(a=Row("swap", ("forged_tokens",)))
    problems = signals.check([("fault", "swap")], captured(line("unknown_kid")), rows)
    assert problems
    assert "forged_tokens: its pattern matches a line its intent excludes" in problems[0]


def test_lines_are_kept_once_per_projection_and_counted() -> None:
    capture = captured(
        line("jwks_unavailable", sub="a"), line("jwks_unavailable", sub="b"), line("bad_signature")
    )
    assert len(capture.lines["authorizer"]) == 2
    assert capture.counts["authorizer"] == 3


def test_the_runbook_tables_parse_with_their_later_column() -> None:
    text = "\n".join(
        [
            "## Fault scenarios and the alarms that fire",
            "| fault scenario | alarms that fire | once it lasts | why |",
            "|---|---|---|---|",
            "| `cached` | | `dynamodb_read_throttles:policies` | x |",
            "| `down` | `fail_closed_jwks`, `api_4xx` | | y |",
        ]
    )
    rows = signals.table(signals.FAULT_TABLE, text)
    assert rows == {
        "cached": Row("cached", (), ("dynamodb_read_throttles:policies",)),
        "down": Row("down", ("fail_closed_jwks", "api_4xx"), ()),
    }

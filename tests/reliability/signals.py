"""Which alarms the log lines of a reliability scenario trip, checked against the runbook.

Every fault scenario and fuzz target (what a test records with `figures.record("fault"|"fuzz", name)`)
has a row in docs/operations.md naming the alarms that fire for it. While a reliability test runs,
the plugin (tests/reliability/plugin.py) captures the log lines it produces: the functions' JSON
lines on stdout (sorted by their `logger`: the authorizer's decision log, the backends' request
log) and whatever the test hands over with `capture()` (e2e tests read the stage's access log from
its log group). When the test has passed, `check()` runs every log alarm's CloudWatch pattern
(terraform/modules/monitoring/catalog.json, through tools/log_patterns.py, the emulator's own
implementation) over those real lines and requires:

- the scenario has a row (a new scenario without one fails its own test), and a fault scenario
  names at least one alarm, each a kind of the catalog;
- each log alarm of the row's "alarms that fire" column matches at least one of the scenario's lines
  (a log format change that stops it firing fails here), and no log alarm outside that column matches
  any. The row's third column names the alarms that fire once the fault outlasts what the test runs
  (a cached policy expiring, a throttle that persists): claims about time the test does not cover,
  so they are not matched against its lines, but they must not be firing already;
- every pattern matches exactly the lines its intent below says it should (`INTENT`, written in
  Python, independently of the pattern syntax): "the lines it must and no others".

Lines are kept once per distinct value of the fields the patterns read, so a fuzz target's tens of
thousands of lines cost a handful of pattern evaluations.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from tools import monitoring
from tools.config import REPO_ROOT
from tools.log_patterns import resolve, selector_path

RUNBOOK = REPO_ROOT / "docs" / "operations.md"
FAULT_TABLE = "Fault scenarios and the alarms that fire"
FUZZ_TABLE = "Fuzz targets and the log alarms they trip"
SOURCES = ("authorizer", "backend", "access")


def _decision(line: Mapping[str, Any], *reasons: str) -> bool:
    return line.get("message") == "authorizer decision" and line.get("reason") in reasons


def _reason_prefix(line: Mapping[str, Any], *prefixes: str) -> bool:
    reason = line.get("reason")
    return isinstance(reason, str) and reason.startswith(prefixes)


#: What each log alarm is meant to count, said in Python rather than in CloudWatch's syntax: the
#: pattern must agree with it on every real line. A new log alarm needs its entry here.
INTENT: dict[str, Callable[[Mapping[str, Any]], bool]] = {
    "fail_closed_policy_table": lambda line: _decision(line, "policy_table_unavailable"),
    "fail_closed_jwks": lambda line: _decision(line, "jwks_unavailable", "key_not_rs256"),
    "fail_closed_policy_items": lambda line: _decision(
        line, "malformed_policy_item", "ambiguous_precedence", "policy_outside_api", "policy_too_large"
    ),
    "fail_closed_revocation": lambda line: _decision(line, "revocation_store_unavailable"),
    # verification_error_* is not here: it is a 401 for one request a caller can provoke with a
    # malformed header (the fuzz suite does), not the authorizer failing.
    "fail_closed_internal": lambda line: (
        line.get("level") == "ERROR" or _reason_prefix(line, "internal_error_")
    ),
    "forged_tokens": lambda line: _decision(
        line, "bad_signature", "unknown_kid", "algorithm_not_allowed", "missing_kid"
    ),
    "authorizer_errors": lambda line: (
        line.get("authorizerError") not in (None, "-") and str(line.get("status", "")).startswith("5")
    ),
    "backend_server_errors": lambda line: (
        line.get("message") == "request" and isinstance(line.get("status"), int) and line["status"] >= 500
    ),
}


# --- capture ------------------------------------------------------------------------------------


@dataclass
class Capture:
    """The lines one test produced, per source, one per distinct projection."""

    selectors: tuple[str, ...]
    lines: dict[str, dict[tuple[Any, ...], str]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    _partial: str = ""

    def add(self, source: str, raw: str, document: Any = None) -> None:
        if source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}, not {source!r}")
        if document is None:
            try:
                document = json.loads(raw)
            except ValueError:
                return
        if not isinstance(document, dict):
            return
        key = tuple(repr(resolve(document, selector_path(s))) for s in self.selectors)
        self.lines.setdefault(source, {}).setdefault(key, raw)
        self.counts[source] = self.counts.get(source, 0) + 1

    def write(self, text: str) -> None:
        """What the code under test wrote to stdout (any chunking): JSON lines of the functions."""
        text = self._partial + text
        *complete, self._partial = text.split("\n")
        for raw in complete:
            stripped = raw.strip()
            if not stripped.startswith("{"):
                continue
            try:
                document = json.loads(stripped)
            except ValueError:
                continue
            if isinstance(document, dict) and document.get("logger") in ("authorizer", "backend"):
                self.add(str(document["logger"]), stripped, document)


_current: Capture | None = None


def start() -> Capture:
    global _current  # noqa: PLW0603 - one test at a time per process
    _current = Capture(_selectors())
    return _current


def stop() -> None:
    global _current  # noqa: PLW0603
    _current = None


def capture(source: str, lines: Iterable[str]) -> None:
    """Hand over lines the test read elsewhere (e.g. the stage's access log from its log group)."""
    if _current is None:
        raise RuntimeError("signals.capture() is for reliability tests (the plugin captures while they run)")
    for line in lines:
        _current.add(source, line)


# --- the runbook's tables -------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    name: str
    alarms: tuple[str, ...]  # fire for the scenario as the test runs it
    later: tuple[str, ...] = ()  # fire once the fault lasts longer than the test lets it


def table(heading: str, text: str | None = None) -> dict[str, Row]:
    """The rows of the table under `## <heading>` in docs/operations.md, keyed by their first cell."""
    text = RUNBOOK.read_text() if text is None else text
    section = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    if section is None:
        raise AssertionError(f"{RUNBOOK.relative_to(REPO_ROOT)} has no '## {heading}' section")
    rows: dict[str, Row] = {}
    for line in section.group(1).splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]] if line.startswith("|") else []
        if len(cells) < 2 or not cells[0].startswith("`"):
            continue
        name = cells[0].strip("`")
        if name in rows:
            raise AssertionError(f"{heading}: {name!r} has two rows")
        later = tuple(re.findall(r"`([^`]+)`", cells[2])) if len(cells) > 3 else ()
        rows[name] = Row(name, tuple(re.findall(r"`([^`]+)`", cells[1])), later)
    return rows


@cache
def _tables() -> dict[str, dict[str, Row]]:
    return {"fault": table(FAULT_TABLE), "fuzz": table(FUZZ_TABLE)}


@cache
def _selectors() -> tuple[str, ...]:
    return tuple(sorted({s for a in monitoring.log_alarms().values() for s in a.pattern.selectors}))


def known_alarm(key: str) -> bool:
    """A catalog kind, optionally with `:<instance>` (a function, table, client or auth mode)."""
    return key.split(":", 1)[0] in monitoring.alarm_kinds()


# --- the check ----------------------------------------------------------------------------------


def check(
    recorded: list[tuple[str, str]], captured: Capture, tables: Mapping[str, Mapping[str, Row]] | None = None
) -> list[str]:
    """Problems with the scenarios a test recorded (see the module docstring); [] when all hold."""
    tables = _tables() if tables is None else tables
    problems: list[str] = []
    alarms = monitoring.log_alarms()
    for kind in sorted(set(alarms) - set(INTENT)):
        problems.append(f"log alarm {kind!r} has no INTENT entry in tests/reliability/signals.py")
    for what, name in recorded:
        if what not in tables:
            continue
        heading = FAULT_TABLE if what == "fault" else FUZZ_TABLE
        row = tables[what].get(name)
        if row is None:
            problems.append(
                f"{what} scenario {name!r} has no row in docs/operations.md '{heading}': add one naming the "
                "alarms that fire for it"
            )
            problems += _check_lines(name, set(), captured, alarms)  # which log alarms it trips
            continue
        if what == "fault" and not (row.alarms or row.later):
            problems.append(f"fault scenario {name!r} maps to no alarm in docs/operations.md")
        problems += [
            f"{name!r}: {a!r} is not an alarm of the catalog"
            for a in row.alarms + row.later
            if not known_alarm(a)
        ]
        problems += _check_lines(name, set(row.alarms), captured, alarms)
    return problems


def _check_lines(name: str, listed: set[str], captured: Capture, alarms: Mapping[str, Any]) -> list[str]:
    problems = []
    for kind, alarm in sorted(alarms.items()):
        lines = list(captured.lines.get(alarm.source, {}).values())
        matched = []
        for raw in lines:
            hit = alarm.pattern.matches(raw)
            meant = kind in INTENT and INTENT[kind](json.loads(raw))
            if hit != meant:
                problems.append(
                    f"{kind}: its pattern {'matches' if hit else 'misses'} a line its intent "
                    f"{'excludes' if hit else 'includes'}: {raw[:300]}"
                )
            if hit:
                matched.append(raw)
        if kind in listed and not matched:
            seen = captured.counts.get(alarm.source, 0)
            problems.append(
                f"{name!r}: docs/operations.md says {kind} fires, but its pattern matches none of the "
                f"scenario's {seen} {alarm.source} log lines (did the log format change?)"
            )
        if kind not in listed and matched:
            problems.append(
                f"{name!r}: {kind}'s pattern matches {len(matched)} of the scenario's {alarm.source} lines "
                f"(e.g. {matched[0][:200]}) but docs/operations.md does not list it for the scenario"
            )
    return problems


def runbook_path() -> Path:
    return RUNBOOK

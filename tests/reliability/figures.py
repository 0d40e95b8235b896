"""What the reliability tests actually did, written as they pass, read back for reports.

Each passing reliability test calls `record(kind, name, **figures)`: one JSON line appended to
`<FGA_RELIABILITY_OUT>/<pid>.jsonl` (one file per process, so pytest-xdist workers never share a
file). The pytest plugin (tests/reliability/plugin.py) points FGA_RELIABILITY_OUT at a fresh
directory when it is not set, and sums the lines at the end of the session; `make reliability` sets
it to build/reliability/ and renders docs/reliability.md from the same lines.

Figures are counts and measurements the test observed (cases run, attempts seen by a fault server,
requests sent), never numbers the test was configured with.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OUT_ENV = "FGA_RELIABILITY_OUT"
PROFILE_ENV = "FGA_RELIABILITY_PROFILE"
KINDS = ("fuzz", "fault", "load", "integrity")

_lock = threading.Lock()
#: (kind, name) of what was recorded in this process since the plugin last cleared it: the scenarios
#: of the test that is running (tests/reliability/signals.py checks them against the runbook).
recorded: list[tuple[str, str]] = []


def out_dir() -> Path | None:
    value = os.environ.get(OUT_ENV, "").strip()
    return Path(value) if value else None


def profile() -> str:
    """`ci` (what `make test` runs, bounded) or `soak` (`make reliability`)."""
    value = os.environ.get(PROFILE_ENV, "ci").strip() or "ci"
    if value not in ("ci", "soak"):
        raise ValueError(f"{PROFILE_ENV} must be ci or soak, not {value!r}")
    return value


def record(kind: str, name: str, **figures: Any) -> None:
    """Append one line for a test that held (call it after the test's assertions)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    recorded.append((kind, name))
    directory = out_dir()
    if directory is None:
        return
    line = {"kind": kind, "name": name, "profile": profile(), "time": time.time(), **figures}
    directory.mkdir(parents=True, exist_ok=True)
    with _lock, (directory / f"{os.getpid()}.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(line, sort_keys=True, default=str) + "\n")


def read(directory: Path) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    for path in sorted(directory.glob("*.jsonl")):
        lines.extend(json.loads(text) for text in path.read_text(encoding="utf-8").splitlines() if text)
    return sorted(lines, key=lambda line: (line["kind"], line["name"]))


@dataclass
class Tally:
    """A thread-safe counter of named outcomes (e.g. allow/deny/unauthorized per fuzz target)."""

    counts: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, key: str, amount: int = 1) -> None:
        with self._lock:
            self.counts[key] = self.counts.get(key, 0) + amount

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def __getitem__(self, key: str) -> int:
        return self.counts.get(key, 0)

    def items(self) -> Iterator[tuple[str, int]]:
        return iter(sorted(self.counts.items()))


def total(lines: Iterable[dict[str, Any]], kind: str, key: str) -> int:
    return sum(int(line.get(key, 0)) for line in lines if line["kind"] == kind)


def summary(lines: list[dict[str, Any]]) -> str:
    """One short paragraph for the end of a pytest session."""
    parts = []
    fuzz = [line for line in lines if line["kind"] == "fuzz"]
    if fuzz:
        parts.append(f"{total(fuzz, 'fuzz', 'cases'):,} fuzz cases in {len(fuzz)} targets")
    faults = [line for line in lines if line["kind"] == "fault"]
    if faults:
        parts.append(f"{len(faults)} fault scenarios held")
    for line in lines:
        if line["kind"] == "load":
            parts.append(
                f"load {line['requests']:,} requests, {line['wrong_decisions']} wrong decisions, "
                f"{line['server_errors']} 5xx, p50 {line['p50_ms']} ms, p99 {line['p99_ms']} ms"
            )
    integrity = [line for line in lines if line["kind"] == "integrity"]
    if integrity:
        parts.append(
            f"integrity {total(integrity, 'integrity', 'writes'):,} writes, "
            f"{total(integrity, 'integrity', 'lost_writes')} lost"
        )
    return "reliability: " + "; ".join(parts) if parts else ""

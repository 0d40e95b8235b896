"""First-run benchmark: a new user's `make up` (fresh clone), a second `make up`, and optionally
`CI=true make test` from a fresh clone, with wall and CPU times and where `make up`'s time goes.

Run with `make bench-first-run` (or `python -m tests.bench.first_run [--with-test] [--no-write]`).
It clones the repository's committed HEAD into a temporary directory (uncommitted changes are not
measured), runs the commands there and rewrites its own generated section of docs/benchmarks.md
(other sections are kept). The machine may be shared: the load average before and after each run
and the CPU time (user + sys of every process the run started) are reported beside wall times.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.bench.doc_section import write_section

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "benchmarks.md"
BEGIN = "<!-- BEGIN GENERATED: first run (python -m tests.bench.first_run) -->"
END = "<!-- END GENERATED: first run -->"
READY_PREFIX = "==> ready"
GOALS = {"fresh make up": 75.0, "warm make up": 30.0, "fresh make test": 300.0}


@dataclass
class Run:
    name: str
    command: str
    wall: float = 0.0
    to_ready: float | None = None
    cpu: float = 0.0
    load_before: float = 0.0
    load_after: float = 0.0
    returncode: int = 0
    timings: dict[str, Any] = field(default_factory=dict)
    tail: list[str] = field(default_factory=list)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _measure(name: str, command: list[str], cwd: Path, env: dict[str, str]) -> Run:
    run = Run(name, " ".join(command), load_before=os.getloadavg()[0])
    cpu_before = _children_cpu()
    started = time.monotonic()
    with subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            if run.to_ready is None and line.startswith(READY_PREFIX):
                run.to_ready = time.monotonic() - started
            run.tail = [*run.tail[-40:], line.rstrip("\n")]
        run.returncode = proc.wait()
    run.wall = time.monotonic() - started
    run.cpu = _children_cpu() - cpu_before
    run.load_after = os.getloadavg()[0]
    timings = cwd / ".local" / "run" / "timings.json"
    if timings.is_file():
        run.timings = json.loads(timings.read_text())
    return run


def _clone(into: Path) -> Path:
    target = into / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(target)], check=True)
    return target


def run_all(with_test: bool) -> list[Run]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHONPATH"))}
    up = ["make", "up", "UP_FLAGS=--exit-after-matrix"]
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="fga-first-run-") as tmp:
        clone = _clone(Path(tmp))
        runs.append(_measure("fresh make up", up, clone, env))
        runs.append(_measure("warm make up", up, clone, env))
        runs.append(_measure("warm make up, FRESH=1 (apply again)", [*up, "FRESH=1"], clone, env))
    if with_test:
        with tempfile.TemporaryDirectory(prefix="fga-first-test-") as tmp:
            clone = _clone(Path(tmp))
            runs.append(_measure("fresh make test", ["make", "test"], clone, {**env, "CI": "true"}))
    return runs


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


def render(runs: list[Run]) -> str:
    cores = os.cpu_count()
    lines = [
        BEGIN,
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, {cores} CPUs, "
        f"Python {platform.python_version()}; the machine is shared, so the 1-minute load average "
        "before and after each run is given, and CPU = user + sys of every process the run started.",
        "",
        "| run | to the ready line | wall (whole command) | CPU | load before → after | goal | exit |",
        "|---|---:|---:|---:|---|---:|---:|",
    ]
    for run in runs:
        goal = GOALS.get(run.name)
        measured = run.to_ready if run.to_ready is not None else run.wall
        verdict = "" if goal is None else f"≤ {goal:.0f} s {'✓' if measured <= goal else '✗'}"
        lines.append(
            f"| {run.name} | {_seconds(run.to_ready)} | {_seconds(run.wall)} | {run.cpu:.1f} s | "
            f"{run.load_before:.2f} → {run.load_after:.2f} | {verdict} | {run.returncode} |"
        )
    for run in runs:
        phases = run.timings.get("phases")
        if not phases:
            continue
        reused = " (the last apply's emulator state put back)" if run.timings.get("reused_last_apply") else ""
        lines += [
            "",
            f"**{run.name}**: phases of `python -m local up`{reused}, from its start to the ready line "
            f"({run.timings.get('ready_seconds', 0):.1f} s; the rest of the wall time is make, the "
            "virtualenv and Python starting). Build, emulator and terraform init run at the same time.",
            "",
            "| phase | seconds |",
            "|---|---:|",
            *(f"| {p['name']} | {p['seconds']:.1f} |" for p in phases),
        ]
        apply = run.timings.get("apply") or {}
        by_type = apply.get("by_type") or {}
        if by_type:
            slow = sorted(by_type.items(), key=lambda kv: -kv[1]["seconds"])[:6]
            lines += [
                "",
                f"`terraform apply`: {apply['applied']} of {apply['planned']} resources; plan "
                f"{apply['plan_seconds']:.1f} s, apply {apply['apply_seconds']:.1f} s. Resource types by "
                "summed time (resources of a type run concurrently unless the provider serialises them):",
                "",
                "| resource type | count | summed s | slowest s |",
                "|---|---:|---:|---:|",
                *(f"| {k} | {v['count']} | {v['seconds']:.1f} | {v['slowest']:.1f} |" for k, v in slow),
            ]
    lines += ["", END]
    return "\n".join(lines)


def write(section: str) -> None:
    write_section(DOC, BEGIN, END, section)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--with-test", action="store_true", help="also time CI=true make test from a fresh clone"
    )
    parser.add_argument("--no-write", action="store_true", help="print the section, do not touch docs/")
    args = parser.parse_args(argv)
    if shutil.which("make") is None or shutil.which("git") is None:
        print("needs make and git", file=sys.stderr)
        return 2
    runs = run_all(args.with_test)
    section = render(runs)
    print(section)
    for run in runs:
        if run.returncode != 0:
            print(f"\n{run.name} failed (exit {run.returncode}):\n" + "\n".join(run.tail), file=sys.stderr)
    if not args.no_write:
        write(section)
    return 1 if any(run.returncode != 0 for run in runs) else 0


if __name__ == "__main__":
    sys.exit(main())

"""`make reliability`: run every reliability test at soak size and rewrite docs/reliability.md.

    python -m tests.reliability [--seed N] [--no-write]

Two pytest runs, like `make test`: the in-process tests (fuzz, function faults) on two workers,
then the tests sharing one local stack (load, emulator restart, integrity). Both write their
figures to build/reliability/ (tests/reliability/figures.py); when both pass, the figures and the
run's facts (commit, machine, seed, durations) are rendered into docs/reliability.md. When a run
fails, nothing is written and the exit status is the failing run's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.reliability import figures
from tests.reliability.report import render

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "build" / "reliability"
DOC = ROOT / "docs" / "reliability.md"
RUNS = (
    ("in-process: fuzzing, function faults", ["-n", "2", "tests/functional"]),
    ("local stack: load, emulator restart, integrity", ["tests/e2e"]),
)


def _git(*args: str) -> str:
    result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return result.stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=None, help="hypothesis seed (default: a random one)")
    parser.add_argument("--no-write", action="store_true", help="run and print, do not touch docs/")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    env = {**os.environ, figures.OUT_ENV: str(OUT), figures.PROFILE_ENV: "soak", "PYTHONPATH": str(ROOT)}
    runs = []
    for title, selection in RUNS:
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-m", "reliability"]
        command += [f"--hypothesis-seed={seed}", *selection]
        print(f"==> {title}: {' '.join(command[2:])}", flush=True)
        started = time.monotonic()
        status = subprocess.run(command, cwd=ROOT, env=env, check=False).returncode
        runs.append(
            {
                "title": title,
                "command": " ".join(["pytest", *command[3:]]),
                "seconds": time.monotonic() - started,
            }
        )
        if status != 0:
            print(
                f"reliability: {title} failed (exit {status}); docs/reliability.md left as it was",
                file=sys.stderr,
            )
            return status
    facts = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _git("rev-parse", "--short", "HEAD")
        + (" (with uncommitted changes)" if _git("status", "--porcelain") else ""),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "seed": seed,
        "runs": runs,
    }
    lines = figures.read(OUT)
    (OUT / "run.json").write_text(json.dumps(facts, indent=2) + "\n")
    text = render(lines, facts)
    print(figures.summary(lines))
    if not args.no_write:
        DOC.write_text(text)
        print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Authorizer benchmark: decision costs in one process against same-process baselines (one RS256
verify of the same token, a sample-style authorizer, the former cache-less paths), cold start in
fresh processes against the boto3-client floor, and end to end through the local gateway per mode.

Run with `make bench` (or `python -m tests.bench [--rounds N] [--quick] [--skip-cold] [--skip-gateway]
[--no-write]`; bounded: a few minutes, most of it starting the local stack). The section it prints is
written into docs/benchmarks.md between this benchmark's markers (the rest of the file is kept), only
when every part ran. Figures are informative, never pass/fail: timing goals do not belong in tests.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from tests.bench.doc_section import write_section

ROOT = Path(__file__).resolve().parents[2]
for _path in (ROOT, ROOT / "functions" / "authorizer"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from tests.bench import cold_start, decisions, gateway  # noqa: E402 - the function folder is on sys.path only from here
from tests.bench.render import render  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
BEGIN = "<!-- BEGIN GENERATED: authorizer benchmark (python -m tests.bench) -->"
END = "<!-- END GENERATED: authorizer benchmark -->"


def write(section: str) -> None:
    write_section(DOC, BEGIN, END, section)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rounds", type=int, default=7, help="interleaved rounds (in-process and cold start)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: few rounds, small batches, no write"
    )
    parser.add_argument("--skip-cold", action="store_true", help="leave out the fresh-process cold start")
    parser.add_argument(
        "--skip-gateway", action="store_true", help="leave out the local stack (saves ~1.5 min)"
    )
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto server request lines
    rounds = 2 if args.quick else max(3, args.rounds)
    started = time.monotonic()

    def progress(message: str) -> None:
        print(f"[{time.monotonic() - started:6.1f}s] {message}", flush=True)

    progress(f"decisions in one process ({rounds} interleaved rounds)")
    in_process = decisions.run(rounds, scale=0.2 if args.quick else 1.0)
    cold = None
    if not args.skip_cold:
        reason = cold_start.skip_reason()
        if reason:
            progress(f"cold start skipped: {reason}")
        else:
            cold_rounds = 2 * rounds - 1  # each round is ~1 s: more of them steady the medians
            progress(f"cold start in fresh processes ({cold_rounds} rounds)")
            cold = cold_start.run(cold_rounds)
    through_gateway = None
    if not args.skip_gateway:
        progress("end to end through the local gateway (starting the local stack)")
        through_gateway = gateway.run(count=60 if args.quick else 300, progress=progress)
    section = render(in_process, cold, through_gateway, rounds=rounds, begin=BEGIN, end=END)
    print(section)
    complete = cold is not None and through_gateway is not None and not args.quick
    if args.no_write or not complete:
        print("\ndocs/benchmarks.md left unchanged" + ("" if args.no_write else " (not every part ran)"))
    else:
        write(section)
        print(f"\nwritten to {DOC.relative_to(ROOT)} in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

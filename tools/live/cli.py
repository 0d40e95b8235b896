"""`make verify ENV=<env>`: check a deployed environment against the access contract, cell by cell.

`python -m tools.live --env <env>` runs against AWS (the caller's AWS credentials: the verify role
in the pipeline); `python -m local verify` runs the same code against the running local stack with
the emulator's hooks plugged in. Exit status: 0 every verifiable cell keeps the contract and nothing
of the run is left; 1 a mismatch, a leftover or an error; 2 the environment cannot be verified as
described (no verification client, no description); 130 interrupted (after the removal).

The report goes to stdout, and as Markdown to $GITHUB_STEP_SUMMARY (or --summary) when set; a
failed run also prints a GitHub `::error::` line, which the pipeline shows on the run's page.
Passwords, tokens and what callers stored are never printed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path

from tools import config
from tools.contract import ContractError
from tools.live import target
from tools.live.engine import DEFAULT_SWEEP_AGE, Hooks, LiveRun, interruptible
from tools.live.report import Report, render, render_markdown
from tools.live.session import Stack

INTERRUPTED = 130


def _say(line: str) -> None:
    print(f"==> verify: {line}", flush=True)


def parser(prog: str = "python -m tools.live", *, local: bool = False) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    if not local:
        p.add_argument("--env", required=True, choices=config.ENVIRONMENTS, help="the environment to verify")
    p.add_argument(
        "--target",
        type=Path,
        help="the deployment's description (stack.json or the `verification` output as JSON); "
        f"default: ${target.TARGET_ENV}, else `terraform output` of the env",
    )
    p.add_argument(
        "--sweep-older-than",
        type=float,
        default=DEFAULT_SWEEP_AGE.total_seconds() / 60,
        metavar="MINUTES",
        help="remove the leftovers of earlier runs that started at least this long ago (default %(default)s)",
    )
    p.add_argument(
        "--summary", type=Path, help="append the Markdown report here (default: $GITHUB_STEP_SUMMARY)"
    )
    return p


def write_summary(report: Report, path: Path | None) -> None:
    summary = path or (
        Path(os.environ["GITHUB_STEP_SUMMARY"]) if os.environ.get("GITHUB_STEP_SUMMARY") else None
    )
    if summary is not None:
        with summary.open("a", encoding="utf-8") as out:
            out.write(render_markdown(report))


def run(
    stack: Stack,
    env: str,
    *,
    hooks: Hooks = Hooks(),  # noqa: B008 - immutable
    sweep_older_than: timedelta = DEFAULT_SWEEP_AGE,
    summary: Path | None = None,
) -> int:
    """Verify `stack` (env `env`), print the report, return the exit status."""
    started = time.monotonic()
    with interruptible():
        live = LiveRun(stack, env=env, hooks=hooks, sweep_older_than=sweep_older_than, say=_say)
        report = live.run()
    print(render(report), flush=True)
    write_summary(report, summary)
    _say(f"{'passed' if report.passed else 'FAILED'} in {time.monotonic() - started:.1f}s")
    if report.interrupted:
        return INTERRUPTED
    if not report.passed:
        problems = len(report.mismatches) + len(report.leftovers) + len(report.errors)
        print(
            f"::error title=make verify ENV={env}::{env} does not keep the access contract or left "
            f"something behind ({problems} problems); see the job summary and docs/deploying.md "
            "('Verifying an environment')",
            flush=True,
        )
        return 1
    return 0


def main(
    argv: Sequence[str] | None = None,
    *,
    hooks_for: Callable[[Stack], Hooks] | None = None,
    env: str | None = None,
    default_target: Path | None = None,
    prog: str = "python -m tools.live",
) -> int:
    """The command line; `env`, `default_target` and `hooks_for` fix what `python -m local verify`
    knows already (the local stack, its stack.json, the emulator's hooks)."""
    args = parser(prog, local=env is not None).parse_args(argv)
    env = env or args.env
    try:
        if not config.load(env).verification.enabled:
            raise target.TargetError(
                f"verification is off for {env}: set verification.enabled in "
                f"terraform/envs/{env}/config.json and apply"
            )
        stack = target.load(env, args.target or default_target)
    except (target.TargetError, config.ConfigError, ContractError, ValueError) as exc:
        print(f"make verify ENV={env}: {exc}", file=sys.stderr)
        return 2
    hooks = hooks_for(stack) if hooks_for is not None else Hooks()
    return run(
        stack,
        env,
        hooks=hooks,
        sweep_older_than=timedelta(minutes=args.sweep_older_than),
        summary=args.summary,
    )

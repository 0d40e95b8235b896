"""`python -m local up | down | call | matrix | verify` — the local stack's command line (make up, make
down, make call, make verify ENV=local)."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from local import matrix
from local.client import ClientError, MachineSession, Session, find_machine, find_user, load_stack
from local.progress import Progress
from local.stack import RunningStack, start_stack, write_stack_file
from local.verify_hooks import local_hooks
from tools.config import REPO_ROOT
from tools.live import cli as live_cli

LOCAL_DIR = REPO_ROOT / ".local"
STACK_FILE = LOCAL_DIR / "stack.json"
PID_FILE = LOCAL_DIR / "stack.pid"
RUN_DIR = LOCAL_DIR / "run"
TIMINGS_FILE = RUN_DIR / "timings.json"
#: Machine clients' current access tokens, reused across `call --client` runs until they expire: kept
#: beside the stack description they were issued for (.local/run/ for .local/stack.json).
MACHINE_TOKENS_NAME = "run/machine-tokens.json"


def _say(message: str) -> None:
    print(f"==> {message}", flush=True)


def _running_pid() -> int | None:
    try:
        pid = int(PID_FILE.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    return pid


def _log_to_file(path: Path) -> None:
    """The gateway's access log and the emulator's decisions, one JSON line each, in a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(message)s"))
    for name in ("local.apigateway", "local.emulator"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.INFO)
        logger.addHandler(handler)


def example_call(desc: dict[str, Any]) -> list[str]:
    """The command the ready line suggests (after `python -m local`): the first demo user (the
    lowest precedence group) reads the news the stack seeded."""
    return ["call", "--user", str(desc["users"][0]["name"]), "GET", "/news"]


def _write_timings(progress: Progress, stack: RunningStack, ready_seconds: float) -> None:
    """What the first-run benchmark (tests/bench/first_run.py) reads: each phase's wall time."""
    report = stack.deployment.report
    timings = {
        "ready_seconds": round(ready_seconds, 2),
        "reused_last_apply": stack.reused,
        "phases": [{"name": name, "seconds": round(seconds, 2)} for name, seconds in progress.timings],
        "apply": {
            "planned": report.planned,
            "applied": report.applied,
            "plan_seconds": round(report.plan_seconds, 2),
            "apply_seconds": round(report.apply_seconds, 2),
            "by_type": {
                kind: {"count": len(times), "seconds": round(sum(times), 2), "slowest": round(max(times), 2)}
                for kind, times in sorted(report.by_type.items())
            },
        },
        "load_average": list(os.getloadavg()),
    }
    TIMINGS_FILE.write_text(json.dumps(timings, indent=2) + "\n")


def up(args: argparse.Namespace) -> int:
    started = time.monotonic()
    pid = _running_pid()
    if pid is not None:
        print(f"the local stack is already running (pid {pid}); `make down` stops it", file=sys.stderr)
        return 1
    LOCAL_DIR.mkdir(parents=True, exist_ok=True)
    _log_to_file(RUN_DIR / "gateway.log")
    progress = Progress()
    stack = start_stack(
        RUN_DIR,
        progress=progress,
        gateway_port=args.port,
        console_port=args.console_port,
        reuse_last_apply=not args.fresh,
        save_apply=True,
    )
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        PID_FILE.write_text(str(os.getpid()))
        write_stack_file(stack, STACK_FILE)
        desc = stack.describe()
        lines = ["==> outputs"]
        for key in (
            "api_url",
            "console_url",
            "emulator_url",
            "region",
            "user_pool_id",
            "user_pool_client_id",
            "identity_pool_id",
            "api_id",
            "stage",
        ):
            lines.append(f"    {key:20} {desc[key]}")
        lines.append(f"    {'external_idp':20} {desc['external_idp']['issuer']}")
        lines.append(
            f"    {'users':20} "
            + ", ".join(f"{u['name']} ({', '.join(u['groups']) or '-'})" for u in desc["users"])
        )
        lines.append(
            f"    {'machine callers':20} "
            + ", ".join(
                f"{m['name']} ({m['policy_key'] if m['declared'] else 'not declared'})"
                for m in desc["machines"]
            )
        )
        lines.append(f"==> stack description written to {STACK_FILE.relative_to(REPO_ROOT)}")
        progress.print("\n".join(lines))
        with progress.phase("live matrix") as phase:
            report = matrix.run(desc)
            mismatches = len(report.mismatches) + len(report.leftovers) + len(report.errors)
            progress.update(
                phase,
                note=f"{len(report.cells)} cells, {len(report.mismatches)} mismatches, "
                f"{len(report.leftovers)} left behind",
            )
        progress.print(matrix.render(report))
        _write_timings(progress, stack, time.monotonic() - started)
        progress.say(f"browser console: {desc['console_url']}  (sign in as any demo user, call every route)")
        progress.say(
            f"ready in {time.monotonic() - started:.1f}s: {desc['api_url']}  ({mismatches} mismatches)  "
            f"try: python -m local {' '.join(example_call(desc))}   — Ctrl-C or `make down` to stop"
        )
        progress.close()
        if args.exit_after_matrix:
            return 1 if mismatches else 0
        while not stop.is_set():
            stop.wait(1)
        return 0
    finally:
        progress.close()
        _say("stopping")
        stack.stop()
        for path in (STACK_FILE, PID_FILE):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def down(_args: argparse.Namespace) -> int:
    pid = _running_pid()
    if pid is None:
        print("the local stack is not running")
        for path in (STACK_FILE, PID_FILE):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        return 0
    os.kill(pid, signal.SIGTERM)
    for _ in range(300):
        if _running_pid() is None:
            print("stopped")
            return 0
        time.sleep(0.1)
    print(f"pid {pid} did not stop within 30 s", file=sys.stderr)
    return 1


def call(args: argparse.Namespace) -> int:

    try:
        stack = load_stack(Path(args.stack))
        body = json.loads(args.data) if args.data else None
        if args.client:
            store = (
                Path(args.token_store) if args.token_store else Path(args.stack).parent / MACHINE_TOKENS_NAME
            )
            machine = MachineSession.for_machine(stack, find_machine(stack, args.client), store=store)
            response = machine.request(args.method, args.path, body)
            how = "fetched a new one" if machine.tokens.fetched else "reused"
            print(
                f"token: {how} (valid {machine.tokens.seconds_left:.0f} s more)",
                file=sys.stderr,
            )
        else:
            session = Session(stack, find_user(stack, args.user))
            response = session.request(args.method, args.path, body)
    except (ClientError, json.JSONDecodeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"HTTP {response.status_code}")
    try:
        print(json.dumps(response.json(), indent=2))
    except ValueError:
        print(response.text)
    return 0 if response.status_code < 400 else 1


def show_matrix(args: argparse.Namespace) -> int:

    stack = load_stack(Path(args.stack))
    report = matrix.run(stack)
    print(matrix.render(report))
    return 0 if report.passed else 1


def verify(argv: Sequence[str]) -> int:
    """make verify ENV=local: the same code as against AWS (tools/live/cli.py), pointed at the
    running stack's description, with the emulator's hooks."""
    return live_cli.main(
        argv,
        hooks_for=local_hooks,
        env="local",
        default_target=STACK_FILE,
        prog="python -m local verify",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_up = sub.add_parser("up", help="start the local stack and serve until Ctrl-C")
    p_up.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("GATEWAY_PORT", "0")),
        help="gateway port (default: a free port; env GATEWAY_PORT)",
    )
    p_up.add_argument(
        "--console-port",
        type=int,
        default=int(os.environ.get("CONSOLE_PORT", "0")),
        help="console port, served at http://localhost:<port> (default: a free port; env CONSOLE_PORT)",
    )
    p_up.add_argument(
        "--fresh",
        action="store_true",
        help="apply even when the last apply's inputs are unchanged (env FRESH=1)",
        default=os.environ.get("FRESH", "") not in ("", "0"),
    )
    p_up.add_argument(
        "--exit-after-matrix",
        action="store_true",
        help="stop after printing the matrix (exit 1 on mismatches)",
    )
    p_up.set_defaults(func=up)
    sub.add_parser("down", help="stop the stack started by `up`").set_defaults(func=down)
    p_call = sub.add_parser("call", help="call a route as a demo user or a machine client")
    caller = p_call.add_mutually_exclusive_group(required=True)
    caller.add_argument("--user", help="demo user name (see .local/stack.json)")
    caller.add_argument(
        "--client",
        help="machine client name (see .local/stack.json `machines`): client-credentials token, "
        "fetched once and reused until it expires",
    )
    p_call.add_argument("--data", help="JSON body")
    p_call.add_argument(
        "--token-store",
        help=f"where --client keeps its current token (default: {MACHINE_TOKENS_NAME} beside --stack)",
    )
    p_call.add_argument("--stack", default=str(STACK_FILE))
    p_call.add_argument("method")
    p_call.add_argument("path", help="path below the stage, e.g. /petstore/v2/status")
    p_call.set_defaults(func=call)
    p_matrix = sub.add_parser("matrix", help="print the live access matrix of the running stack")
    p_matrix.add_argument("--stack", default=str(STACK_FILE))
    p_matrix.set_defaults(func=show_matrix)
    # `verify` takes tools/live/cli.py's options: main() hands it its arguments before parsing.
    sub.add_parser(
        "verify", help="check the running stack against the access contract (make verify ENV=local)"
    )
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["verify"]:
        return verify(arguments[1:])
    args = parser.parse_args(arguments)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())

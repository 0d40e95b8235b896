"""One AWS provider process shared by many `terraform test` and `terraform validate` runs.

Terraform starts the provider plugin for every graph it walks: `terraform test` starts it about
twice per run block (validate, then plan), and the AWS provider is a ~700 MB binary that builds its
whole schema each time. Over the repository's ~170 run blocks that was ~40 % of the CPU of
`make tf-test` (docs/benchmarks.md). Terraform's documented alternative for exactly this is a
provider started once in debug mode (`-debug`) that Terraform attaches to through
TF_REATTACH_PROVIDERS instead of launching its own.

Used by `make tf-test`/`tf-validate` (mock_provider suites and `validate` never configure it, so
concurrent Terraform processes can share one), and by the local stack's own sequence of Terraform
commands against the emulator (local/deploy.py: apply, plan, show, destroy one after the other, each
configuring it with the same settings). The binary shared is the one `terraform init` installed and
checked against the lock files, and it is shared only with directories whose lock file pins the
same version; anything else (no initialised directory, a provider that does not start) falls back
to Terraform launching its own, with a line saying so.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

ADDRESS = "registry.terraform.io/hashicorp/aws"
REATTACH = "TF_REATTACH_PROVIDERS"
_PLUGIN_GLOB = f"providers/{ADDRESS}/*/*/terraform-provider-aws_*"
_REATTACH_LINE = re.compile(rf"{REATTACH}='(?P<value>\{{.*\}})'")
_LOCK_VERSION = re.compile(
    rf'provider "{re.escape(ADDRESS)}" \{{\s*version\s*=\s*"(?P<version>[^"]+)"', re.MULTILINE
)
#: The provider's own request logging is on at TRACE in debug mode: off (it costs CPU, and nobody
#: reads it).
_QUIET = {"TF_LOG": "off", "TF_LOG_PROVIDER": "off", "TF_LOG_SDK": "off", "TF_LOG_SDK_PROTO": "off"}
START_TIMEOUT = 60.0


def locked_version(directory: Path) -> str | None:
    """The AWS provider version `directory`'s lock file pins, or None."""
    lock = directory / ".terraform.lock.hcl"
    if not lock.is_file():
        return None
    match = _LOCK_VERSION.search(lock.read_text())
    return match["version"] if match else None


def installed_binary(directory: Path, data_dir: Path | None = None) -> tuple[Path, str] | None:
    """The provider binary `terraform init` installed for `directory` (in its `.terraform`, or in
    `data_dir` when TF_DATA_DIR pointed there) and its version, if any."""
    for path in sorted((data_dir or directory / ".terraform").glob(_PLUGIN_GLOB)):
        if path.is_file() and os.access(path, os.X_OK):
            return path, path.parent.parent.name
    return None


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the provider gets SIGKILL when the process that started it dies, however it dies, so
    a killed `make` never leaves a provider waiting for a Terraform that will not come. (The signal
    follows the starting *thread*: only the main thread starts the provider with it.)"""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _can_die_with_parent() -> bool:
    return sys.platform == "linux" and threading.current_thread() is threading.main_thread()


def _wait_for_reattach(proc: subprocess.Popen[bytes], log: Path, timeout: float) -> str | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = _REATTACH_LINE.search(log.read_text(errors="replace"))
        if match:
            with contextlib.suppress(ValueError):  # a line still being written is not a config yet
                json.loads(match["value"])
                return match["value"]
        if proc.poll() is not None:
            return None
        time.sleep(0.05)
    return None


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)  # debug mode's documented way to stop
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def shared(
    directories: Sequence[Path],
    env: dict[str, str] | None = None,
    *,
    data_dir: Path | None = None,
    drop: Sequence[str] = (),
) -> Iterator[dict[str, str]]:
    """Start one provider for `directories` and yield the environment Terraform needs to use it
    ({REATTACH: ...}), or {} when it cannot be shared (Terraform then launches its own). The process
    gets `env` on top of this one's (what Terraform would have given it) and is stopped on exit.
    `data_dir`: the TF_DATA_DIR the directories were initialised with, if not their `.terraform`;
    `drop`: variables of this environment the provider must not see."""
    if os.environ.get(REATTACH):  # someone else's provider is attached already: leave it alone
        yield {}
        return
    versions = {locked_version(d) for d in directories}
    found = next((b for d in directories if (b := installed_binary(d, data_dir))), None)
    if found is None or len(versions) != 1 or found[1] not in versions:
        why = "no initialised directory" if found is None else f"lock files pin {sorted(map(str, versions))}"
        print(f"terraform: one provider per run ({why})", file=sys.stderr)
        yield {}
        return
    binary, _ = found
    with tempfile.TemporaryDirectory(prefix="fga-provider-") as tmp:
        log = Path(tmp) / "provider.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [str(binary), "-debug"],
                cwd=directories[0],  # as Terraform starts it: in the root module (relative file paths)
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={k: v for k, v in {**os.environ, **(env or {}), **_QUIET}.items() if k not in drop},
                preexec_fn=_die_with_parent if _can_die_with_parent() else None,  # noqa: PLW1509
            )
        try:
            value = _wait_for_reattach(proc, log, START_TIMEOUT)
            if value is None:
                tail = log.read_text(errors="replace")[-2000:]
                print(
                    f"terraform: the shared provider did not start; one provider per run\n{tail}",
                    file=sys.stderr,
                )
                yield {}
            else:
                yield {REATTACH: value}
        finally:
            _stop(proc)

"""From nothing to an applied emulator, as fast as the inputs allow, with progress.

`start_stack` (local/stack.py) calls `deploy`, which:

1. runs the independent steps at the same time: the Lambda zips (`tools.build_lambda`, skipped per
   zip when its inputs are unchanged), the emulator with its OIDC issuer, and `terraform init`
   (skipped when its inputs are unchanged, see LocalDeployment.init);
2. with `reuse_last_apply` (`make up`), puts back the emulator state the last apply left when
   nothing that apply depended on changed (local/snapshot.py), instead of applying again;
3. otherwise applies from an empty state (the emulator is new), showing the plan's total and a
   running count, and with `save_apply` (`make up`) saves the result for the next run.

Each step is a phase of `local.progress.Progress` (one line each, with its time).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local import snapshot
from local.console.server import ConsoleHandle, start_console
from local.deploy import LocalDeployment
from local.emulator.server import EmulatorHandle, start_emulator
from local.progress import Phase, Progress, Stream
from tools.build_lambda import build_all
from tools.config import EnvConfig


@dataclass
class Deployed:
    emulator: EmulatorHandle
    deployment: LocalDeployment
    outputs: dict[str, Any]
    reused: bool  # the last apply's saved state was put back instead of applying again


class _Lines:
    """A text stream handing each complete line to a callable (the old `progress(msg)` style)."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self._say = say
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            if line.strip():
                self._say(line.strip().removeprefix("==> "))
        return len(text)

    def flush(self) -> None:
        return None

    def isatty(self) -> bool:
        return False


def as_progress(progress: Progress | Callable[[str], None] | None) -> Progress:
    """A Progress for `start_stack`'s `progress` argument: a Progress, a `say(message)` callable
    (each phase line becomes one message), or None (nothing shown, timings still kept)."""
    if isinstance(progress, Progress):
        return progress
    stream: Stream = io.StringIO() if progress is None else _Lines(progress)
    return Progress(stream, live=False)


def _build(cfg: EnvConfig, progress: Progress) -> None:
    with progress.phase("build") as phase:
        results = build_all(cfg.lambda_architecture)
        built = sum(r.rebuilt for r in results)
        progress.update(phase, note=f"{built} built, {len(results) - built} unchanged (Lambda zips)")


def _start_emulator(progress: Progress, port: int) -> EmulatorHandle:
    with progress.phase("emulator") as phase:
        try:
            emulator = start_emulator(port=port)
        except OSError:  # the saved state's port is taken: any port will do, the state will not
            emulator = start_emulator()
        progress.update(phase, note=emulator.url)
        return emulator


def _init(work_dir: Path, progress: Progress) -> None:
    with progress.phase("terraform init") as phase:
        ran = LocalDeployment("", "", work_dir).init()
        progress.update(phase, note="" if ran else "up to date")


class _ApplyProgress:
    """Turns the apply's events into two phases: the plan (until its total is known), the apply."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._plan = progress.start("terraform plan")
        self._apply: Phase | None = None

    def planned(self, total: int) -> None:
        self._progress.finish(self._plan, note=f"{total} to apply")
        self._apply = self._progress.start("terraform apply", total=total, unit="resources")

    def applied(self, done: int, total: int) -> None:
        if self._apply is not None:
            self._progress.update(self._apply, done=done, total=total)

    def close(self, *, failed: bool) -> None:
        self._progress.finish(self._plan, failed=failed)
        if self._apply is not None:
            self._progress.finish(self._apply, failed=failed)


def _apply(deployment: LocalDeployment, progress: Progress) -> dict[str, Any]:
    listener = _ApplyProgress(progress)
    try:
        outputs = deployment.apply(listener)
    except BaseException:
        listener.close(failed=True)
        raise
    listener.close(failed=False)
    return outputs


def start_console_for(work_dir: Path, port: int, *, reuse_last_apply: bool) -> ConsoleHandle:
    """The browser console, on the saved state's console port when that state may be reused (the
    console origin is an input of the apply) and no port was asked for; else on `port`."""
    header = snapshot.read_header(work_dir) if reuse_last_apply and port == 0 else None
    saved = int(header.console_origin.rsplit(":", 1)[1]) if header and header.console_origin else 0
    if not saved:
        return start_console(port)
    try:
        return start_console(saved)
    except OSError:  # the saved port is taken: any port will do, the saved state will not
        return start_console(port)


def _restore(
    deployment: LocalDeployment, emulator: EmulatorHandle, inputs: str, progress: Progress
) -> dict[str, Any] | None:
    with progress.phase("reuse last apply") as phase:
        try:
            outputs = snapshot.restore(
                deployment.work_dir,
                inputs=inputs,
                port=emulator.port,
                console_origin=deployment.console_origin,
                state_path=deployment.state_path,
            )
        except snapshot.SnapshotError as exc:
            progress.update(phase, note=f"no: {exc}")
            return None
        progress.update(phase, note="inputs unchanged: emulator state of the last apply put back")
        return outputs


def deploy(
    work_dir: Path,
    cfg: EnvConfig,
    progress: Progress,
    *,
    console_origin: str | None = None,
    reuse_last_apply: bool = False,
    save_apply: bool = False,
) -> Deployed:
    """An emulator with envs/local applied (or its last apply put back); see the module docstring.

    `console_origin` is the browser console's (an input of the apply); `save_apply` keeps the
    emulator state of a new apply for the next `reuse_last_apply`."""
    work_dir.mkdir(parents=True, exist_ok=True)
    header = snapshot.read_header(work_dir) if reuse_last_apply else None
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="startup") as pool:
        started = pool.submit(_start_emulator, progress, header.port if header else 0)
        steps: list[Future[Any]] = [
            started,
            pool.submit(_build, cfg, progress),
            pool.submit(_init, work_dir, progress),
        ]
        wait(steps)
    failures = [step.exception() for step in steps if step.exception() is not None]
    if failures:
        if started.exception() is None:
            started.result().stop()
        raise failures[0]  # type: ignore[misc]
    emulator: EmulatorHandle = started.result()
    deployment: LocalDeployment | None = None
    try:
        deployment = LocalDeployment(
            emulator.url, emulator.oidc_issuer, work_dir, console_origin=console_origin
        )
        inputs = snapshot.inputs_digest(cfg.lambda_architecture) if reuse_last_apply or save_apply else ""
        outputs = _restore(deployment, emulator, inputs, progress) if header is not None else None
        if outputs is not None:
            return Deployed(emulator, deployment, outputs, reused=True)
        snapshot.discard(work_dir)
        deployment.forget_state()
        outputs = _apply(deployment, progress)
        if save_apply:
            with progress.phase("save state"):
                snapshot.save(
                    work_dir,
                    inputs=inputs,
                    port=emulator.port,
                    console_origin=console_origin,
                    outputs=outputs,
                    state_path=deployment.state_path,
                )
        return Deployed(emulator, deployment, outputs, reused=False)
    except BaseException:
        if deployment is not None:
            deployment.close()
        emulator.stop()
        raise

"""Progress of the local stack's long steps, shown the way Terraform-based tools show it.

Each phase (build, emulator, terraform init, terraform plan, terraform apply, seeding, the matrix)
has one line with a running count when it has one (resources applied out of the plan's total) and
its elapsed time:

- on a terminal the line updates in place while the phase runs (the clock keeps ticking through the
  AWS provider's silent waits) and stays as the phase's summary when it ends; phases that overlap
  (build, emulator start and terraform init run at the same time) each keep their own line;
- anywhere else (CI logs, pipes) plain lines: one when a phase starts, one each time it passes a
  quarter of its total or PLAIN_INTERVAL_SECONDS since the last one, and one when it ends.

Every phase's wall time is kept (`Progress.timings`): `python -m local up` writes them to
`.local/run/timings.json` for the first-run benchmark (docs/benchmarks.md).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

#: Non-terminal output: at most one progress line per phase this often (besides quarter marks).
PLAIN_INTERVAL_SECONDS = 10.0
#: Terminal output: how often the running phases' clocks are redrawn.
TICK_SECONDS = 0.25
NAME_WIDTH = 17
_CLEAR_LINE = "\r\033[K"


class Stream(Protocol):
    """Where the lines go: sys.stdout, or anything with the same three methods."""

    def write(self, text: str, /) -> int: ...

    def flush(self) -> None: ...

    def isatty(self) -> bool: ...


def is_live(stream: Stream) -> bool:
    """In-place updates only on a terminal that understands them."""
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        return False
    return tty and os.environ.get("TERM", "") != "dumb"


@dataclass
class Phase:
    """One step: its counter (done/total, unit) and its clock. Updated through `Progress`."""

    name: str
    started: float
    total: int | None = None
    unit: str = ""
    done: int = 0
    note: str = ""
    ended: float | None = None
    failed: bool = False
    _last_plain: float = field(default=0.0, repr=False)
    _last_quarter: int = field(default=0, repr=False)

    def elapsed(self, now: float) -> float:
        return (self.ended if self.ended is not None else now) - self.started

    def line(self, now: float) -> str:
        count = ""
        if self.total is not None:
            count = f"{self.done}/{self.total}{f' {self.unit}' if self.unit else ''}"
        detail = "  ".join(part for part in (count, self.note) if part)
        if self.ended is None:
            clock = f"{self.elapsed(now):.1f}s"
        else:
            clock = f"{'FAILED after' if self.failed else 'done in'} {self.elapsed(now):.1f}s"
        return f"==> {self.name:<{NAME_WIDTH}} {detail + '  ' if detail else ''}{clock}"


class Progress:
    """Phase lines on `stream`; thread-safe (phases may run in parallel threads)."""

    def __init__(
        self,
        stream: Stream | None = None,
        *,
        live: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream: Stream = stream if stream is not None else sys.stdout
        self.live = is_live(self.stream) if live is None else live
        self.clock = clock
        self.timings: list[tuple[str, float]] = []
        self._lock = threading.RLock()
        self._block: list[Phase] = []  # terminal: the lines drawn below the last plain output
        self._drawn = 0  # how many of those lines are on the screen
        self._ticker: threading.Thread | None = None
        self._stop_ticker = threading.Event()

    # --- the public surface -----------------------------------------------------------------

    @contextmanager
    def phase(self, name: str, *, total: int | None = None, unit: str = "") -> Iterator[Phase]:
        """A step from start to end; the phase is marked failed if the block raises."""
        phase = self.start(name, total=total, unit=unit)
        try:
            yield phase
        except BaseException:
            self.finish(phase, failed=True)
            raise
        self.finish(phase)

    def start(self, name: str, *, total: int | None = None, unit: str = "") -> Phase:
        with self._lock:
            now = self.clock()
            phase = Phase(name, started=now, total=total, unit=unit, _last_plain=now)
            if self.live:
                self._block.append(phase)
                self._redraw()
                self._ensure_ticker()
            else:
                total_text = f" ({total}{f' {unit}' if unit else ''})" if total is not None else ""
                self._write(f"==> {name}{total_text} ...\n")
            return phase

    def update(
        self,
        phase: Phase,
        *,
        done: int | None = None,
        total: int | None = None,
        unit: str | None = None,
        note: str | None = None,
    ) -> None:
        with self._lock:
            if done is not None:
                phase.done = done
            if total is not None:
                phase.total = total
            if unit is not None:
                phase.unit = unit
            if note is not None:
                phase.note = note
            if self.live:
                self._redraw()
            elif self._plain_due(phase):
                self._write(phase.line(self.clock()).replace("==> ", "    ", 1) + "\n")

    def finish(self, phase: Phase, *, failed: bool = False, note: str | None = None) -> None:
        with self._lock:
            if phase.ended is not None:
                return
            if note is not None:
                phase.note = note
            phase.ended = self.clock()
            phase.failed = failed
            self.timings.append((phase.name, phase.ended - phase.started))
            if self.live:
                self._redraw()
                self._commit_finished()
            else:
                self._write(phase.line(phase.ended) + "\n")

    def say(self, message: str) -> None:
        """A plain `==> message` line (above the running phases on a terminal)."""
        self.print(f"==> {message}")

    def print(self, text: str) -> None:
        """Any text, kept clear of the running phases' lines."""
        with self._lock:
            if self.live and self._block:
                self._erase_block()
                self._write(text + "\n")
                self._redraw(erase=False)
            else:
                self._write(text + "\n")

    def close(self) -> None:
        """Stop the clock thread (a phase still running keeps its last drawn line)."""
        self._stop_ticker.set()
        if self._ticker is not None:
            self._ticker.join(timeout=2)

    # --- drawing ----------------------------------------------------------------------------

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

    def _plain_due(self, phase: Phase) -> bool:
        now = self.clock()
        quarter = 4 * phase.done // phase.total if phase.total else 0
        due = quarter > phase._last_quarter or now - phase._last_plain >= PLAIN_INTERVAL_SECONDS
        if due:
            phase._last_quarter = max(phase._last_quarter, quarter)
            phase._last_plain = now
        return due and phase.done != phase.total

    def _erase_block(self) -> None:
        if self._drawn:
            self._write(f"\033[{self._drawn}A" + "".join(f"{_CLEAR_LINE}\n" for _ in range(self._drawn)))
            self._write(f"\033[{self._drawn}A")
        self._drawn = 0

    def _redraw(self, *, erase: bool = True) -> None:
        now = self.clock()
        out = f"\033[{self._drawn}A" if erase and self._drawn else ""
        out += "".join(f"{_CLEAR_LINE}{phase.line(now)}\n" for phase in self._block)
        self._drawn = len(self._block)
        self._write(out)

    def _commit_finished(self) -> None:
        """Finished phases at the top of the block become ordinary lines (never redrawn again)."""
        while self._block and self._block[0].ended is not None:
            self._block.pop(0)
            self._drawn -= 1

    def _ensure_ticker(self) -> None:
        if self._ticker is not None and self._ticker.is_alive():
            return
        self._stop_ticker.clear()
        self._ticker = threading.Thread(target=self._tick, name="progress", daemon=True)
        self._ticker.start()

    def _tick(self) -> None:
        while not self._stop_ticker.wait(TICK_SECONDS):
            with self._lock:
                if any(phase.ended is None for phase in self._block):
                    self._redraw()

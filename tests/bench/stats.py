"""Timing helpers shared by the benchmark sections: interleaved rounds, medians, ratios, the machine."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass
class Series:
    """Samples of one scenario (seconds each), kept per round so ratios can be taken round by round."""

    name: str
    what: str
    rounds: list[list[float]] = field(default_factory=list)
    calls: int = 0  # decisions made (a batch is one sample of many calls)

    @property
    def samples(self) -> list[float]:
        return [s for r in self.rounds for s in r]

    @property
    def median(self) -> float:
        """The median of the per-round medians (robust to a noisy round on a shared machine)."""
        return statistics.median(statistics.median(r) for r in self.rounds)

    def quantile(self, q: float) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def ratio_to(self, base: Series) -> float:
        """Median over rounds of (this round's median / the base's median in the same round)."""
        return statistics.median(
            statistics.median(mine) / statistics.median(theirs)
            for mine, theirs in zip(self.rounds, base.rounds, strict=True)
        )


def _no_check(_: Any) -> None:
    return None


Timed = tuple[list[float], int]  # (samples in seconds, calls made)


def time_each(count: int, action: Callable[[int], Any], check: Callable[[Any], None] = _no_check) -> Timed:
    """Run `action(i)` count times; the duration of each call. `check` sees each result, untimed."""
    samples = []
    clock = time.perf_counter
    for i in range(count):
        started = clock()
        result = action(i)
        samples.append(clock() - started)
        check(result)
    return samples, count


def time_batch(
    count: int, action: Callable[[], Any], check: Callable[[Any], None] = _no_check, batches: int = 20
) -> Timed:
    """For calls of a few microseconds, where timing each one would weigh on the figure: the mean
    of `count // batches` calls, `batches` times. `check` sees each batch's last result, untimed."""
    per_batch = max(1, count // batches)
    samples = []
    clock = time.perf_counter
    for _ in range(batches):
        started = clock()
        for _ in range(per_batch):
            result = action()
        samples.append((clock() - started) / per_batch)
        check(result)
    return samples, per_batch * batches


def interleave(rounds: int, slices: int, runs: Sequence[tuple[Series, Callable[[], Timed]]]) -> None:
    """Each round is `slices` passes over every scenario, each pass a small share of its calls: a
    burst of load from other work on a shared machine then falls on every scenario of the round
    alike, so the ratios taken within a round hold."""
    for _ in range(rounds):
        gathered: dict[str, list[float]] = {series.name: [] for series, _ in runs}
        for _ in range(slices):
            for series, run in runs:
                samples, calls = run()
                gathered[series.name].extend(samples)
                series.calls += calls
        for series, _ in runs:
            series.rounds.append(gathered[series.name])


def machine() -> str:
    cpu = ""
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), "")
    except OSError:
        pass
    return (
        f"{datetime.now(UTC):%Y-%m-%d}, {platform.machine()}{f' ({cpu})' if cpu else ''}, "
        f"{os.cpu_count()} CPUs shared with other work, {platform.system()}, "
        f"Python {platform.python_version()} ({platform.python_implementation()})"
    )


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f} ms" if seconds < 0.01 else f"{seconds * 1e3:.1f} ms"


def us(seconds: float) -> str:
    return f"{seconds * 1e6:.1f} µs" if seconds < 1e-3 else ms(seconds)

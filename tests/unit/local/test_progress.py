"""local.progress: one line per phase with a running count and its time; in place on a terminal,
plain lines elsewhere; overlapping phases keep their own lines; every phase's time is kept."""

from __future__ import annotations

import io
import re

import pytest

from local.progress import PLAIN_INTERVAL_SECONDS, Progress, is_live
from local.startup import as_progress

ANSI = re.compile(r"\x1b\[[0-9]*[AK]")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def screen(raw: str) -> list[str]:
    """What a terminal shows after `raw`: carriage returns, clear-line and cursor-up applied."""
    lines: list[str] = [""]
    row = 0
    for token in re.split(r"(\x1b\[[0-9]*[AK]|\r|\n)", raw):
        if not token:
            continue
        if token == "\n":
            row += 1
            if row == len(lines):
                lines.append("")
        elif token == "\r" or token.endswith("K"):
            if token.endswith("K"):
                lines[row] = ""
        elif token.startswith("\x1b["):
            row -= int(token[2:-1] or 1)
        else:
            lines[row] += token
    return [line for line in lines if line]


def test_plain_lines_start_progress_at_quarters_and_done() -> None:
    out, clock = io.StringIO(), Clock()
    progress = Progress(out, live=False, clock=clock)
    phase = progress.start("terraform apply", total=8, unit="resources")
    for done in range(1, 9):
        clock.now += 1
        progress.update(phase, done=done)
    progress.finish(phase)
    assert out.getvalue().splitlines() == [
        "==> terraform apply (8 resources) ...",
        "    terraform apply   2/8 resources  2.0s",
        "    terraform apply   4/8 resources  4.0s",
        "    terraform apply   6/8 resources  6.0s",
        "==> terraform apply   8/8 resources  done in 8.0s",
    ]
    assert ANSI.search(out.getvalue()) is None


def test_plain_lines_also_come_when_a_phase_is_slow_to_advance() -> None:
    out, clock = io.StringIO(), Clock()
    progress = Progress(out, live=False, clock=clock)
    phase = progress.start("terraform apply", total=100, unit="resources")
    clock.now += PLAIN_INTERVAL_SECONDS + 1
    progress.update(phase, done=1)
    progress.update(phase, done=2)  # too soon after the last line, no quarter passed
    assert out.getvalue().splitlines()[1:] == [
        f"    terraform apply   1/100 resources  {PLAIN_INTERVAL_SECONDS + 1:.1f}s"
    ]


def test_a_terminal_shows_one_updating_line_per_phase_overlapping_phases_included() -> None:
    out, clock = io.StringIO(), Clock()
    progress = Progress(out, live=True, clock=clock)
    build = progress.start("build")
    init = progress.start("terraform init")
    clock.now += 1.5
    progress.finish(init, note="up to date")
    progress.say("emulator at http://127.0.0.1:1")
    clock.now += 1
    progress.finish(build)
    apply = progress.start("terraform apply", total=3, unit="resources")
    for done in (1, 2, 3):
        clock.now += 2
        progress.update(apply, done=done)
    assert screen(out.getvalue()) == [
        "==> emulator at http://127.0.0.1:1",
        "==> build             done in 2.5s",
        "==> terraform init    up to date  done in 1.5s",
        "==> terraform apply   3/3 resources  6.0s",
    ]
    progress.finish(apply)
    progress.close()
    assert screen(out.getvalue())[-1] == "==> terraform apply   3/3 resources  done in 6.0s"
    assert [name for name, _ in progress.timings] == ["terraform init", "build", "terraform apply"]
    assert dict(progress.timings) == pytest.approx(
        {"build": 2.5, "terraform init": 1.5, "terraform apply": 6.0}
    )


def test_a_failing_phase_says_so_and_is_timed() -> None:
    out, clock = io.StringIO(), Clock()
    progress = Progress(out, live=False, clock=clock)

    def failing() -> None:
        with progress.phase("terraform plan"):
            clock.now += 3
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        failing()
    assert out.getvalue().splitlines()[-1] == "==> terraform plan    FAILED after 3.0s"
    assert progress.timings == [("terraform plan", 3.0)]


def test_live_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setenv("TERM", "xterm")
    assert is_live(Tty()) is True
    assert is_live(io.StringIO()) is False
    monkeypatch.setenv("TERM", "dumb")
    assert is_live(Tty()) is False


def test_a_callable_gets_one_message_per_phase_line() -> None:
    said: list[str] = []
    progress = as_progress(said.append)
    with progress.phase("seed") as phase:
        progress.update(phase, note="7 demo users")
    assert said[0] == "seed ..."
    assert said[1].startswith("seed")
    assert "7 demo users  done in" in said[1]
    assert as_progress(None).timings == []

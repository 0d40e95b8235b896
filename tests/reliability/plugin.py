"""pytest plugin (loaded by tests/conftest.py): the `reliability` marker, the hypothesis profiles,
the figures directory shared by the controller and its pytest-xdist workers, and the alarm check.

Alarm check: while a reliability test runs, the log lines it produces are captured (the functions'
JSON lines on stdout, and what the test hands to `signals.capture`); once it has passed, every
scenario it recorded must map to the alarms its real lines trip in docs/operations.md
(tests/reliability/signals.py says exactly what is checked). A mismatch fails that test.

The controller picks the directory in `pytest_configure`, before xdist starts its workers, and puts
it in the environment they inherit; at the end of the session it prints the summed figures (how many
fuzz cases actually ran, faults held, load and integrity figures) and removes the directory if it
created it.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Generator
from pathlib import Path
from typing import Any, TextIO

import pytest
from hypothesis import HealthCheck, settings

from tests.reliability import figures, signals

MARKER = "reliability"
_CREATED = pytest.StashKey[Path]()

# `make test` (ci): derandomized, so every run tries the same cases and a failure reproduces.
# `make reliability` (soak): more cases from a seed it picks and records in docs/reliability.md
# (pytest --hypothesis-seed), so each soak explores new input and any of them can be replayed.
# No example database: nothing is written to the worktree, and a run never depends on a previous one.
_COMMON: dict[str, Any] = {
    "database": None,
    "deadline": None,
    "print_blob": True,
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,  # fixtures are the warm container, on purpose
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
}
settings.register_profile("reliability-ci", derandomize=True, **_COMMON)
settings.register_profile("reliability-soak", derandomize=False, **_COMMON)


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}: fuzz, fault, load or integrity test whose figures go to docs/reliability.md"
    )
    settings.load_profile(f"reliability-{figures.profile()}")
    if _is_worker(config) or figures.out_dir() is not None:
        return
    created = Path(tempfile.mkdtemp(prefix="fga-reliability-"))
    os.environ[figures.OUT_ENV] = str(created)
    config.stash[_CREATED] = created


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under xdist (`make test`'s in-process stream), the reliability tests go first, in their own
    order. They are the long ones (fuzz targets of 5-15 s, faults waiting out timeouts), and xdist
    hands out the first quarter of the tests one at a time to each worker in turn: at the front they
    are spread over the workers, where in collection order they came late and in runs, and one worker
    finished ~30 s after the other (measured in a fresh-clone `make test`)."""
    if _is_worker(config):
        items.sort(key=lambda item: item.get_closest_marker(MARKER) is None)  # stable: order kept


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    directory = figures.out_dir()
    if _is_worker(config) or directory is None or not directory.is_dir():
        return
    text = figures.summary(figures.read(directory))
    if text:
        terminalreporter.write_line(text)


def pytest_unconfigure(config: pytest.Config) -> None:
    created = config.stash.get(_CREATED, None)
    if created is not None:
        shutil.rmtree(created, ignore_errors=True)
        os.environ.pop(figures.OUT_ENV, None)


class _Tee:
    """sys.stdout as the test found it, also fed to the signal capture."""

    def __init__(self, wrapped: TextIO, capture: signals.Capture) -> None:
        self.wrapped = wrapped
        self._capture = capture

    def write(self, text: str) -> int:
        self._capture.write(text)
        return self.wrapped.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)


@pytest.hookimpl(wrapper=True, trylast=True)  # inside pytest's capture: see its sys.stdout
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    if item.get_closest_marker(MARKER) is None:
        return (yield)
    figures.recorded.clear()
    capture = signals.start()
    tee = _Tee(sys.stdout, capture)
    sys.stdout = tee  # type: ignore[assignment]
    try:
        result = yield
    finally:
        if sys.stdout is tee:
            sys.stdout = tee.wrapped
        signals.stop()
    problems = signals.check(list(figures.recorded), capture)
    if problems:
        pytest.fail(
            "the scenario's real log lines and docs/operations.md disagree:\n  " + "\n  ".join(problems[:20]),
            pytrace=False,
        )
    return result

"""One emulator per test module (starting one takes well under a second); builders on top of it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.emulator.server import EmulatorHandle, start_emulator
from tests.functional.local.support import World


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorHandle]:
    with start_emulator() as handle:
        yield handle


@pytest.fixture(scope="module")
def world(emulator: EmulatorHandle) -> World:
    return World(emulator.url)

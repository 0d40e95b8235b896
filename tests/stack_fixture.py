"""One local stack per pytest session, shared by tests/e2e and tests/terraform.

moto keeps AWS state per process, so two stacks in one process would collide; the fixture applies
`terraform/envs/local` once. The end-to-end suite can instead target any deployment described by a
stack.json file: set FGA_STACK_JSON=/path/to/stack.json (then nothing is started and the Terraform
suite, which needs the emulator, is not run against it).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.stack import start_stack

STACK_JSON_ENV = "FGA_STACK_JSON"


class StackHolder:
    """Starts the stack on first use; destroyed or stopped at session end."""

    def __init__(self, work_dir: Path) -> None:
        self.work_dir = work_dir
        self._running: Any = None
        self.destroyed = False

    @property
    def running(self) -> Any:
        if self._running is None:
            self._running = start_stack(self.work_dir)
        return self._running

    def close(self) -> None:
        if self._running is not None:
            self._running.stop(destroy=False)


@pytest.fixture(scope="session")
def stack_holder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackHolder]:
    holder = StackHolder(tmp_path_factory.mktemp("stack"))
    yield holder
    holder.close()


@pytest.fixture(scope="session")
def stack(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The stack description (the content of .local/stack.json)."""
    path = os.environ.get(STACK_JSON_ENV)
    if path:
        data: dict[str, Any] = json.loads(Path(path).read_text())
        return data
    holder: StackHolder = request.getfixturevalue("stack_holder")
    description: dict[str, Any] = holder.running.describe()
    return description

"""A worker process on its own (no emulator): init phase, crashes, signals, logs, cleanup."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from local.awslambda import worker as worker_module
from local.awslambda.interpreter import find_python
from local.awslambda.sdk import ensure_sdk_dir
from local.awslambda.spec import FunctionSpec, lambda_environment
from local.awslambda.worker import Worker, WorkerConfig

HANDLER_PY = """
import logging
import os
import signal
import subprocess
import sys
import time

logging.getLogger().setLevel(logging.INFO)


def handler(event, context):
    action = event.get("action")
    if action == "sys_exit":
        sys.exit(4)
    if action == "sigkill_self":
        os.kill(os.getpid(), signal.SIGKILL)
    if action == "spawn_child":
        child = subprocess.Popen(["sleep", "60"])
        return {"child": child.pid}
    if action == "log":
        logging.getLogger("fn").info("via-logging-module")
        return "logged"
    return {"pid": os.getpid()}
"""


def process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A killed child of the worker is reparented and reaped by init; a zombie still answers kill(0).
    try:
        with open(f"/proc/{pid}/status") as status:
            return any(line.startswith("State:") and "Z" in line for line in status)
    except FileNotFoundError:
        return True


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    started: list[Worker] = []
    sdk_dir = ensure_sdk_dir(tmp_path / "work")

    def _start(files: dict[str, str], handler: str = "app.handler", timeout: int = 30) -> Worker:
        code_dir = tmp_path / f"code-{uuid.uuid4().hex[:6]}"
        code_dir.mkdir()
        for name, text in files.items():
            (code_dir / name).write_text(text)
        spec = FunctionSpec(
            name="unit-fn",
            arn="arn:aws:lambda:us-east-1:123456789012:function:unit-fn",
            region="us-east-1",
            account_id="123456789012",
            handler=handler,
            runtime="python3.12",
            timeout_seconds=timeout,
            memory_mb=128,
            code_sha256="c2hh",
        )
        env = lambda_environment(
            spec,
            emulator_url="http://127.0.0.1:9",
            code_dir=str(code_dir),
            sdk_dir=str(sdk_dir),
            log_stream_name="2024/01/01/[$LATEST]0",
            credentials_file=os.devnull,
        )
        worker = Worker(
            WorkerConfig(
                spec=spec,
                python=find_python(),
                code_dir=code_dir,
                sdk_dir=sdk_dir,
                env=env,
                log_path=tmp_path / "logs" / "unit-fn.log",
            )
        )
        started.append(worker)
        return worker

    yield _start
    for worker in started:
        worker.stop()


def test_ready_worker_answers_and_stop_kills_it(start_worker: Callable[..., Worker]) -> None:
    worker = start_worker({"app.py": HANDLER_PY})

    assert worker.start() is None
    outcome = worker.invoke({}, "req-1")
    worker.stop()

    assert outcome.payload == {"pid": worker.pid}
    assert not worker.alive
    assert worker.pid is not None
    assert process_gone(worker.pid)


def test_slow_init_is_cut_off(start_worker: Callable[..., Worker], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker_module, "INIT_TIMEOUT_SECONDS", 0.5)
    worker = start_worker({"app.py": "import time\ntime.sleep(30)\ndef handler(e, c):\n    return 1\n"})

    failure = worker.start()

    assert failure is not None
    assert failure.error_type == "Sandbox.Timedout"
    assert not worker.alive


def test_sys_exit_in_the_handler_is_an_exit_error(start_worker: Callable[..., Worker]) -> None:
    worker = start_worker({"app.py": HANDLER_PY})
    assert worker.start() is None

    outcome = worker.invoke({"action": "sys_exit"}, "req-2")

    assert outcome.error_type == "Runtime.ExitError"
    assert outcome.error_message == "RequestId: req-2 Error: Runtime exited with error: exit status 4"
    assert not worker.alive


def test_killed_worker_reports_the_signal(start_worker: Callable[..., Worker]) -> None:
    worker = start_worker({"app.py": HANDLER_PY})
    assert worker.start() is None

    outcome = worker.invoke({"action": "sigkill_self"}, "req-3")
    again = worker.invoke({}, "req-4")

    assert outcome.error_message == "RequestId: req-3 Error: Runtime exited with error: signal: kill"
    assert again.error_type == "Runtime.ExitError"  # a dead worker never pretends to run


def test_processes_the_function_started_die_with_the_worker(start_worker: Callable[..., Worker]) -> None:
    worker = start_worker({"app.py": HANDLER_PY})
    assert worker.start() is None
    child = worker.invoke({"action": "spawn_child"}, "req-5").payload["child"]
    assert not process_gone(child)

    worker.stop()

    # SIGKILL reaches the whole group at once, but the grandchild's exit is not synchronous with
    # the leader's wait(): on a busy machine it can still be running for a moment.
    deadline = time.monotonic() + 5.0
    while not process_gone(child) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert process_gone(child)


def test_logging_output_reaches_the_log_file_with_the_request_id(
    start_worker: Callable[..., Worker], tmp_path: Path
) -> None:
    worker = start_worker({"app.py": HANDLER_PY})
    assert worker.start() is None

    assert worker.invoke({"action": "log"}, "req-6").payload == "logged"
    worker.stop()

    log = (tmp_path / "logs" / "unit-fn.log").read_text()
    assert any(
        line.startswith("[INFO]") and "\treq-6\t" in line and line.endswith("via-logging-module")
        for line in log.splitlines()
    )

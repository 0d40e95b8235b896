"""LocalLambdaRuntime without an emulator: a fake Lambda API and an in-memory code source."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import select
import signal
import subprocess
import sys
import textwrap
import threading
import zipfile
from pathlib import Path
from typing import Any

import pytest

from local.awslambda.runtime import LocalLambdaRuntime
from local.awslambda.spec import FunctionSpec

REPO_ROOT = Path(__file__).resolve().parents[4]

APP_PY = """
import os


def handler(event, context):
    if "fifo" in event:
        with open(event["fifo"], "w") as fifo:  # tells the test we are busy, and who we are
            fifo.write(f"{os.getpid()}\\n")
        import time

        time.sleep(120)
    return {"env": dict(os.environ)}
"""


def zip_of(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


class FakeLambda:
    """Answers GetFunctionConfiguration for one function, as the emulator would."""

    def __init__(self, code: bytes, variables: dict[str, str]) -> None:
        self.config = {
            "FunctionName": "fn",
            "FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:fn",
            "Runtime": "python3.12",
            "Handler": "app.handler",
            "Timeout": 300,
            "MemorySize": 128,
            "CodeSha256": base64.b64encode(hashlib.sha256(code).digest()).decode(),
            "Environment": {"Variables": variables},
        }

    def get_function_configuration(self, FunctionName: str) -> dict[str, Any]:
        assert FunctionName == "fn"
        return self.config


def make(tmp_path: Path, variables: dict[str, str], **kwargs: Any) -> LocalLambdaRuntime:
    code = zip_of({"app.py": APP_PY})

    def code_source(spec: FunctionSpec) -> bytes:
        return code

    return LocalLambdaRuntime(
        "http://127.0.0.1:9",
        "us-east-1",
        work_dir=tmp_path,
        code_source=code_source,
        lambda_client=FakeLambda(code, variables),  # type: ignore[arg-type]
        **kwargs,
    )


def test_extra_environment_fills_gaps_but_the_functions_variables_win(tmp_path: Path) -> None:
    runtime = make(
        tmp_path,
        {"LOG_LEVEL": "DEBUG"},
        extra_environment={"SSL_CERT_FILE": "/local/ca.pem", "LOG_LEVEL": "INFO"},
    )
    try:
        env = runtime.invoke("fn", {}).payload["env"]
    finally:
        runtime.close()

    assert env["SSL_CERT_FILE"] == "/local/ca.pem"
    assert env["LOG_LEVEL"] == "DEBUG"


def test_extra_environment_cannot_replace_lambdas_keys(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="AWS_REGION"):
        make(tmp_path, {}, extra_environment={"AWS_REGION": "eu-west-1"})


EXIT_WITHOUT_CLOSE = """
import os, signal, sys
from pathlib import Path

sys.path.insert(0, {test_dir!r})
import test_runtime as helpers

work, fifo = Path(sys.argv[1]), sys.argv[2]
os.mkfifo(fifo)
runtime = helpers.make(work, {{}})
import threading

threading.Thread(target=runtime.invoke, args=("fn", {{"fifo": fifo}}), daemon=True).start()
with open(fifo) as pipe:  # blocks until the handler is running
    print(pipe.readline().strip(), flush=True)
if sys.argv[3] == "exit":
    sys.exit(0)  # no close(): the atexit hook must stop the busy worker
os.kill(os.getpid(), signal.SIGKILL)  # no atexit either: the worker's watchdog must notice
"""


def run_gateway_and_leave(tmp_path: Path, how: str) -> int:
    """Run a gateway process that leaves while its worker is busy; return the worker's pid."""
    script = tmp_path / "gateway.py"
    script.write_text(textwrap.dedent(EXIT_WITHOUT_CLOSE.format(test_dir=str(Path(__file__).parent))))
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "work"), str(tmp_path / "fifo"), how],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        check=False,
    )
    assert done.returncode == (0 if how == "exit" else -signal.SIGKILL), done.stderr
    return int(done.stdout.strip())


def test_a_busy_worker_is_stopped_when_the_gateway_exits_without_close(tmp_path: Path) -> None:
    pid = run_gateway_and_leave(tmp_path, "exit")

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return
    os.kill(pid, signal.SIGKILL)  # do not leave the orphan behind, then fail
    pytest.fail(f"worker {pid} outlived the process that started it")


def test_a_busy_worker_exits_soon_after_the_gateway_is_killed(tmp_path: Path) -> None:
    pid = run_gateway_and_leave(tmp_path, "kill")

    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return  # already gone
    try:
        # Readable when the process exits; the watchdog checks every ORPHAN_CHECK_SECONDS.
        exited, _, _ = select.select([pidfd], [], [], 30)
    finally:
        os.close(pidfd)
    if not exited:
        os.kill(pid, signal.SIGKILL)
        pytest.fail(f"orphaned worker {pid} kept running after its gateway was killed")


def test_close_ends_an_invocation_in_flight(tmp_path: Path) -> None:
    runtime = make(tmp_path, {})
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    results: list[Any] = []
    caller = threading.Thread(target=lambda: results.append(runtime.invoke("fn", {"fifo": str(fifo)})))
    caller.start()
    with open(fifo) as pipe:  # blocks until the handler is running (it then sleeps 120 s)
        pid = int(pipe.readline())

    runtime.close()
    caller.join(timeout=30)

    assert not caller.is_alive()
    assert results[0].error_type == "Runtime.ExitError"
    assert "signal: kill" in results[0].error_message
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)

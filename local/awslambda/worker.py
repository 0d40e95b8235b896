"""One warm worker process: a function's execution environment (like one Lambda container).

The worker runs bootstrap.py under an isolated interpreter (`-I -S`: no user site, no site-packages,
no PYTHON* variables), with exactly the Lambda environment and the code directory as cwd. Requests
and results travel on two dedicated pipes; the function's stdout/stderr go to a pipe that a relay
thread copies into the function's log file (and, optionally, the parent's logger).

A worker handles one invocation at a time (its lock), like a Lambda execution environment. It dies
on a timeout (killed: the next invocation gets a fresh one), on a crash of the function, or on
stop(); every wait has a deadline, so a misbehaving function can never hang the caller.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from local.awslambda.spec import FunctionSpec

BOOTSTRAP = Path(__file__).with_name("bootstrap.py")
# Lambda gives the init phase (imports, module-level code) 10 seconds of its own.
INIT_TIMEOUT_SECONDS = 10.0
# A result larger than this is not from our bootstrap (it caps payloads at 6 MB).
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
_STOP_WAIT_SECONDS = 5.0

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerConfig:
    """Everything needed to start a worker for one function version."""

    spec: FunctionSpec
    python: str
    code_dir: Path
    sdk_dir: Path
    env: dict[str, str]
    log_path: Path
    echo_logger: logging.Logger | None = None
    #: Also hands each output line (without its newline) to this callable: the runtime ships them
    #: to the function's CloudWatch Logs group (local/logs/shipper.py).
    ship: Callable[[str], None] | None = None


@dataclass(frozen=True)
class Outcome:
    """What one invocation produced (the runtime adds timing and the request id)."""

    payload: Any | None = None
    error_type: str | None = None
    error_message: str | None = None


class _Dead(Exception):
    """The worker is gone (EOF, broken pipe) or spoke something that is not our protocol."""


class _Channel:
    """Line-delimited JSON over two non-blocking pipe ends, every operation bounded by a deadline."""

    def __init__(self, read_fd: int, write_fd: int) -> None:
        os.set_blocking(read_fd, False)
        os.set_blocking(write_fd, False)
        self._read_fd = read_fd
        self._write_fd = write_fd
        self._buffer = bytearray()
        self._selector = selectors.DefaultSelector()

    def send(self, message: dict[str, Any], deadline: float) -> None:
        data = memoryview(json.dumps(message).encode() + b"\n")
        self._selector.register(self._write_fd, selectors.EVENT_WRITE)
        try:
            while data:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError
                if not self._selector.select(remaining):
                    continue
                try:
                    written = os.write(self._write_fd, data)
                except BlockingIOError:
                    continue
                except (BrokenPipeError, OSError) as exc:
                    raise _Dead(f"request pipe closed: {exc}") from exc
                data = data[written:]
        finally:
            self._selector.unregister(self._write_fd)

    def receive(self, deadline: float) -> dict[str, Any]:
        self._selector.register(self._read_fd, selectors.EVENT_READ)
        try:
            while (newline := self._buffer.find(b"\n")) < 0:
                if len(self._buffer) > MAX_MESSAGE_BYTES:
                    raise _Dead("worker sent an oversized message")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError
                if not self._selector.select(remaining):
                    continue
                try:
                    chunk = os.read(self._read_fd, 1 << 16)
                except BlockingIOError:
                    continue
                if not chunk:
                    raise _Dead("worker closed its result pipe")
                self._buffer += chunk
        finally:
            self._selector.unregister(self._read_fd)
        line = bytes(self._buffer[:newline])
        del self._buffer[: newline + 1]
        try:
            message = json.loads(line)
        except ValueError as exc:
            raise _Dead("worker sent a line that is not JSON") from exc
        if not isinstance(message, dict):
            raise _Dead("worker sent a message that is not an object")
        return message

    def close(self) -> None:
        self._selector.close()
        for fd in (self._read_fd, self._write_fd):
            with contextlib.suppress(OSError):
                os.close(fd)


def _relay(
    stream: IO[bytes], log_path: Path, echo: logging.Logger | None, ship: Callable[[str], None] | None
) -> None:
    """Copy the function's output, line by line, to its log file (and the parent's logger, and the
    log shipper)."""
    with open(log_path, "ab", buffering=0) as log:
        for line in iter(stream.readline, b""):
            log.write(line)
            if echo is not None or ship is not None:
                text = line.decode("utf-8", "replace").rstrip("\n")
                if echo is not None:
                    echo.info(text)
                if ship is not None:
                    ship(text)
    stream.close()


class Worker:
    """A started worker process for one FunctionSpec. Use start(), then invoke() until not alive."""

    def __init__(self, config: WorkerConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._channel: _Channel | None = None
        self._relay: threading.Thread | None = None
        self._dead = False
        self._group_killed = False
        self._stop_lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def alive(self) -> bool:
        return not self._dead and self._process is not None and self._process.poll() is None

    def start(self) -> Outcome | None:
        """Spawn the process and run the function's init phase.

        Returns None when the handler is loaded and the worker is ready, else the init failure
        (the worker is then stopped: the next invocation retries init in a fresh one, as Lambda does).
        """
        with self._lock:
            try:
                return self._start_locked()
            finally:
                if self._dead:
                    self._close_channel()

    def _start_locked(self) -> Outcome | None:
        cfg = self.config
        cfg.log_path.parent.mkdir(parents=True, exist_ok=True)
        request_read, request_write = os.pipe()
        result_read, result_write = os.pipe()
        try:
            self._process = subprocess.Popen(
                [
                    cfg.python,
                    "-I",
                    "-S",
                    str(BOOTSTRAP),
                    str(request_read),
                    str(result_write),
                    str(cfg.sdk_dir),
                ],
                env=cfg.env,
                cwd=cfg.code_dir,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                pass_fds=(request_read, result_write),
                start_new_session=True,  # its own process group: killed as a whole, spared terminal signals
            )
        except OSError:
            for fd in (request_read, request_write, result_read, result_write):
                os.close(fd)
            raise
        finally:
            if self._process is not None:
                os.close(request_read)
                os.close(result_write)
        self._channel = _Channel(result_read, request_write)
        assert self._process.stdout is not None
        self._relay = threading.Thread(
            target=_relay,
            args=(self._process.stdout, cfg.log_path, cfg.echo_logger, cfg.ship),
            name=f"lambda-log-{cfg.spec.name}-{self._process.pid}",
            daemon=True,
        )
        self._relay.start()
        _log("worker_started", cfg.spec, pid=self._process.pid, python=cfg.python)
        deadline = time.monotonic() + INIT_TIMEOUT_SECONDS
        try:
            message = self._channel.receive(deadline)
        except TimeoutError:
            self.stop()
            return Outcome(
                error_type="Sandbox.Timedout",
                error_message=f"Init phase timed out after {INIT_TIMEOUT_SECONDS:.2f} seconds",
            )
        except _Dead:
            return Outcome(error_type="Runtime.ExitError", error_message=self._exit_message())
        if message.get("type") == "ready":
            return None
        self.stop()
        if message.get("type") == "init_error":
            return Outcome(
                error_type=str(message.get("errorType") or "Runtime.Unknown"),
                error_message=str(message.get("errorMessage") or ""),
            )
        return Outcome(error_type="ServiceException", error_message="worker protocol error during init")

    def invoke(self, event: dict[str, Any], request_id: str) -> Outcome:
        """Run one event through the handler within the function's timeout."""
        with self._lock:
            try:
                return self._invoke_locked(event, request_id)
            finally:
                if self._dead:
                    self._close_channel()

    def _invoke_locked(self, event: dict[str, Any], request_id: str) -> Outcome:
        if not self.alive or self._channel is None:
            return Outcome(error_type="Runtime.ExitError", error_message=self._exit_message(request_id))
        spec = self.config.spec
        timeout = float(spec.timeout_seconds)
        deadline = time.monotonic() + timeout
        request = {
            "id": request_id,
            "event": event,
            "timeout_ms": int(timeout * 1000),
            "invoked_function_arn": spec.arn,
        }
        try:
            self._channel.send(request, deadline)
            message = self._channel.receive(deadline)
        except TimeoutError:
            self.stop()
            _log("invoke_timed_out", spec, request_id=request_id, timeout_seconds=spec.timeout_seconds)
            seconds = f"{timeout:.2f}"
            return Outcome(
                error_type="Sandbox.Timedout",
                error_message=f"RequestId: {request_id} Error: Task timed out after {seconds} seconds",
            )
        except _Dead as exc:
            message_text = self._exit_message(request_id)
            _log("worker_died", spec, request_id=request_id, reason=str(exc), detail=message_text)
            return Outcome(error_type="Runtime.ExitError", error_message=message_text)
        if message.get("id") != request_id or message.get("type") not in ("result", "error"):
            self.stop()
            return Outcome(error_type="ServiceException", error_message="worker protocol error")
        if message["type"] == "result":
            return Outcome(payload=message.get("payload"))
        return Outcome(
            error_type=str(message.get("errorType") or "Runtime.Unknown"),
            error_message=str(message.get("errorMessage") or ""),
        )

    def _exit_message(self, request_id: str | None = None) -> str:
        """Lambda's wording for a runtime that exited: `exit status N` or `signal: <name>`."""
        self._dead = True
        code: int | None = None
        if self._process is not None:
            try:
                code = self._process.wait(timeout=_STOP_WAIT_SECONDS)
            except subprocess.TimeoutExpired:
                self.stop()
                code = self._process.returncode
        self.stop()
        if code is None:
            detail = "unknown"
        elif code < 0:
            try:
                detail = "signal: " + signal.Signals(-code).name.removeprefix("SIG").lower()
            except ValueError:
                detail = f"signal: {-code}"
        else:
            detail = f"exit status {code}"
        prefix = f"RequestId: {request_id} " if request_id else ""
        return f"{prefix}Error: Runtime exited with error: {detail}"

    def stop(self) -> None:
        """Kill the worker's process group and release its pipes. Idempotent, thread-safe.

        The pipes are closed here only when no invocation is using them; otherwise the
        invocation in flight (which sees EOF once the process is dead) closes them on its way
        out, so a descriptor is never closed under a thread that may still read it.
        """
        self._dead = True
        with self._stop_lock:
            process = self._process
            if process is not None and not self._group_killed:
                # Also when the leader already exited: the function may have left children behind.
                self._group_killed = True
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)
            if process is not None and process.returncode is None:
                try:
                    process.wait(timeout=_STOP_WAIT_SECONDS)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        if self._lock.acquire(blocking=False):
            try:
                self._close_channel()
            finally:
                self._lock.release()
        if self._relay is not None and self._relay is not threading.current_thread():
            self._relay.join(timeout=_STOP_WAIT_SECONDS)

    def _close_channel(self) -> None:
        with self._stop_lock:
            if self._channel is not None:
                self._channel.close()
                self._channel = None


def _log(event: str, spec: FunctionSpec, **fields: Any) -> None:
    logger.info(
        json.dumps({"event": f"lambda_runtime.{event}", "function": spec.name, **fields}, default=str)
    )

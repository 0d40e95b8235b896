"""The local Lambda service: looks functions up in the emulator and runs them in warm workers.

Per invocation: the function's configuration as GetFunctionConfiguration returns it, then a worker
of the pool for that function's exact code + configuration (FunctionSpec.key). The configuration is
read again whenever the emulator's change count moved (`local/core/changes.py`: one small request
per invocation, or none inside a gateway request, which already asked), so a re-deploy or a
configuration change is seen by the next invocation; against a server without that count it is
read on every invocation. A pool whose key is superseded is retired: its idle workers stop at once, busy
ones when their invocation ends.

Concurrency: a worker handles one event at a time, like a Lambda execution environment; concurrent
invocations of one function use up to `max_workers_per_function` workers (started on demand, reused
most-recently-idle first so sequential calls keep hitting the same warm worker) and queue beyond
that. Everything here is thread-safe.

Code bytes come from moto's Lambda backend in this process (the emulator runs in the same process
as the gateway); configuration always comes through the API.
"""

from __future__ import annotations

import atexit
import functools
import json
import logging
import platform
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import botocore.config
import botocore.exceptions

from local.awslambda.codedir import CodeHashMismatchError, InvalidZipError, extract_code
from local.awslambda.interpreter import find_python, lambda_lang
from local.awslambda.sdk import ensure_sdk_dir
from local.awslambda.spec import (
    FAKE_ACCESS_KEY_ID,
    FAKE_SECRET_ACCESS_KEY,
    RESERVED_ENV_KEYS,
    FunctionSpec,
    lambda_environment,
    new_log_stream_name,
)
from local.awslambda.types import InvokeResult, ServiceError
from local.awslambda.worker import Outcome, Worker, WorkerConfig
from local.core import changes
from local.logs.shipper import shipper_for

if TYPE_CHECKING:
    from mypy_boto3_lambda.client import LambdaClient

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_WORK_DIR = REPO_ROOT / ".local" / "lambda"
DEFAULT_MAX_WORKERS_PER_FUNCTION = 2
_LOOKUP_ATTEMPTS = 3
# API Gateway's own maximum integration payload; anything larger is a caller bug.
MAX_EVENT_BYTES = 10 * 1024 * 1024

CodeSource = Callable[[FunctionSpec], bytes]

logger = logging.getLogger(__name__)
_HOST_ARCH = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(
    platform.machine().lower(), platform.machine()
)


def moto_code_bytes(spec: FunctionSpec) -> bytes:
    """The deployed zip, read from moto's in-process Lambda backend (`LambdaFunction.code_bytes`)."""
    try:
        # Imported on first use: moto is heavy and only this code source needs it.
        from moto.awslambda.models import lambda_backends  # noqa: PLC0415
    except ImportError as exc:  # pragma: no cover - moto is in the dev lock
        raise ServiceError(
            "ServiceException", "moto is not importable: the runtime needs the emulator"
        ) from exc
    try:
        function = lambda_backends[spec.account_id][spec.region].get_function(spec.name, spec.qualifier)
        code = function.code_bytes
    except Exception as exc:
        raise ServiceError(
            "ServiceException",
            f"cannot read the code of {spec.name} from the emulator in this process ({type(exc).__name__}); "
            "the gateway must run in the emulator's process",
        ) from exc
    if not isinstance(code, bytes | bytearray) or not code:
        raise ServiceError("InvalidZipFileException", f"{spec.name} has no zip code in the emulator")
    return bytes(code)


class _Superseded(Exception):
    """The function changed (re-deploy) between looking it up and running it: look it up again."""


class _Pool:
    """Workers of one FunctionSpec.key."""

    def __init__(self, spec: FunctionSpec, max_workers: int) -> None:
        self.spec = spec
        self._max = max_workers
        self._cond = threading.Condition()
        self._idle: list[Worker] = []
        self._count = 0  # started or starting, not yet stopped
        self._retired = False
        self._code_lock = threading.Lock()
        self._code_dir: Path | None = None

    def code_dir(self, fetch: Callable[[], Path]) -> Path:
        with self._code_lock:
            if self._code_dir is None:
                self._code_dir = fetch()
            return self._code_dir

    def acquire(self) -> Worker | None:
        """An idle warm worker, or None: the caller may start one (a slot is reserved for it)."""
        with self._cond:
            while True:
                if self._retired:
                    raise _Superseded
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive:
                        return worker
                    self._count -= 1
                    worker.stop()
                if self._count < self._max:
                    self._count += 1
                    return None
                self._cond.wait()

    def release(self, worker: Worker | None) -> None:
        """Give back a worker (or, with None, an unused slot); dead or superseded ones are stopped."""
        with self._cond:
            if worker is not None and worker.alive and not self._retired:
                self._idle.append(worker)
            else:
                self._count -= 1
                if worker is not None:
                    worker.stop()
            self._cond.notify()

    def idle_workers(self) -> list[Worker]:
        with self._cond:
            return list(self._idle)

    def retire(self) -> list[Worker]:
        """No new invocations; returns the idle workers for the caller to stop (outside locks)."""
        with self._cond:
            self._retired = True
            idle, self._idle = self._idle, []
            self._count -= len(idle)
            self._cond.notify_all()
            return idle


@dataclass
class _Call:
    request_id: str
    started: float

    def result(self, outcome: Outcome) -> InvokeResult:
        return InvokeResult(
            payload=outcome.payload,
            error_type=outcome.error_type,
            error_message=outcome.error_message,
            duration_ms=(time.perf_counter() - self.started) * 1000,
            request_id=self.request_id,
        )


class LocalLambdaRuntime:
    """Runs functions deployed in the emulator; see the module docstring for the model."""

    def __init__(
        self,
        emulator_url: str,
        region: str,
        *,
        work_dir: Path | None = None,
        python: str | None = None,
        max_workers_per_function: int = DEFAULT_MAX_WORKERS_PER_FUNCTION,
        code_source: CodeSource = moto_code_bytes,
        echo_function_logs: bool = False,
        extra_environment: Mapping[str, str] | None = None,
        lambda_client: LambdaClient | None = None,
        ship_logs: bool = True,
    ) -> None:
        if not emulator_url.startswith(("http://", "https://")):
            raise ValueError(f"emulator_url must be an http(s) URL, got {emulator_url!r}")
        if max_workers_per_function < 1:
            raise ValueError("max_workers_per_function must be at least 1")
        self.emulator_url = emulator_url.rstrip("/")
        self.region = region
        self.work_dir = (work_dir or DEFAULT_WORK_DIR).resolve()
        self.python = find_python(python)
        self._max_workers = max_workers_per_function
        self._code_source = code_source
        self._echo = echo_function_logs
        self._ship_logs = ship_logs
        reserved = sorted(RESERVED_ENV_KEYS.intersection(extra_environment or {}))
        if reserved:
            raise ValueError(f"extra_environment cannot set keys Lambda reserves: {', '.join(reserved)}")
        self._extra_env = dict(extra_environment or {})
        self._client: LambdaClient = lambda_client or boto3.session.Session().client(
            "lambda",
            region_name=region,
            endpoint_url=self.emulator_url,
            aws_access_key_id=FAKE_ACCESS_KEY_ID,
            aws_secret_access_key=FAKE_SECRET_ACCESS_KEY,
            config=botocore.config.Config(
                retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=30
            ),
        )
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self._sdk_dir = ensure_sdk_dir(self.work_dir)
        self._empty_aws_config = self.work_dir / "empty-aws-config"
        self._empty_aws_config.touch(exist_ok=True)
        self._lock = threading.Lock()
        self._pools: dict[str, _Pool] = {}
        self._busy: set[Worker] = set()
        self._closed = False
        self._warned_arch: set[str] = set()
        # The change count describes the emulator's API: a lambda_client given by the caller may
        # answer for something else, so its answers are read every time.
        counted = lambda_client is None and self.emulator_url.startswith("http:")
        self._changes = changes.ChangeFeed(self.emulator_url) if counted else None
        # Function name or ARN -> its spec, or the (error type, message) of the failed lookup.
        self._specs: changes.Versioned[str, FunctionSpec | tuple[str, str]] = changes.Versioned()
        _LIVE_RUNTIMES.add(self)

    # -- public -----------------------------------------------------------------------------

    def invoke(self, function_name_or_arn: str, event: dict[str, Any]) -> InvokeResult:
        """Invoke synchronously (RequestResponse). Function failures come back in the result.

        Raises TypeError/ValueError only for caller bugs: an event that is not a JSON object or is
        larger than API Gateway could ever send.
        """
        call = _Call(request_id=str(uuid.uuid4()), started=time.perf_counter())
        if not isinstance(event, dict):
            raise TypeError(f"event must be a dict, got {type(event).__name__}")
        try:
            size = len(json.dumps(event).encode())
        except (TypeError, ValueError) as exc:
            raise TypeError(f"event is not JSON-serializable: {exc}") from exc
        if size > MAX_EVENT_BYTES:
            raise ValueError(f"event is {size} bytes, more than {MAX_EVENT_BYTES}")
        try:
            outcome = self._invoke(function_name_or_arn, event, call.request_id)
        except ServiceError as exc:
            _log(
                logging.WARNING,
                "invoke_failed",
                function_name_or_arn,
                error_type=exc.error_type,
                reason=exc.message,
            )
            outcome = Outcome(error_type=exc.error_type, error_message=exc.message)
        result = call.result(outcome)
        _log(
            logging.INFO,
            "invoked",
            function_name_or_arn,
            request_id=call.request_id,
            error_type=result.error_type,
            duration_ms=round(result.duration_ms, 2),
        )
        return result

    def close(self) -> None:
        """Stop every worker (idle and busy); later invocations get a ServiceException result."""
        with self._lock:
            self._closed = True
            pools, self._pools = list(self._pools.values()), {}
            busy = list(self._busy)
        to_stop = [w for pool in pools for w in pool.retire()] + busy
        for worker in to_stop:
            worker.stop()
        _LIVE_RUNTIMES.discard(self)

    def worker_pids(self, function_name: str) -> list[int]:
        """Process ids of the live workers of a function (diagnostics and tests)."""
        with self._lock:
            pool = self._pools.get(function_name)
            workers = [w for w in self._busy if w.config.spec.name == function_name]
        if pool is not None:
            workers += pool.idle_workers()
        return sorted({pid for w in workers if w.alive and (pid := w.pid) is not None})

    def log_path(self, function_name: str) -> Path:
        """Where a function's stdout/stderr (and START/END/REPORT lines) are appended."""
        return self.work_dir / "logs" / f"{function_name}.log"

    def __enter__(self) -> LocalLambdaRuntime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals --------------------------------------------------------------------------

    def _invoke(self, name: str, event: dict[str, Any], request_id: str) -> Outcome:
        for attempt in range(_LOOKUP_ATTEMPTS):
            # A retry means the function changed under us: read its configuration afresh.
            spec = self._lookup(name, fresh=attempt > 0)
            pool = self._pool_for(spec)
            try:
                code_dir = pool.code_dir(functools.partial(self._extract, spec))
                worker = pool.acquire()
            except _Superseded:
                continue
            try:
                return self._run(
                    pool, worker, spec=spec, code_dir=code_dir, event=event, request_id=request_id
                )
            except OSError as exc:
                raise ServiceError(
                    "ServiceException", f"cannot start a worker for {spec.name}: {exc}"
                ) from exc
        raise ServiceError("ServiceException", f"{name} was re-deployed repeatedly during the call; retry")

    def _run(
        self,
        pool: _Pool,
        worker: Worker | None,
        *,
        spec: FunctionSpec,
        code_dir: Path,
        event: dict[str, Any],
        request_id: str,
    ) -> Outcome:
        try:
            if worker is None:
                worker = self._new_worker(spec, code_dir)
                with self._lock:
                    self._busy.add(worker)
                    closed = self._closed
                if closed:
                    worker.stop()
                    raise ServiceError("ServiceException", "the local Lambda runtime is closed")
                failure = worker.start()
                if failure is not None:
                    return failure
            else:
                with self._lock:
                    self._busy.add(worker)
            return worker.invoke(event, request_id)
        finally:
            if worker is not None:
                with self._lock:
                    self._busy.discard(worker)
            pool.release(worker)

    def _lookup(self, name: str, *, fresh: bool = False) -> FunctionSpec:
        generation = None if fresh else self._generation()
        known = self._specs.get(name, generation)
        if known is None:
            try:
                known = self._read_spec(name)
            except ServiceError as exc:
                if exc.error_type == "ServiceException":  # the emulator failed: not an answer to keep
                    raise
                known = (exc.error_type, exc.message)
            self._specs.put(name, known, generation)
        if isinstance(known, tuple):
            raise ServiceError(*known)
        spec = known
        arch = spec.architectures[0] if spec.architectures else _HOST_ARCH
        if arch != _HOST_ARCH and spec.name not in self._warned_arch:
            self._warned_arch.add(spec.name)
            _log(
                logging.WARNING,
                "architecture_mismatch",
                spec.name,
                function_arch=arch,
                host_arch=_HOST_ARCH,
                reason="native dependencies built for the function's architecture may fail to import",
            )
        return spec

    def _generation(self) -> changes.Generation | None:
        """The emulator's change count for this invocation: the calling gateway request's, else asked."""
        if self._changes is None:
            return None
        in_request, generation = changes.observed(self.emulator_url)
        if in_request:
            return generation
        try:
            return self._changes.observe()
        except changes.EmulatorUnreachable as exc:
            raise ServiceError("ServiceException", f"emulator unreachable: {exc}") from exc

    def _read_spec(self, name: str) -> FunctionSpec:
        try:
            config = self._client.get_function_configuration(FunctionName=name)
        except botocore.exceptions.ClientError as exc:
            error = exc.response.get("Error", {})
            raise ServiceError(
                str(error.get("Code") or "ServiceException"), str(error.get("Message") or exc)
            ) from exc
        except botocore.exceptions.BotoCoreError as exc:
            raise ServiceError("ServiceException", f"emulator unreachable: {exc}") from exc
        return FunctionSpec.from_configuration(config)

    def _pool_for(self, spec: FunctionSpec) -> _Pool:
        with self._lock:
            if self._closed:
                raise ServiceError("ServiceException", "the local Lambda runtime is closed")
            pool = self._pools.get(spec.name)
            if pool is not None and pool.spec.key == spec.key:
                return pool
            new = self._pools[spec.name] = _Pool(spec, self._max_workers)
        if pool is not None:
            _log(logging.INFO, "redeployed", spec.name, old_key=pool.spec.key, new_key=spec.key)
            for worker in pool.retire():
                worker.stop()
        return new

    def _extract(self, spec: FunctionSpec) -> Path:
        data = self._code_source(spec)
        try:
            return extract_code(data, self.work_dir / "code", spec.name, spec.code_sha256)
        except CodeHashMismatchError as exc:
            raise _Superseded from exc
        except InvalidZipError as exc:
            raise ServiceError("InvalidZipFileException", f"{spec.name}: {exc}") from exc

    def _new_worker(self, spec: FunctionSpec, code_dir: Path) -> Worker:
        log_stream = new_log_stream_name(spec)
        env = lambda_environment(
            spec,
            emulator_url=self.emulator_url,
            code_dir=str(code_dir),
            sdk_dir=str(self._sdk_dir),
            log_stream_name=log_stream,
            credentials_file=str(self._empty_aws_config),
            lang=lambda_lang(self.python),
            extra=self._extra_env,
        )
        return Worker(
            WorkerConfig(
                spec=spec,
                python=self.python,
                code_dir=code_dir,
                sdk_dir=self._sdk_dir,
                env=env,
                log_path=self.log_path(spec.name),
                echo_logger=logging.getLogger(f"local.lambda.{spec.name}") if self._echo else None,
                ship=self._shipping(spec, log_stream),
            )
        )

    def _shipping(self, spec: FunctionSpec, log_stream: str) -> Callable[[str], None] | None:
        """Where the worker's output lines go besides its file: the function's CloudWatch Logs
        group in the emulator of this process, one stream per worker as Lambda has one per
        execution environment (batched by local/logs/shipper.py, off the invocation path)."""
        if not self._ship_logs:
            return None
        return functools.partial(
            shipper_for(spec.account_id, spec.region).add, spec.log_group_name, log_stream
        )


def _log(level: int, event: str, function: str, **fields: Any) -> None:
    logger.log(
        level, json.dumps({"event": f"lambda_runtime.{event}", "function": function, **fields}, default=str)
    )


# Strong references: a runtime that was never closed still has its workers stopped at exit.
_LIVE_RUNTIMES: set[LocalLambdaRuntime] = set()


@atexit.register
def _close_all() -> None:
    """No orphan workers when the gateway's process exits without calling close()."""
    for runtime in list(_LIVE_RUNTIMES):
        runtime.close()

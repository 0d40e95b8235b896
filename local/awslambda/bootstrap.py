"""Worker bootstrap: the program a function's worker process runs (our stand-in for /var/runtime).

Run as `python -I -S bootstrap.py <request fd> <response fd> <sdk dir>` by worker.py, with the
function's Lambda environment and the code directory as cwd. Standard library only: it runs in a
different interpreter from the gateway and must not import anything of this repository.

Protocol (one JSON object per line, on dedicated pipes, never on stdout which belongs to the
function's logs):
  worker -> parent, once:  {"type": "ready"} | {"type": "init_error", "errorType", "errorMessage"}
  parent -> worker:        {"id", "event", "timeout_ms", "invoked_function_arn"}
  worker -> parent:        {"type": "result", "id", "payload"} |
                           {"type": "error", "id", "errorType", "errorMessage"}
One request at a time; EOF on the request pipe (parent gone or stopping us) ends the process.
"""

from __future__ import annotations

import decimal
import importlib
import json
import logging
import math
import os
import resource
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import IO, Any, cast

# Lambda's limit for a synchronous invocation's response payload.
MAX_RESPONSE_BYTES = 6_291_556
# How often a worker checks that the gateway that started it is still there.
ORPHAN_CHECK_SECONDS = 1.0

_current_request_id = ""


class LambdaContext:
    """The attributes and method of the python3.12 runtime's context object.

    As in the real runtime, `memory_limit_in_mb` is the string from the environment.
    """

    def __init__(self, request_id: str, timeout_ms: int, invoked_function_arn: str) -> None:
        self._deadline = time.monotonic() + timeout_ms / 1000.0
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_function_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity: Any = None
        self.client_context: Any = None

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))

    def log(self, message: str) -> None:
        sys.stdout.write(message)


class _Encoder(json.JSONEncoder):
    """Like the runtime's marshaller: Decimals (DynamoDB numbers) become JSON numbers."""

    def default(self, o: Any) -> Any:
        if isinstance(o, decimal.Decimal):
            if o.is_nan():
                return math.nan
            return int(o) if o == o.to_integral_value() else float(o)
        return super().default(o)


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = _current_request_id
        return True


def _configure_logging() -> None:
    """A root handler on stdout in the runtime's format, so `logging` output reaches the log."""
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(_RequestIdFilter())
    formatter = logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s", "%Y-%m-%dT%H:%M:%S"
    )
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    logging.getLogger().addHandler(handler)


def _error(error_type: str, message: str) -> dict[str, str]:
    return {"errorType": error_type, "errorMessage": message}


def _safe_str(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:
        return repr(exc)


def _init_failure(error_type: str, message: str, exc: BaseException | None = None) -> dict[str, str]:
    """Log an init failure (with the function's traceback when there is one) and describe it."""
    if exc is not None:
        _print_error(exc, error_type, message)
    else:
        print(f"[ERROR] {error_type}: {message}", file=sys.stderr)
    return _error(error_type, message)


def load_handler(handler: str) -> tuple[Callable[[Any, Any], Any] | None, dict[str, str] | None]:
    """Import `module.function` (slashes allowed in the module path) the way the runtime does.

    Returns the callable, or None and the error Lambda would report for this init failure.
    """
    try:
        module_path, function_name = handler.rsplit(".", 1)
    except ValueError:
        message = f"Bad handler '{handler}': not enough values to unpack (expected 2, got 1)"
        return None, _init_failure("Runtime.MalformedHandlerName", message)
    module_name = module_path.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        message = f"Unable to import module '{module_name}': {_safe_str(exc)}"
        return None, _init_failure("Runtime.ImportModuleError", message, exc)
    except SyntaxError as exc:
        message = f"Syntax error in module '{module_name}': {_safe_str(exc)}"
        return None, _init_failure("Runtime.UserCodeSyntaxError", message, exc)
    except Exception as exc:
        return None, _init_failure(type(exc).__name__, _safe_str(exc), exc)
    function = getattr(module, function_name, None)
    if not callable(function):
        message = f"Handler '{function_name}' missing on module '{module_name}'"
        return None, _init_failure("Runtime.HandlerNotFound", message)
    return cast(Callable[[Any, Any], Any], function), None


def encode_result(request_id: str, payload: Any) -> bytes:
    """The result line, or an error line when the payload cannot be marshalled or is too large."""
    try:
        body = json.dumps(payload, cls=_Encoder)
    except (TypeError, ValueError, RecursionError) as exc:
        message = {
            "type": "error",
            "id": request_id,
            **_error("Runtime.MarshalError", f"Unable to marshal response: {exc}"),
        }
        return json.dumps(message).encode() + b"\n"
    if len(body.encode()) > MAX_RESPONSE_BYTES:
        size_error = _error(
            "Function.ResponseSizeTooLarge",
            f"Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes).",
        )
        return json.dumps({"type": "error", "id": request_id, **size_error}).encode() + b"\n"
    return (
        b'{"type": "result", "id": '
        + json.dumps(request_id).encode()
        + b', "payload": '
        + body.encode()
        + b"}\n"
    )


def _send(channel: IO[bytes], line: bytes) -> None:
    channel.write(line)
    channel.flush()


def _max_memory_used_mb() -> int:
    """Peak RSS of this process. VmHWM, not ru_maxrss: the latter survives exec and would report
    the (much larger) gateway process this worker was forked from."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def _print_error(exc: BaseException, error_type: str, message: str) -> None:
    """`[ERROR] Type: message` and the traceback from the function's own frames, as Lambda logs it."""
    tb = exc.__traceback__.tb_next if exc.__traceback__ is not None else None
    text = "".join(traceback.format_exception(type(exc), exc, tb))
    print(f"[ERROR] {error_type}: {message}\n{text}", end="", file=sys.stderr)


def _report(request_id: str, started: float, memory_mb: str, init_ms: float | None) -> None:
    duration = (time.monotonic() - started) * 1000
    max_used_mb = _max_memory_used_mb()
    init = f"\tInit Duration: {init_ms:.2f} ms" if init_ms is not None else ""
    print(f"END RequestId: {request_id}")
    print(
        f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms"
        f"\tBilled Duration: {math.ceil(duration)} ms"
        f"\tMemory Size: {memory_mb} MB\tMax Memory Used: {max_used_mb} MB{init}"
    )


def serve(
    requests: IO[bytes], responses: IO[bytes], handler: Callable[[Any, Any], Any], init_ms: float
) -> int:
    """Answer requests one at a time until the request pipe closes."""
    global _current_request_id  # noqa: PLW0603 - the logging filter reads the current request
    first_init: float | None = init_ms
    version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
    memory_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
    while line := requests.readline():
        request = json.loads(line)
        request_id = str(request["id"])
        _current_request_id = request_id
        started = time.monotonic()
        print(f"START RequestId: {request_id} Version: {version}")
        context = LambdaContext(request_id, int(request["timeout_ms"]), str(request["invoked_function_arn"]))
        try:
            payload = handler(request["event"], context)
        except Exception as exc:
            message = _safe_str(exc)
            _print_error(exc, type(exc).__name__, message)
            out = json.dumps({"type": "error", "id": request_id, **_error(type(exc).__name__, message)})
            result = out.encode() + b"\n"
        else:
            result = encode_result(request_id, payload)
        sys.stdout.flush()
        sys.stderr.flush()
        _report(request_id, started, memory_mb, first_init)
        first_init = None
        _current_request_id = ""
        _send(responses, result)
    return 0


def _exit_when_orphaned(parent: int) -> None:
    """Die with the gateway even if it was killed mid-invocation (no atexit, timeout never enforced).

    An idle worker notices at once (EOF on the request pipe); a busy one needs this watchdog. Not
    PR_SET_PDEATHSIG: that fires when the *thread* that spawned us ends, i.e. after each request
    of a threading HTTP server.
    """
    while True:
        time.sleep(ORPHAN_CHECK_SECONDS)
        if os.getppid() != parent:
            os._exit(1)


def main(argv: list[str]) -> int:
    request_fd, response_fd, sdk_dir = int(argv[1]), int(argv[2]), argv[3]
    # The function must not pass our pipes on to processes it starts.
    os.set_inheritable(request_fd, False)
    os.set_inheritable(response_fd, False)
    threading.Thread(
        target=_exit_when_orphaned, args=(os.getppid(),), name="orphan-watch", daemon=True
    ).start()
    code_dir = os.environ["LAMBDA_TASK_ROOT"]
    sys.path[:0] = [code_dir, sdk_dir]
    sys.argv = [argv[0]]
    os.chdir(code_dir)
    cast(Any, sys.stdout).reconfigure(line_buffering=True)
    cast(Any, sys.stderr).reconfigure(line_buffering=True)
    _configure_logging()
    requests = os.fdopen(request_fd, "rb")
    responses = os.fdopen(response_fd, "wb")
    started = time.monotonic()
    handler, init_error = load_handler(os.environ.get("_HANDLER", ""))
    init_ms = (time.monotonic() - started) * 1000
    if handler is None or init_error is not None:
        error = init_error or _error("Runtime.HandlerNotFound", "no handler")
        _send(responses, json.dumps({"type": "init_error", **error}).encode() + b"\n")
        return 1
    _send(responses, b'{"type": "ready"}\n')
    return serve(requests, responses, handler, init_ms)


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""Lambda: the local runtime that runs the zips Terraform deployed (warm worker processes), and
the moto patches of the Lambda API (`patches.py`, installed by `local.emulator.apply_patches()`).

The gateway calls `make_runtime(emulator_url, region)` once and then `invoke(name_or_arn, event)`
per request; `close()` (also run at exit) stops every worker. See runtime.py for the model
(one warm process per function version, serialized per worker, fresh workers on re-deploy),
worker.py for process isolation and timeouts, bootstrap.py for what runs inside a worker.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from local.awslambda.runtime import (
    DEFAULT_MAX_WORKERS_PER_FUNCTION,
    DEFAULT_WORK_DIR,
    LocalLambdaRuntime,
)
from local.awslambda.types import (
    SERVICE_ERROR_TYPES,
    InvokeResult,
    LambdaRuntime,
    RuntimeSetupError,
)

__all__ = [
    "DEFAULT_WORK_DIR",
    "SERVICE_ERROR_TYPES",
    "InvokeResult",
    "LambdaRuntime",
    "LocalLambdaRuntime",
    "RuntimeSetupError",
    "make_runtime",
]


def make_runtime(
    emulator_url: str,
    region: str,
    *,
    work_dir: Path | None = None,
    python: str | None = None,
    max_workers_per_function: int = DEFAULT_MAX_WORKERS_PER_FUNCTION,
    echo_function_logs: bool = False,
    extra_environment: Mapping[str, str] | None = None,
) -> LambdaRuntime:
    """A runtime for functions deployed in the emulator at `emulator_url` (same process).

    `work_dir` (default `<repo>/.local/lambda/`) receives the extracted code, the runtime-SDK
    directory and per-function logs (`logs/<function>.log`). `python` forces the worker
    interpreter (else python3.12 if one runs, else this interpreter). Concurrent invocations of
    one function use up to `max_workers_per_function` warm workers, one event at a time each.
    `echo_function_logs` also sends each function output line to the logger `local.lambda.<name>`.
    `extra_environment` adds local-only variables to every worker (the function's own variables
    win; Lambda's reserved keys are refused). Raises RuntimeSetupError if no interpreter runs or
    boto3 is not installed here, ValueError for bad arguments.
    """
    return LocalLambdaRuntime(
        emulator_url,
        region,
        work_dir=work_dir,
        python=python,
        max_workers_per_function=max_workers_per_function,
        echo_function_logs=echo_function_logs,
        extra_environment=extra_environment,
    )

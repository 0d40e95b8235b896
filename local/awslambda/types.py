"""The values the local Lambda runtime hands to its callers (the gateway) and the errors it reports.

Kept free of process and emulator code so the gateway can import the result type cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

# error_type values that mean "the function could not be invoked at all" (the Lambda service refused
# or failed before running user code). API Gateway answers 500 for these, and 502 for every other
# error_type (the function ran and failed: handler exception, timeout, crash, bad return value).
SERVICE_ERROR_TYPES = frozenset(
    {
        "ResourceNotFoundException",
        "InvalidParameterValueException",
        "InvalidZipFileException",
        "ServiceException",
    }
)


@dataclass(frozen=True)
class InvokeResult:
    """The outcome of one synchronous invocation, as the Lambda Invoke API would report it.

    `payload` is the decoded JSON the handler returned (None when it did not return). `error_type`
    is None on success, else the exception class name for handler errors (`Exception`), a
    `Runtime.*` / `Sandbox.*` type as Lambda reports (`Runtime.ImportModuleError`,
    `Runtime.HandlerNotFound`, `Runtime.MarshalError`, `Runtime.ExitError`, `Sandbox.Timedout`,
    `Function.ResponseSizeTooLarge`) or one of SERVICE_ERROR_TYPES. `duration_ms` is the wall
    time of the whole call as the caller saw it (configuration lookup and cold start included).
    """

    payload: Any | None
    error_type: str | None
    error_message: str | None
    duration_ms: float
    request_id: str = ""

    @property
    def ok(self) -> bool:
        """True when the handler returned a value."""
        return self.error_type is None

    @property
    def is_service_error(self) -> bool:
        """True when the function never ran (API Gateway: 500), False for function errors (502)."""
        return self.error_type in SERVICE_ERROR_TYPES


class LambdaRuntime(Protocol):
    """What the gateway needs from a Lambda runtime: synchronous invoke, and shutdown."""

    def invoke(self, function_name_or_arn: str, event: dict[str, Any]) -> InvokeResult: ...

    def close(self) -> None: ...


class ServiceError(Exception):
    """A Lambda-service-level failure (the function did not run); carried into InvokeResult."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message


class RuntimeSetupError(RuntimeError):
    """The machine cannot run workers (no usable interpreter, SDK not installed): fix the setup."""

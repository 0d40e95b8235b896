"""A deployed function's configuration, and the process environment Lambda would give it.

The configuration comes from the emulator's GetFunctionConfiguration answer; `FunctionSpec.key`
identifies one "version" of a function's execution environment: a new CodeSha256 (re-deploy) or a
changed configuration (environment variables, handler, timeout, memory) gets fresh workers, as a
Lambda configuration update does.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from local.awslambda.types import ServiceError

DEFAULT_TIMEOUT_SECONDS = 3
DEFAULT_MEMORY_MB = 128

# Keys Lambda sets itself and refuses in a function's configuration (InvalidParameterValueException).
RESERVED_ENV_KEYS = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)

# Credentials a worker's boto3 signs with. The emulator accepts any; real ones must never reach a
# worker, so these are fixed, obviously fake values (the shape of temporary credentials).
FAKE_ACCESS_KEY_ID = "ASIALOCALLAMBDA00000"
FAKE_SECRET_ACCESS_KEY = "local-lambda-fake-secret-access-key/0000"  # noqa: S105 - not a secret
FAKE_SESSION_TOKEN = "local-lambda-fake-session-token"  # noqa: S105 - not a secret


@dataclass(frozen=True)
class FunctionSpec:
    """What a worker needs to know about the function it runs."""

    name: str
    arn: str  # FunctionArn as configured (qualified when a version was asked for)
    region: str
    account_id: str
    handler: str
    runtime: str
    timeout_seconds: int
    memory_mb: int
    code_sha256: str  # base64, as the Lambda API reports it
    version: str = "$LATEST"
    qualifier: str | None = None
    architectures: tuple[str, ...] = ("x86_64",)
    variables: Mapping[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Identity of this code + configuration: equal keys may share warm workers."""
        material = json.dumps(
            [
                self.name,
                self.qualifier,
                self.code_sha256,
                self.handler,
                self.runtime,
                self.timeout_seconds,
                self.memory_mb,
                list(self.architectures),
                sorted(self.variables.items()),
            ]
        )
        return hashlib.sha256(material.encode()).hexdigest()[:16]

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.name}"

    @classmethod
    def from_configuration(cls, config: Mapping[str, Any]) -> FunctionSpec:
        """Build from a GetFunctionConfiguration answer; ServiceError if it cannot run locally."""
        try:
            name = str(config["FunctionName"])
            arn = str(config["FunctionArn"])
            code_sha256 = str(config["CodeSha256"])
        except KeyError as exc:
            raise ServiceError("ServiceException", f"function configuration lacks {exc.args[0]}") from exc
        parts = arn.split(":")
        if len(parts) not in (7, 8) or parts[2] != "lambda" or parts[5] != "function":
            raise ServiceError("ServiceException", f"unexpected function ARN {arn!r}")
        if config.get("PackageType", "Zip") != "Zip":
            raise ServiceError("ServiceException", f"{name}: only Zip packages run locally")
        runtime = str(config.get("Runtime") or "")
        if not runtime.startswith("python3"):
            raise ServiceError(
                "ServiceException",
                f"{name}: runtime {runtime or 'none'!r} is not supported locally (python3.x only)",
            )
        handler = str(config.get("Handler") or "")
        variables = dict((config.get("Environment") or {}).get("Variables") or {})
        reserved = sorted(RESERVED_ENV_KEYS.intersection(variables))
        if reserved:
            raise ServiceError(
                "InvalidParameterValueException",
                f"{name}: environment variables use reserved keys: {', '.join(reserved)}",
            )
        return cls(
            name=name,
            arn=arn,
            region=parts[3],
            account_id=parts[4],
            handler=handler,
            runtime=runtime,
            timeout_seconds=int(config.get("Timeout") or DEFAULT_TIMEOUT_SECONDS),
            memory_mb=int(config.get("MemorySize") or DEFAULT_MEMORY_MB),
            code_sha256=code_sha256,
            version=str(config.get("Version") or "$LATEST"),
            qualifier=parts[7] if len(parts) == 8 else None,
            architectures=tuple(config.get("Architectures") or ("x86_64",)),
            variables={str(k): str(v) for k, v in variables.items()},
        )


def new_log_stream_name(spec: FunctionSpec) -> str:
    """`YYYY/MM/DD/[$LATEST]<32 hex>`, the shape Lambda gives each execution environment."""
    day = time.strftime("%Y/%m/%d", time.gmtime())
    return f"{day}/[{spec.version}]{secrets.token_hex(16)}"


def lambda_environment(
    spec: FunctionSpec,
    *,
    emulator_url: str,
    code_dir: str,
    sdk_dir: str,
    log_stream_name: str,
    credentials_file: str,
    lang: str = "en_US.UTF-8",
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The complete environment of a worker: the function's variables plus what Lambda sets.

    Nothing is inherited from the parent process. Two local additions: AWS_ENDPOINT_URL so the
    function's boto3 reaches the emulator, and AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE
    pointing at an empty file so the developer's ~/.aws never influences a function (a real
    Lambda has no such files). `extra` holds local-only additions the caller chooses (e.g. a CA
    bundle for a local HTTPS issuer): the function's own variables win over them, and neither can
    replace what Lambda sets.
    """
    env = {**(extra or {}), **spec.variables}
    env.update(
        {
            "AWS_REGION": spec.region,
            "AWS_DEFAULT_REGION": spec.region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group_name,
            "AWS_LAMBDA_LOG_STREAM_NAME": log_stream_name,
            "_HANDLER": spec.handler,
            "LAMBDA_TASK_ROOT": code_dir,
            "LAMBDA_RUNTIME_DIR": sdk_dir,
            "TZ": ":UTC",
            "LANG": lang,
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_ACCESS_KEY,
            "AWS_SESSION_TOKEN": FAKE_SESSION_TOKEN,
            "AWS_ENDPOINT_URL": emulator_url,
            "AWS_CONFIG_FILE": credentials_file,
            "AWS_SHARED_CREDENTIALS_FILE": credentials_file,
        }
    )
    return env

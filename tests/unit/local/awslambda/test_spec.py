"""Function configuration parsing and the worker environment."""

from __future__ import annotations

from typing import Any

import pytest

from local.awslambda.spec import FunctionSpec, lambda_environment
from local.awslambda.types import ServiceError

ARN = "arn:aws:lambda:eu-west-1:123456789012:function:authorizer"


def configuration(**overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "FunctionName": "authorizer",
        "FunctionArn": ARN,
        "Runtime": "python3.12",
        "Handler": "app.handler",
        "Timeout": 7,
        "MemorySize": 256,
        "CodeSha256": "c2hh",
        "Version": "$LATEST",
        "Architectures": ["arm64"],
        "Environment": {"Variables": {"POLICY_TABLE": "policies"}},
    }
    config.update(overrides)
    return config


def test_configuration_is_parsed() -> None:
    spec = FunctionSpec.from_configuration(configuration())

    assert (spec.name, spec.region, spec.account_id) == ("authorizer", "eu-west-1", "123456789012")
    assert (spec.handler, spec.timeout_seconds, spec.memory_mb) == ("app.handler", 7, 256)
    assert spec.architectures == ("arm64",)
    assert dict(spec.variables) == {"POLICY_TABLE": "policies"}
    assert spec.qualifier is None


def test_qualified_arn_keeps_its_qualifier() -> None:
    spec = FunctionSpec.from_configuration(configuration(FunctionArn=ARN + ":3", Version="3"))

    assert (spec.qualifier, spec.version) == ("3", "3")


def test_defaults_match_lambdas() -> None:
    config = configuration()
    for key in ("Timeout", "MemorySize", "Environment", "Architectures"):
        config.pop(key)

    spec = FunctionSpec.from_configuration(config)

    assert (spec.timeout_seconds, spec.memory_mb, spec.architectures) == (3, 128, ("x86_64",))
    assert dict(spec.variables) == {}


@pytest.mark.parametrize(
    ("overrides", "error_type", "message"),
    [
        ({"Environment": {"Variables": {"AWS_REGION": "x"}}}, "InvalidParameterValueException", "AWS_REGION"),
        ({"Runtime": "nodejs20.x"}, "ServiceException", "python3.x only"),
        ({"PackageType": "Image"}, "ServiceException", "Zip"),
        ({"FunctionArn": "not-an-arn"}, "ServiceException", "unexpected function ARN"),
    ],
)
def test_configurations_that_cannot_run_are_service_errors(
    overrides: dict[str, Any], error_type: str, message: str
) -> None:
    with pytest.raises(ServiceError, match=message) as caught:
        FunctionSpec.from_configuration(configuration(**overrides))

    assert caught.value.error_type == error_type


def test_key_changes_with_code_and_configuration_but_not_otherwise() -> None:
    base = FunctionSpec.from_configuration(configuration())

    assert FunctionSpec.from_configuration(configuration()).key == base.key
    assert FunctionSpec.from_configuration(configuration(CodeSha256="b3RoZXI=")).key != base.key
    assert FunctionSpec.from_configuration(configuration(Timeout=8)).key != base.key
    changed_env = configuration(Environment={"Variables": {"POLICY_TABLE": "other"}})
    assert FunctionSpec.from_configuration(changed_env).key != base.key


def test_environment_is_the_functions_variables_plus_lambdas_and_nothing_else() -> None:
    spec = FunctionSpec.from_configuration(configuration())

    env = lambda_environment(
        spec,
        emulator_url="http://127.0.0.1:5000",
        code_dir="/code",
        sdk_dir="/sdk",
        log_stream_name="2024/01/01/[$LATEST]abc",
        credentials_file="/empty",
    )

    assert env["POLICY_TABLE"] == "policies"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "authorizer"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/authorizer"
    assert env["AWS_LAMBDA_LOG_STREAM_NAME"] == "2024/01/01/[$LATEST]abc"
    assert (env["_HANDLER"], env["LAMBDA_TASK_ROOT"], env["LAMBDA_RUNTIME_DIR"]) == (
        "app.handler",
        "/code",
        "/sdk",
    )
    assert env["TZ"] == ":UTC"
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5000"
    assert env["AWS_ACCESS_KEY_ID"].startswith("ASIA")
    assert env["AWS_SECRET_ACCESS_KEY"]
    assert env["AWS_SESSION_TOKEN"]
    assert env["AWS_CONFIG_FILE"] == env["AWS_SHARED_CREDENTIALS_FILE"] == "/empty"
    assert "HOME" not in env
    assert "PYTHONPATH" not in env

"""Invoking deployed zips: results, warm state, context, environment, isolation, error mapping."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from local.awslambda import LocalLambdaRuntime
from local.logs.shipper import shipper_for

REGION = "us-east-1"  # the conftest's emulator region
Deploy = Callable[..., str]

LAMBDA_SET_KEYS = {
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "_HANDLER",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
    "TZ",
    "LANG",
    "PATH",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
}


def test_returns_payload_and_keeps_module_state_warm(runtime: LocalLambdaRuntime, deploy: Deploy) -> None:
    name = deploy()

    first = runtime.invoke(name, {"echo": "hello"})
    second = runtime.invoke(name, {"echo": "again"})

    assert first.ok, first
    assert first.payload["echo"] == "hello"
    assert second.payload["echo"] == "again"
    assert (first.payload["count"], second.payload["count"]) == (1, 2)
    assert first.payload["pid"] == second.payload["pid"]
    assert runtime.worker_pids(name) == [first.payload["pid"]]
    assert first.duration_ms > 0
    assert first.request_id != second.request_id


def test_invoke_by_arn_reaches_the_same_warm_worker(
    runtime: LocalLambdaRuntime, deploy: Deploy, aws: Callable[[str], Any]
) -> None:
    name = deploy()
    arn = aws("lambda").get_function_configuration(FunctionName=name)["FunctionArn"]

    by_name = runtime.invoke(name, {})
    by_arn = runtime.invoke(arn, {})

    assert by_arn.payload["count"] == by_name.payload["count"] + 1
    assert by_arn.payload["pid"] == by_name.payload["pid"]


def test_context_object_is_lambdas(
    runtime: LocalLambdaRuntime, deploy: Deploy, aws: Callable[[str], Any]
) -> None:
    name = deploy(timeout=30, memory=256)
    arn = aws("lambda").get_function_configuration(FunctionName=name)["FunctionArn"]

    result = runtime.invoke(name, {"action": "context"})

    ctx = result.payload
    assert ctx["function_name"] == name
    assert ctx["function_version"] == "$LATEST"
    assert ctx["invoked_function_arn"] == arn
    assert ctx["memory_limit_in_mb"] == "256"
    assert ctx["aws_request_id"] == result.request_id
    assert ctx["log_group_name"] == f"/aws/lambda/{name}"
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", ctx["log_stream_name"])
    assert 0 < ctx["remaining_ms"] <= 30_000
    assert Path(ctx["cwd"]).parent == runtime.work_dir / "code"


def test_environment_is_exactly_the_functions_plus_lambdas(
    runtime: LocalLambdaRuntime, deploy: Deploy, emulator_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = deploy(variables={"TABLE_NAME": "records", "LOG_LEVEL": "DEBUG"}, memory=512)
    # Set after deploying (the test's own boto3 would choke on the profile); the worker starts later.
    monkeypatch.setenv("LEAK_CANARY", "must-not-reach-the-function")
    monkeypatch.setenv("PYTHONPATH", "/nowhere")
    monkeypatch.setenv("AWS_PROFILE", "developer")

    env = runtime.invoke(name, {"action": "env"}).payload

    assert set(env) == LAMBDA_SET_KEYS | {"TABLE_NAME", "LOG_LEVEL"}
    assert env["TABLE_NAME"] == "records"
    assert env["AWS_ENDPOINT_URL"] == emulator_url
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == REGION
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "512"
    assert env["_HANDLER"] == "app.handler"
    assert env["TZ"] == ":UTC"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.12"
    assert Path(env["LAMBDA_TASK_ROOT"]).parent == runtime.work_dir / "code"
    assert Path(env["AWS_CONFIG_FILE"]).read_text() == ""


def test_imports_come_from_the_zip_and_the_runtime_sdk_only(
    runtime: LocalLambdaRuntime, deploy: Deploy, app: Callable[..., dict[str, str]]
) -> None:
    files = app() | {"jwt/__init__.py": 'VENDORED_MARKER = "from-the-zip"\n'}
    name = deploy(files)

    result = runtime.invoke(name, {"action": "imports"})

    info = result.payload
    code_dir = Path(info["sys_path"][0])
    assert code_dir.parent == runtime.work_dir / "code"
    assert info["jwt_marker"] == "from-the-zip"
    assert Path(info["jwt_file"]).parent.parent == code_dir
    assert Path(info["sys_path"][1]).name.startswith("runtime-sdk-")
    assert Path(info["boto3_file"]).parent.parent == Path(info["sys_path"][1])
    assert not any("site-packages" in entry for entry in info["sys_path"])
    assert info["isolated"] == 1
    # The dev venv has all of these; a Lambda has none of them unless the zip vendors them.
    assert info["importable"] == {
        "moto": False,
        "pytest": False,
        "local": False,
        "tools": False,
        "cryptography": False,
    }


def test_print_and_stderr_go_to_the_log_not_the_result_channel(
    runtime: LocalLambdaRuntime, deploy: Deploy
) -> None:
    name = deploy()

    printed = runtime.invoke(name, {"action": "print"})
    after = runtime.invoke(name, {"echo": "still in sync"})

    assert printed.ok, printed
    assert printed.payload["count"] == 1
    assert after.payload == {**after.payload, "echo": "still in sync", "count": 2}
    runtime.close()  # flushes the log relay
    log = runtime.log_path(name).read_text()
    assert "PRINTED-TO-STDOUT" in log
    assert "PRINTED-TO-STDERR" in log
    assert f"START RequestId: {printed.request_id}" in log
    assert f"REPORT RequestId: {printed.request_id}" in log


@pytest.mark.parametrize(
    ("event", "error_type", "message"),
    [
        ({"action": "raise", "message": "Unauthorized"}, "Exception", "Unauthorized"),
        ({"action": "raise_value_error", "message": "bad input"}, "ValueError", "bad input"),
    ],
)
def test_handler_exception_maps_to_its_class_name_and_keeps_the_worker(
    runtime: LocalLambdaRuntime, deploy: Deploy, event: dict[str, Any], error_type: str, message: str
) -> None:
    name = deploy()

    failed = runtime.invoke(name, event)
    after = runtime.invoke(name, {})

    assert (failed.payload, failed.error_type, failed.error_message) == (None, error_type, message)
    assert not failed.is_service_error
    assert after.payload["count"] == 2  # same warm worker, state intact


def test_non_json_return_value_is_a_marshal_error(runtime: LocalLambdaRuntime, deploy: Deploy) -> None:
    name = deploy()

    result = runtime.invoke(name, {"action": "unserializable"})

    assert result.payload is None
    assert result.error_type == "Runtime.MarshalError"
    assert "not JSON serializable" in (result.error_message or "")


def test_import_error_is_reported_as_lambda_does_and_leaves_no_worker(
    runtime: LocalLambdaRuntime, deploy: Deploy
) -> None:
    name = deploy({"broken.py": "import module_that_is_not_vendored\n"}, handler="broken.handler")

    result = runtime.invoke(name, {})

    assert result.error_type == "Runtime.ImportModuleError"
    assert result.error_message is not None
    assert result.error_message.startswith("Unable to import module 'broken':")
    assert "module_that_is_not_vendored" in result.error_message
    assert runtime.worker_pids(name) == []


def test_missing_handler_function_is_handler_not_found(runtime: LocalLambdaRuntime, deploy: Deploy) -> None:
    name = deploy(handler="app.no_such_function")

    result = runtime.invoke(name, {})

    assert result.error_type == "Runtime.HandlerNotFound"
    assert result.error_message == "Handler 'no_such_function' missing on module 'app'"


def test_unknown_function_is_a_service_error(runtime: LocalLambdaRuntime) -> None:
    result = runtime.invoke("fn-that-was-never-deployed", {})

    assert result.error_type == "ResourceNotFoundException"
    assert result.is_service_error
    assert result.payload is None


def test_zip_slip_package_is_rejected_and_writes_nothing_outside(
    runtime: LocalLambdaRuntime, deploy: Deploy, make_zip: Callable[[dict[str, str]], bytes]
) -> None:
    name = deploy(
        zip_bytes=make_zip({"app.py": "def handler(e, c):\n    return 1\n", "../../escaped.py": "x = 1\n"})
    )

    result = runtime.invoke(name, {})

    assert result.error_type == "InvalidZipFileException"
    assert "'..'" in (result.error_message or "")
    assert not list(runtime.work_dir.parent.rglob("escaped.py"))
    assert not list((runtime.work_dir / "code").iterdir())


def test_bad_event_is_refused_before_anything_runs(runtime: LocalLambdaRuntime, deploy: Deploy) -> None:
    name = deploy()

    with pytest.raises(TypeError, match="dict"):
        runtime.invoke(name, ["not", "an", "object"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="JSON"):
        runtime.invoke(name, {"when": object()})

    assert runtime.worker_pids(name) == []
    assert not (runtime.work_dir / "code").exists()


def test_handler_reaches_the_emulator_through_aws_endpoint_url(
    runtime: LocalLambdaRuntime, deploy: Deploy, aws: Callable[[str], Any]
) -> None:
    dynamodb = aws("dynamodb")
    table = f"records-{runtime.work_dir.parent.name[-12:]}"
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    name = deploy()

    result = runtime.invoke(name, {"action": "dynamodb", "table": table, "pk": "item-1"})

    assert result.payload == {"stored": "item-1"}, result
    item = dynamodb.get_item(TableName=table, Key={"pk": {"S": "item-1"}})["Item"]
    assert item["written_by"] == {"S": name}


def test_function_output_can_be_echoed_to_the_parents_logger(
    emulator_url: str, deploy: Deploy, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    name = deploy()
    runtime = LocalLambdaRuntime(emulator_url, REGION, work_dir=tmp_path, echo_function_logs=True)
    with caplog.at_level("INFO", logger=f"local.lambda.{name}"):
        try:
            assert runtime.invoke(name, {"action": "print"}).ok
        finally:
            runtime.close()  # joins the log relay

    echoed = [r.getMessage() for r in caplog.records if r.name == f"local.lambda.{name}"]
    assert "PRINTED-TO-STDOUT" in echoed
    assert "PRINTED-TO-STDERR" in echoed


def test_function_output_reaches_its_cloudwatch_log_group(
    runtime: LocalLambdaRuntime, deploy: Deploy, aws: Callable[[str], Any]
) -> None:
    """Lambda delivers each output line as an event of /aws/lambda/<name>, one stream per execution
    environment (the stream the function's context names)."""
    name = deploy()
    logs = aws("logs")
    logs.create_log_group(logGroupName=f"/aws/lambda/{name}")
    context = runtime.invoke(name, {"action": "context"}).payload
    runtime.invoke(name, {"action": "print"})
    runtime.close()  # the relay has copied every line
    shipper_for("123456789012", REGION).flush()

    streams = logs.describe_log_streams(logGroupName=f"/aws/lambda/{name}")["logStreams"]
    assert [s["logStreamName"] for s in streams] == [context["log_stream_name"]]
    messages = [
        e["message"]
        for e in logs.get_log_events(
            logGroupName=f"/aws/lambda/{name}", logStreamName=context["log_stream_name"], startFromHead=True
        )["events"]
    ]
    assert "PRINTED-TO-STDOUT" in messages
    assert "PRINTED-TO-STDERR" in messages
    assert messages == runtime.log_path(name).read_text().splitlines(), "the group holds what the file holds"


def test_a_function_without_a_log_group_keeps_its_file_and_ships_nothing(
    runtime: LocalLambdaRuntime, deploy: Deploy, aws: Callable[[str], Any]
) -> None:
    name = deploy()
    shipper = shipper_for("123456789012", REGION)
    dropped = shipper.dropped
    runtime.invoke(name, {"action": "print"})
    runtime.close()
    shipper.flush()
    assert "PRINTED-TO-STDOUT" in runtime.log_path(name).read_text()
    assert shipper.dropped > dropped
    assert not aws("logs").describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{name}")["logGroups"]

"""The worker bootstrap's pure parts, in-process: result marshalling, handler loading, context."""

from __future__ import annotations

import decimal
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.awslambda import bootstrap


def decode(line: bytes) -> dict[str, object]:
    assert line.endswith(b"\n")
    message = json.loads(line)
    assert isinstance(message, dict)
    return message


def test_result_line_carries_the_payload() -> None:
    message = decode(bootstrap.encode_result("req-1", {"statusCode": 200, "body": "é"}))

    assert message == {"type": "result", "id": "req-1", "payload": {"statusCode": 200, "body": "é"}}


def test_dynamodb_decimals_become_json_numbers() -> None:
    payload = {"n": decimal.Decimal("3"), "x": decimal.Decimal("2.5")}

    message = decode(bootstrap.encode_result("r", payload))

    assert message["payload"] == {"n": 3, "x": 2.5}


def test_unserializable_payload_is_a_marshal_error() -> None:
    message = decode(bootstrap.encode_result("r", {"s": {1, 2}}))

    assert message["type"] == "error"
    assert message["errorType"] == "Runtime.MarshalError"
    assert str(message["errorMessage"]).startswith("Unable to marshal response:")


def test_oversized_payload_is_refused_like_lambda() -> None:
    message = decode(bootstrap.encode_result("r", "x" * bootstrap.MAX_RESPONSE_BYTES))

    assert message["errorType"] == "Function.ResponseSizeTooLarge"


@pytest.fixture
def code_dir(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "good.py").write_text("def handler(event, context):\n    return event\n")
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "__init__.py").write_text("")
    (tmp_path / "nested" / "mod.py").write_text("def run(event, context):\n    return 'nested'\n")
    (tmp_path / "imports_missing.py").write_text("import not_installed_anywhere_xyz\n")
    (tmp_path / "bad_syntax.py").write_text("def handler(:\n")
    (tmp_path / "raises_at_import.py").write_text("raise RuntimeError('no config')\n")
    sys.path.insert(0, str(tmp_path))
    try:
        yield tmp_path
    finally:
        sys.path.remove(str(tmp_path))
        for name in ("good", "nested", "nested.mod", "imports_missing", "bad_syntax", "raises_at_import"):
            sys.modules.pop(name, None)


def test_handler_is_loaded_from_module_dot_function(code_dir: Path) -> None:
    handler, error = bootstrap.load_handler("good.handler")

    assert error is None
    assert handler is not None
    assert handler({"a": 1}, None) == {"a": 1}


def test_slashes_in_the_handler_path_name_a_package(code_dir: Path) -> None:
    handler, error = bootstrap.load_handler("nested/mod.run")

    assert error is None
    assert handler is not None
    assert handler({}, None) == "nested"


@pytest.mark.parametrize(
    ("handler", "error_type", "message_start"),
    [
        ("nodot", "Runtime.MalformedHandlerName", "Bad handler 'nodot'"),
        (
            "imports_missing.handler",
            "Runtime.ImportModuleError",
            "Unable to import module 'imports_missing':",
        ),
        ("bad_syntax.handler", "Runtime.UserCodeSyntaxError", "Syntax error in module 'bad_syntax'"),
        ("raises_at_import.handler", "RuntimeError", "no config"),
        ("good.absent", "Runtime.HandlerNotFound", "Handler 'absent' missing on module 'good'"),
    ],
)
def test_init_failures_are_reported_as_lambda_does(
    code_dir: Path, capsys: pytest.CaptureFixture[str], handler: str, error_type: str, message_start: str
) -> None:
    loaded, error = bootstrap.load_handler(handler)

    assert loaded is None
    assert error is not None
    assert error["errorType"] == error_type
    assert error["errorMessage"].startswith(message_start)
    assert f"[ERROR] {error_type}: " in capsys.readouterr().err


def test_context_counts_down_from_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "fn")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")

    context = bootstrap.LambdaContext("req", 3000, "arn:aws:lambda:us-east-1:1:function:fn")
    expired = bootstrap.LambdaContext("req", 0, "arn:aws:lambda:us-east-1:1:function:fn")

    assert 0 < context.get_remaining_time_in_millis() <= 3000
    assert expired.get_remaining_time_in_millis() == 0
    assert (context.function_name, context.memory_limit_in_mb, context.aws_request_id) == ("fn", "512", "req")
    assert context.invoked_function_arn == "arn:aws:lambda:us-east-1:1:function:fn"

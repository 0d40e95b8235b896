"""Fixtures: an in-process moto server, functions deployed into it from small zips, a runtime.

The server is module-scoped (starting one costs about a second); every test deploys functions
under its own unique names, so no test sees another's functions or workers.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from local.awslambda import LocalLambdaRuntime

REGION = "us-east-1"

# One handler module exercising every behaviour under test; the event says what to do.
APP_PY = """
import json
import os
import sys
import time

COUNT = 0  # module state: survives warm invocations, reset in a fresh worker
VERSION = "{version}"


def handler(event, context):
    global COUNT
    COUNT += 1
    action = event.get("action")
    if action == "sleep":
        time.sleep(event["seconds"])
    elif action == "raise":
        raise Exception(event["message"])
    elif action == "raise_value_error":
        raise ValueError(event["message"])
    elif action == "exit":
        os._exit(event["code"])
    elif action == "unserializable":
        return {{"a set": {{1, 2}}}}
    elif action == "print":
        print(json.dumps({{"type": "result", "id": "forged", "payload": "from stdout"}}))
        print("x" * 200_000)
        sys.stderr.write("PRINTED-TO-STDERR\\n")
        print("PRINTED-TO-STDOUT")
    elif action == "env":
        return dict(os.environ)
    elif action == "context":
        return {{
            "function_name": context.function_name,
            "function_version": context.function_version,
            "invoked_function_arn": context.invoked_function_arn,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "aws_request_id": context.aws_request_id,
            "log_group_name": context.log_group_name,
            "log_stream_name": context.log_stream_name,
            "remaining_ms": context.get_remaining_time_in_millis(),
            "cwd": os.getcwd(),
        }}
    elif action == "imports":
        found = {{}}
        for name in ("moto", "pytest", "local", "tools", "cryptography"):
            try:
                __import__(name)
                found[name] = True
            except ImportError:
                found[name] = False
        import boto3
        import jwt

        return {{
            "jwt_file": jwt.__file__,
            "jwt_marker": getattr(jwt, "VENDORED_MARKER", None),
            "boto3_file": boto3.__file__,
            "sys_path": sys.path,
            "isolated": sys.flags.isolated,
            "importable": found,
        }}
    elif action == "dynamodb":
        import boto3

        table = boto3.resource("dynamodb").Table(event["table"])
        table.put_item(Item={{"pk": event["pk"], "written_by": context.function_name}})
        return {{"stored": event["pk"]}}
    return {{"count": COUNT, "pid": os.getpid(), "version": VERSION, "echo": event.get("echo")}}
"""


def build_zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in sorted(files.items()):
            archive.writestr(name, text)
    return buffer.getvalue()


def app_files(version: str = "v1") -> dict[str, str]:
    return {"app.py": APP_PY.format(version=version)}


@pytest.fixture(scope="module")
def emulator_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="module")
def aws(emulator_url: str) -> Callable[[str], Any]:
    def client(service: str) -> Any:
        return boto3.session.Session().client(
            service,
            region_name=REGION,
            endpoint_url=emulator_url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    return client


@pytest.fixture(scope="module")
def role_arn(aws: Callable[[str], Any]) -> str:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = aws("iam").create_role(
        RoleName=f"fn-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps(trust)
    )
    return str(role["Role"]["Arn"])


Deploy = Callable[..., str]


@pytest.fixture
def deploy(aws: Callable[[str], Any], role_arn: str) -> Deploy:
    """Create a function from `files` under a unique name and return the name."""

    def _deploy(
        files: dict[str, str] | None = None,
        *,
        handler: str = "app.handler",
        timeout: int = 30,
        memory: int = 128,
        variables: dict[str, str] | None = None,
        zip_bytes: bytes | None = None,
    ) -> str:
        name = f"fn-{uuid.uuid4().hex[:10]}"
        aws("lambda").create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role_arn,
            Handler=handler,
            Code={"ZipFile": zip_bytes if zip_bytes is not None else build_zip(files or app_files())},
            Timeout=timeout,
            MemorySize=memory,
            Environment={"Variables": variables or {}},
        )
        return name

    return _deploy


@pytest.fixture
def runtime(emulator_url: str, tmp_path: Path) -> Iterator[LocalLambdaRuntime]:
    rt = LocalLambdaRuntime(emulator_url, REGION, work_dir=tmp_path / "lambda")
    try:
        yield rt
    finally:
        rt.close()


@pytest.fixture
def make_zip() -> Callable[[dict[str, str]], bytes]:
    return build_zip


@pytest.fixture
def app() -> Callable[..., dict[str, str]]:
    """The test handler's files; `app("v2")` is a different code version of the same handler."""
    return app_files

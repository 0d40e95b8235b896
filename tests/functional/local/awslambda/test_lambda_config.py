"""Lambda settings moto dropped (Terraform re-planned them forever): LoggingConfig, DeadLetterConfig."""

from __future__ import annotations

import io
import json
import uuid
import zipfile

import boto3

from local.emulator.server import EmulatorHandle


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def test_logging_and_dead_letter_config_are_stored_and_updated(emulator: EmulatorHandle) -> None:
    options = {
        "endpoint_url": emulator.url,
        "region_name": "us-east-1",
        "aws_access_key_id": "a",
        "aws_secret_access_key": "b",
    }
    iam, lam = boto3.client("iam", **options), boto3.client("lambda", **options)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = iam.create_role(RoleName=f"fn-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps(trust))[
        "Role"
    ]["Arn"]
    name = f"fn-{uuid.uuid4().hex[:8]}"
    dlq = "arn:aws:sqs:us-east-1:123456789012:dead-letters"

    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": _zip()},
        LoggingConfig={"LogFormat": "JSON"},
        DeadLetterConfig={"TargetArn": dlq},
    )
    config = lam.get_function_configuration(FunctionName=name)
    assert config["LoggingConfig"] == {"LogFormat": "JSON", "LogGroup": f"/aws/lambda/{name}"}
    assert config["DeadLetterConfig"] == {"TargetArn": dlq}

    lam.update_function_configuration(
        FunctionName=name,
        LoggingConfig={"LogFormat": "Text", "LogGroup": "/custom/group"},
        TracingConfig={"Mode": "Active"},
    )
    updated = lam.get_function(FunctionName=name)["Configuration"]
    assert updated["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": "/custom/group"}
    assert updated["TracingConfig"] == {"Mode": "Active"}
    assert updated["DeadLetterConfig"] == {"TargetArn": dlq}

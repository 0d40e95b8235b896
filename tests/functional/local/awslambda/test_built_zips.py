"""The zips `make build` produces run in the local runtime (needs `make build`; no Terraform)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from local.awslambda import LocalLambdaRuntime
from tools import config

Deploy = Callable[..., str]
REPO_ROOT = Path(__file__).resolve().parents[4]
# `make build` (ENV=local) builds for the local environment's declared architecture.
LOCAL_ARCH = config.load("local").lambda_architecture

PROBE_PY = """
import cryptography
from cryptography.hazmat.bindings import _rust


def handler(event, context):
    return {"cryptography": cryptography.__file__, "rust": _rust.__file__}
"""

AUTHORIZER_ENV = {
    "POLICY_TABLE": "policies",
    "ISSUER": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_example",
    "ALLOWED_CLIENT_IDS": "client-a",
}


def built_zip(name: str) -> bytes:
    path = REPO_ROOT / "build" / "lambda" / LOCAL_ARCH / f"{name}.zip"
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `make build` first (make test-functional does)")
    return path.read_bytes()


def with_probe(zip_bytes: bytes) -> bytes:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(zip_bytes)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            target.writestr(info, source.read(info))
        target.writestr("probe.py", PROBE_PY)
    return out.getvalue()


def test_authorizer_zip_imports_its_vendored_native_dependencies(
    runtime: LocalLambdaRuntime, deploy: Deploy
) -> None:
    name = deploy(zip_bytes=with_probe(built_zip("authorizer")), handler="probe.handler")

    result = runtime.invoke(name, {})

    assert result.ok, result
    code_dir = runtime.work_dir / "code"
    for module in ("cryptography", "rust"):
        assert Path(result.payload[module]).is_relative_to(code_dir), (module, result.payload[module])


def test_authorizer_zip_answers_unauthorized_without_a_token(
    runtime: LocalLambdaRuntime, deploy: Deploy
) -> None:
    name = deploy(zip_bytes=built_zip("authorizer"), variables=AUTHORIZER_ENV)
    event = {
        "type": "TOKEN",
        "authorizationToken": "",
        "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/local/GET/petstore/v2/status",
    }

    result = runtime.invoke(name, event)

    # API Gateway maps exactly this (error class Exception, message "Unauthorized") to 401.
    assert (result.error_type, result.error_message) == ("Exception", "Unauthorized")

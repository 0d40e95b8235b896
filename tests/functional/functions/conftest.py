"""Fixtures for the Lambda functions' functional tests: in-process moto, a local RSA key and a
loopback JWKS server. The function folders are put on sys.path the way Lambda sees them (zip root)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
for _path in (
    ROOT,
    ROOT / "functions" / "authorizer",
    ROOT / "functions" / "backend",
    ROOT / "functions" / "revocation",
):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import app  # noqa: E402
import boto3  # noqa: E402
from backend_core import store  # noqa: E402
from moto import mock_aws  # noqa: E402

from tests.functional.functions import support  # noqa: E402


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and a region; nothing may reach a real AWS endpoint."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "CORS_ALLOW_ORIGIN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_REGION", support.REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", support.REGION)


@pytest.fixture(scope="session")
def signing_key() -> support.SigningKey:
    return support.SigningKey.generate("key-1")


@pytest.fixture(scope="session")
def other_key() -> support.SigningKey:
    return support.SigningKey.generate("key-2")


@pytest.fixture
def tokens(signing_key: support.SigningKey) -> support.TokenFactory:
    return support.TokenFactory(signing_key)


@pytest.fixture(scope="session")
def jwks_server(signing_key: support.SigningKey) -> Iterator[support.JwksServer]:
    with support.JwksServer([signing_key]) as server:
        yield server


@pytest.fixture
def jwks(jwks_server: support.JwksServer, signing_key: support.SigningKey) -> support.JwksServer:
    """The loopback JWKS server, reset: only the test key, healthy, request count zero."""
    jwks_server.reset([signing_key])
    return jwks_server


@pytest.fixture(scope="session")
def ddb_client() -> Any:
    """One DynamoDB client for the session (creating boto3 clients is the slow part of these tests).

    moto's stubber hooks every client created after moto is imported, so this client talks to the
    in-process moto backend while a test's `mock_aws()` is active, and to nothing otherwise.
    """
    with mock_aws():
        return boto3.client(
            "dynamodb",
            region_name=support.REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


@pytest.fixture
def ddb(ddb_client: Any) -> Iterator[Any]:
    """Fresh moto state per test: the policy table seeded from policy_templates/, empty records and
    revocation tables."""
    with mock_aws():
        support.create_policy_table(ddb_client)
        support.create_records_table(ddb_client)
        support.create_revocation_table(ddb_client)
        yield ddb_client


@pytest.fixture
def authorizer_app(
    monkeypatch: pytest.MonkeyPatch, ddb: Any, jwks: support.JwksServer
) -> Iterator[ModuleType]:
    """The authorizer's `app` module with a fresh container state and the test environment."""
    for name, value in support.authorizer_env(jwks.url).items():
        monkeypatch.setenv(name, value)
    # Reuse the session's client; test_warm_decisions_... puts the real factory back to count it.
    monkeypatch.setattr(app, "dynamodb_client", lambda: ddb)
    monkeypatch.setattr(app, "revocation_client", lambda: ddb)
    app.reset()
    yield app
    app.reset()


@pytest.fixture
def backend(monkeypatch: pytest.MonkeyPatch, ddb: Any) -> Iterator[Any]:
    """Backend handlers against an empty records table (TABLE_NAME set, client cache reset)."""
    monkeypatch.setenv("TABLE_NAME", support.RECORDS_TABLE)
    store.reset()
    monkeypatch.setattr(store, "_client", ddb)
    yield ddb
    store.reset()

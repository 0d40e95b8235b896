"""Logs Insights saved queries in the emulator (local/logs/patches.py: moto has none), validated as
the CloudWatch Logs API reference constrains PutQueryDefinition and its siblings."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import ClientError, ParamValidationError

from local.emulator.server import EmulatorHandle


@pytest.fixture
def logs(emulator: EmulatorHandle) -> Any:
    return boto3.client(
        "logs",
        endpoint_url=emulator.url,
        region_name="us-east-1",
        aws_access_key_id="a",
        aws_secret_access_key="b",
    )


def test_create_read_update_delete(logs: Any) -> None:
    prefix = f"q{uuid.uuid4().hex[:6]}"
    created = logs.put_query_definition(
        name=f"{prefix}/who-was-denied",
        queryString='filter decision != "allow"',
        logGroupNames=["/aws/lambda/fga-local-authorizer"],
    )["queryDefinitionId"]
    logs.put_query_definition(name=f"{prefix}/other", queryString="stats count(*)")
    listed = logs.describe_query_definitions(queryDefinitionNamePrefix=f"{prefix}/who")["queryDefinitions"]
    assert [(q["queryDefinitionId"], q["name"], q["logGroupNames"]) for q in listed] == [
        (created, f"{prefix}/who-was-denied", ["/aws/lambda/fga-local-authorizer"])
    ]
    # An update replaces every field: the log groups it leaves out are gone.
    same = logs.put_query_definition(
        queryDefinitionId=created, name=f"{prefix}/who-was-denied", queryString="x"
    )
    assert same["queryDefinitionId"] == created
    updated = logs.describe_query_definitions(queryDefinitionNamePrefix=f"{prefix}/who")["queryDefinitions"]
    assert [(q["queryString"], q.get("logGroupNames", [])) for q in updated] == [("x", [])]
    assert logs.delete_query_definition(queryDefinitionId=created)["success"] is True
    assert (
        logs.describe_query_definitions(queryDefinitionNamePrefix=f"{prefix}/who")["queryDefinitions"] == []
    )


def test_unknown_ids_are_not_found(logs: Any) -> None:
    for call in (
        lambda: logs.delete_query_definition(queryDefinitionId="no-such-id"),
        lambda: logs.put_query_definition(queryDefinitionId="no-such-id", name="n", queryString="q"),
    ):
        with pytest.raises(ClientError) as error:
            call()
        assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"


@pytest.mark.parametrize(
    "request_",
    [
        {"name": "x" * 256, "queryString": "q"},
        {"name": "n", "queryString": "q" * 10001},
        {"name": "n", "queryString": "q", "logGroupNames": ["bad group name!"]},
    ],
)
def test_invalid_input_is_refused_and_nothing_is_saved(logs: Any, request_: dict[str, Any]) -> None:
    before = logs.describe_query_definitions()["queryDefinitions"]
    with pytest.raises((ClientError, ParamValidationError)) as error:
        logs.put_query_definition(**request_)
    if isinstance(error.value, ClientError):
        assert error.value.response["Error"]["Code"] == "InvalidParameterException"
    assert logs.describe_query_definitions()["queryDefinitions"] == before


def test_invalid_input_the_sdk_lets_through_is_refused_by_the_emulator(emulator: EmulatorHandle) -> None:
    """botocore checks lengths client-side; a client that does not (raw JSON) meets the emulator's own."""
    response = requests.post(
        emulator.url,
        data=json.dumps({"name": "x" * 256, "queryString": "q"}),
        headers={
            "X-Amz-Target": "Logs_20140328.PutQueryDefinition",
            "Content-Type": "application/x-amz-json-1.1",
            "Authorization": "AWS4-HMAC-SHA256 Credential=a/20240101/us-east-1/logs/aws4_request, "
            "SignedHeaders=host, Signature=x",
        },
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["__type"].endswith("InvalidParameterException")

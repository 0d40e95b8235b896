"""FlushStageAuthorizersCache in the emulator (local/apigateway/patches.py): 202 for a stage that
exists, NotFoundException otherwise, and the flush is counted for the local gateway."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local.apigateway import flushes
from local.emulator.server import EmulatorHandle


@pytest.fixture
def apigw(emulator: EmulatorHandle) -> Any:
    return boto3.client(
        "apigateway",
        endpoint_url=emulator.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_flush_counts_for_an_existing_stage_and_refuses_an_unknown_one(apigw: Any) -> None:
    api = apigw.create_rest_api(name="flush-test")["id"]
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]
    apigw.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    deployment = apigw.create_deployment(restApiId=api)["id"]
    apigw.create_stage(restApiId=api, stageName="live", deploymentId=deployment)
    before = flushes.generation(api, "live")

    answer = apigw.flush_stage_authorizers_cache(restApiId=api, stageName="live")

    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert flushes.generation(api, "live") == before + 1
    for api_id, stage in ((api, "nope"), ("noapi00000", "live")):
        with pytest.raises(ClientError) as raised:
            apigw.flush_stage_authorizers_cache(restApiId=api_id, stageName=stage)
        assert raised.value.response["Error"]["Code"] == "NotFoundException"
    assert flushes.generation(api, "nope") == 0

"""Fixtures of the functional-tier fault and integrity tests (loaded by tests/conftest.py).

`moto_server` is one moto server per process on loopback; `dynamo` puts a `DynamoFaults` proxy in
front of it with fresh policy and records tables (unique names per test: moto keeps its state per
process, and other tests of the same worker reset it between tests); `faulty_jwks` serves the test
signing key. Functions reach them through AWS_ENDPOINT_URL and JWKS_URL, set by the tests.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from tests.functional.functions import support
from tests.reliability.faults import DynamoFaults, FaultyJwks


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer  # noqa: PLC0415 - heavy; only these tests need it

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@dataclass
class Dynamo:
    """The fault proxy, a client straight to moto (for setup and snapshots), the two table names."""

    proxy: DynamoFaults
    direct: Any
    policy_table: str
    records_table: str
    revocation_table: str

    def records(self) -> list[dict[str, Any]]:
        """The whole records table, read past the proxy (a test's view of the truth)."""
        items: list[dict[str, Any]] = []
        request: dict[str, Any] = {"TableName": self.records_table, "ConsistentRead": True}
        while True:
            page = self.direct.scan(**request)
            items.extend(page["Items"])
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


@pytest.fixture
def dynamo(moto_server: str) -> Iterator[Dynamo]:
    direct = boto3.client(
        "dynamodb",
        endpoint_url=moto_server,
        region_name=support.REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    suffix = uuid.uuid4().hex[:8]
    policy_table, records_table = f"policies-{suffix}", f"records-{suffix}"
    revocation_table = f"revocations-{suffix}"
    support.create_revocation_table(direct, revocation_table)
    direct.create_table(
        TableName=policy_table,
        KeySchema=[{"AttributeName": "group", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "group", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for group, precedence in support.GROUP_PRECEDENCE.items():
        policy = support.render_template(group)
        direct.put_item(
            TableName=policy_table,
            Item={
                "group": {"S": group},
                "precedence": {"N": str(precedence)},
                "policy": {"S": policy},
                "version": {"S": "1"},
            },
        )
    direct.create_table(
        TableName=records_table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    proxy = DynamoFaults(moto_server)
    try:
        yield Dynamo(proxy, direct, policy_table, records_table, revocation_table)
    finally:
        proxy.close()
        for table in (policy_table, records_table, revocation_table):
            with contextlib.suppress(Exception):  # a reset moto backend already dropped it
                direct.delete_table(TableName=table)


@pytest.fixture
def faulty_jwks(signing_key: support.SigningKey) -> Iterator[FaultyJwks]:
    server = FaultyJwks([signing_key.jwk()])
    yield server
    server.close()

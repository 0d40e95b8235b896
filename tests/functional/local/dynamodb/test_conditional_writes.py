"""The emulator's DynamoDB: concurrent conditional writes are atomic, as on AWS (local/dynamodb/)."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import boto3
import moto.dynamodb.models as moto_models
import pytest

from local.emulator.server import EmulatorHandle

WRITERS = 4
CHECK_SECONDS = 0.2


def _client(url: str) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="a",
        aws_secret_access_key="b",
    )


@pytest.fixture
def slow_condition_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Widen moto's window between checking a ConditionExpression and writing: CHECK_SECONDS after
    each check, so concurrent requests that are not serialised all pass a check on the old item."""
    create = moto_models.create_condition_expression_parser

    def slow_parser(*args: Any, **kwargs: Any) -> Any:
        parser = create(*args, **kwargs)
        parse = parser.parse

        def slow_parse() -> Any:
            op = parse()
            check = op.expr

            def slow_check(item: Any) -> Any:
                verdict = check(item)
                time.sleep(CHECK_SECONDS)  # between the check and the write
                return verdict

            op.expr = slow_check
            return op

        parser.parse = slow_parse
        return parser

    monkeypatch.setattr(moto_models, "create_condition_expression_parser", slow_parser)


@pytest.mark.usefixtures("slow_condition_checks")
def test_concurrent_writes_conditioned_on_one_version_let_exactly_one_through(
    emulator: EmulatorHandle,
) -> None:
    table = f"race-{uuid.uuid4().hex[:8]}"
    admin = _client(emulator.url)
    admin.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    admin.put_item(TableName=table, Item={"pk": {"S": "x"}, "version": {"N": "0"}})
    clients = [_client(emulator.url) for _ in range(WRITERS)]
    start = threading.Barrier(WRITERS)
    won: list[int] = []
    lost: list[int] = []

    def write(n: int) -> None:
        start.wait()
        try:
            clients[n].update_item(
                TableName=table,
                Key={"pk": {"S": "x"}},
                UpdateExpression="SET version = version + :one, writer = :n",
                ConditionExpression="version = :seen",
                ExpressionAttributeValues={":one": {"N": "1"}, ":n": {"N": str(n)}, ":seen": {"N": "0"}},
            )
            won.append(n)
        except clients[n].exceptions.ConditionalCheckFailedException:
            lost.append(n)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    item = admin.get_item(TableName=table, Key={"pk": {"S": "x"}}, ConsistentRead=True)["Item"]
    assert (len(won), len(lost)) == (1, WRITERS - 1)
    assert item["version"] == {"N": "1"}
    assert item["writer"] == {"N": str(won[0])}

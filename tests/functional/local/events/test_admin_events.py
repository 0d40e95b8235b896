"""Cognito admin calls -> CloudTrail -> EventBridge -> a Lambda target, in the emulator (local/events,
local/cognito_idp/trail.py), with the revocation feed's own zip as the target (needs `make build`).

What AWS documents and the emulator does: the event reaches the default bus only while a trail logs
the account's management events; a rule delivers only while ENABLED, only what its pattern matches,
only to a function whose resource policy lets EventBridge invoke it for that rule; a failed
asynchronous invocation is retried twice, then sent to the function's dead-letter queue. Deliveries
are asynchronous: tests wait for them with `delivery.drain()`, never by sleeping.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from local.emulator.server import EmulatorHandle
from local.events import delivery
from tests.functional.local.support import REGION, UserPool, World
from tools import config

REPO_ROOT = Path(__file__).resolve().parents[4]
LOCAL_ARCH = config.load("local").lambda_architecture
EVENTS = [
    "AdminUserGlobalSignOut",
    "AdminDisableUser",
    "AdminDeleteUser",
    "AdminRemoveUserFromGroup",
    "AdminAddUserToGroup",
]


def _zip() -> bytes:
    path = REPO_ROOT / "build" / "lambda" / LOCAL_ARCH / "revocation.zip"
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `make build` first (make test-functional does)")
    return path.read_bytes()


@dataclass
class Feed:
    world: World
    pool: UserPool
    clients: dict[str, Any]
    table: str
    function: str
    rule: str
    queue_url: str

    def record(self, sub: str) -> dict[str, Any] | None:
        item: dict[str, Any] | None = (
            self.clients["dynamodb"]
            .get_item(TableName=self.table, Key={"sub": {"S": sub}}, ConsistentRead=True)
            .get("Item")
        )
        return item

    def sub(self, username: str) -> str:
        attributes = self.world.idp.admin_get_user(UserPoolId=self.pool.pool_id, Username=username)
        return next(a["Value"] for a in attributes["UserAttributes"] if a["Name"] == "sub")


@pytest.fixture(scope="module")
def feed(emulator: EmulatorHandle, world: World) -> Iterator[Feed]:
    options: dict[str, Any] = {
        "endpoint_url": emulator.url,
        "region_name": REGION,
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
        "config": Config(retries={"max_attempts": 1}),
    }
    clients = {
        s: boto3.client(s, **options)
        for s in ("s3", "cloudtrail", "dynamodb", "lambda", "events", "iam", "sqs")
    }
    suffix = uuid.uuid4().hex[:8]
    clients["s3"].create_bucket(Bucket=f"trail-{suffix}")
    clients["cloudtrail"].create_trail(
        Name=f"trail-{suffix}", S3BucketName=f"trail-{suffix}", IsMultiRegionTrail=True
    )
    clients["cloudtrail"].start_logging(Name=f"trail-{suffix}")
    table = f"revocations-{suffix}"
    clients["dynamodb"].create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "sub", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "sub", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    queue_url = clients["sqs"].create_queue(QueueName=f"feed-dlq-{suffix}")["QueueUrl"]
    queue_arn = clients["sqs"].get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    role = clients["iam"].create_role(
        RoleName=f"feed-{suffix}",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    pool = world.user_pool()
    function = f"feed-{suffix}"
    function_arn = clients["lambda"].create_function(
        FunctionName=function,
        Runtime="python3.12",
        Role=role,
        Handler="feed.handler",
        Code={"ZipFile": _zip()},
        Architectures=[LOCAL_ARCH],
        Timeout=15,
        DeadLetterConfig={"TargetArn": queue_arn},
        Environment={
            "Variables": {
                "TABLE_NAME": table,
                "USER_POOL_ID": pool.pool_id,
                "TOKEN_LIFETIME_SECONDS": "3630",
                "REST_API_ID": "noapi00000",
                "STAGE_NAME": "local",
                "RESULT_TTL_SECONDS": "30",
                "REVOCATION_CHECK_SECONDS": "0",
            }
        },
    )["FunctionArn"]
    rule = f"admin-actions-{suffix}"
    rule_arn = clients["events"].put_rule(
        Name=rule,
        EventPattern=json.dumps(
            {
                "source": ["aws.cognito-idp"],
                "detail-type": ["AWS API Call via CloudTrail"],
                "detail": {
                    "eventSource": ["cognito-idp.amazonaws.com"],
                    "eventName": EVENTS,
                    "requestParameters": {"userPoolId": [pool.pool_id]},
                    "errorCode": [{"exists": False}],
                },
            }
        ),
    )["RuleArn"]
    clients["events"].put_targets(Rule=rule, Targets=[{"Id": "feed", "Arn": function_arn}])
    clients["lambda"].add_permission(
        FunctionName=function,
        StatementId="events",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=rule_arn,
    )
    yield Feed(world, pool, clients, table, function, rule, queue_url)
    clients["events"].disable_rule(Name=rule)


def _outcomes_since(count: int) -> list[str]:
    assert delivery.drain(120), "EventBridge deliveries did not finish"
    return [o.status for o in delivery.outcomes()[count:]]


@pytest.mark.parametrize("action", EVENTS)
def test_each_admin_action_reaches_the_feed_which_revokes_the_users_tokens(feed: Feed, action: str) -> None:
    world, pool = feed.world, feed.pool
    username = world.user(pool)
    call = {"UserPoolId": pool.pool_id, "Username": username}
    if action in ("AdminRemoveUserFromGroup", "AdminAddUserToGroup"):
        call["GroupName"] = f"g-{uuid.uuid4().hex[:6]}"
        world.group(pool, call["GroupName"])
        if action == "AdminRemoveUserFromGroup":
            world.idp.admin_add_user_to_group(**call)
    sub = feed.sub(username)
    _outcomes_since(0)  # the set-up's own events (adding to a group) are delivered first
    before = len(delivery.outcomes())
    method = "".join("_" + c.lower() if c.isupper() else c for c in action).lstrip("_")
    getattr(world.idp, method)(**call)
    assert _outcomes_since(before) == ["invoked"]
    item = feed.record(sub)
    assert item is not None, f"{action} did not revoke"
    assert item["reason"] == {"S": action}


def test_nothing_is_delivered_without_a_logging_trail(feed: Feed, emulator: EmulatorHandle) -> None:
    trails = feed.clients["cloudtrail"].describe_trails()["trailList"]
    for trail in trails:
        feed.clients["cloudtrail"].stop_logging(Name=trail["Name"])
    try:
        username = feed.world.user(feed.pool)
        before = len(delivery.outcomes())
        feed.world.idp.admin_disable_user(UserPoolId=feed.pool.pool_id, Username=username)
        assert _outcomes_since(before) == []
        assert feed.record(feed.sub(username)) is None
    finally:
        for trail in trails:
            feed.clients["cloudtrail"].start_logging(Name=trail["Name"])


def test_a_disabled_rule_delivers_nothing(feed: Feed) -> None:
    feed.clients["events"].disable_rule(Name=feed.rule)
    try:
        username = feed.world.user(feed.pool)
        before = len(delivery.outcomes())
        feed.world.idp.admin_user_global_sign_out(UserPoolId=feed.pool.pool_id, Username=username)
        assert _outcomes_since(before) == []
    finally:
        feed.clients["events"].enable_rule(Name=feed.rule)


def test_another_pools_calls_do_not_match_the_rule(feed: Feed) -> None:
    other = feed.world.user_pool()
    username = feed.world.user(other)
    before = len(delivery.outcomes())
    feed.world.idp.admin_disable_user(UserPoolId=other.pool_id, Username=username)
    assert _outcomes_since(before) == []


def test_without_the_functions_permission_eventbridge_cannot_invoke_it(feed: Feed) -> None:
    feed.clients["lambda"].remove_permission(FunctionName=feed.function, StatementId="events")
    try:
        username = feed.world.user(feed.pool)
        before = len(delivery.outcomes())
        feed.world.idp.admin_disable_user(UserPoolId=feed.pool.pool_id, Username=username)
        assert _outcomes_since(before) == ["not_permitted"]
        assert feed.record(feed.sub(username)) is None
    finally:
        rule_arn = feed.clients["events"].describe_rule(Name=feed.rule)["Arn"]
        feed.clients["lambda"].add_permission(
            FunctionName=feed.function,
            StatementId="events",
            Action="lambda:InvokeFunction",
            Principal="events.amazonaws.com",
            SourceArn=rule_arn,
        )


def test_a_failing_feed_is_retried_then_dead_lettered(feed: Feed) -> None:
    lam = feed.clients["lambda"]
    variables = lam.get_function_configuration(FunctionName=feed.function)["Environment"]["Variables"]
    lam.update_function_configuration(
        FunctionName=feed.function, Environment={"Variables": {**variables, "TABLE_NAME": "no-such-table"}}
    )
    try:
        username = feed.world.user(feed.pool)
        before = len(delivery.outcomes())
        feed.world.idp.admin_disable_user(UserPoolId=feed.pool.pool_id, Username=username)
        (outcome,) = delivery.outcomes()[before:] if delivery.drain(120) else []
        assert (outcome.status, outcome.attempts) == ("dead_lettered", 3)
        messages = feed.clients["sqs"].receive_message(QueueUrl=feed.queue_url, MaxNumberOfMessages=10)[
            "Messages"
        ]
        events = [json.loads(m["Body"]) for m in messages]
        assert [e["detail"]["additionalEventData"]["sub"] for e in events] == [feed.sub(username)]
        assert events[0]["detail"]["requestParameters"]["username"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    finally:
        lam.update_function_configuration(FunctionName=feed.function, Environment={"Variables": variables})

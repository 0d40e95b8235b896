"""The emulator's CloudWatch Logs (local/logs/patches.py): filter patterns mean what they mean on
AWS (tools/log_patterns.py) in FilterLogEvents and PutMetricFilter, and metric filters publish."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local.emulator.server import EmulatorHandle

REGION = "us-east-1"
DECISION = {"message": "authorizer decision", "level": "INFO"}


def _client(url: str, service: str) -> Any:
    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="a",
        aws_secret_access_key="b",
    )


@pytest.fixture
def logs(emulator: EmulatorHandle) -> Any:
    return _client(emulator.url, "logs")


@pytest.fixture
def group(logs: Any) -> str:
    name = f"/aws/lambda/t-{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=name)
    logs.create_log_stream(logGroupName=name, logStreamName="s")
    return name


def _put(logs: Any, group: str, *messages: str) -> None:
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[{"timestamp": now + i, "message": m} for i, m in enumerate(messages)],
    )


def _line(**fields: Any) -> str:
    return json.dumps({**DECISION, **fields})


def test_filter_log_events_applies_a_json_pattern(logs: Any, group: str) -> None:
    lines = [
        _line(decision="deny", reason="policy_table_unavailable"),
        _line(decision="unauthorized", reason="jwks_unavailable"),
        _line(decision="allow", reason="group_policy"),
        "START RequestId: 1 Version: $LATEST",
    ]
    _put(logs, group, *lines)
    found = logs.filter_log_events(
        logGroupName=group, filterPattern='{ $.reason = "policy_table_unavailable" || $.reason = "jwks_*" }'
    )["events"]
    assert [e["message"] for e in found] == lines[:2]
    terms = logs.filter_log_events(logGroupName=group, filterPattern="START")["events"]
    assert [e["message"] for e in terms] == lines[3:]


@pytest.mark.parametrize("pattern", ["{ $.reason = }", "[ip, user]", "%ERR.*%", "ERROR /x"])
def test_filter_log_events_refuses_a_pattern_it_cannot_read(logs: Any, group: str, pattern: str) -> None:
    with pytest.raises(ClientError) as error:
        logs.filter_log_events(logGroupName=group, filterPattern=pattern)
    assert error.value.response["Error"]["Code"] == "InvalidParameterException"


def _filter(logs: Any, group: str, name: str, pattern: str, **transformation: Any) -> None:
    logs.put_metric_filter(
        logGroupName=group,
        filterName=name,
        filterPattern=pattern,
        metricTransformations=[
            {"metricName": "FailClosed", "metricNamespace": "FGA/test", "metricValue": "1", **transformation}
        ],
    )


@pytest.mark.parametrize(
    ("pattern", "transformation", "message"),
    [
        ("{ $.reason = ", {}, "Invalid metric filter pattern"),
        ("[a, b]", {}, "space-delimited"),
        ('{ $.reason = "x" }', {"metricValue": "$.latency"}, "must be a field the JSON filter pattern reads"),
        ("x", {"metricValue": "$.latency"}, "must be a field the JSON filter pattern reads"),
        ('{ $.reason = "x" }', {"metricValue": "lots"}, "must be a number or $.field"),
        ('{ $.reason = "x" }', {"metricName": "a:b"}, "without ':'"),
        ('{ $.reason = "x" }', {"metricNamespace": "FGA/*"}, "without ':'"),
        ('{ $.reason = "x" }', {"dimensions": {"Reason": "$.other"}}, "dimension Reason"),
    ],
)
def test_put_metric_filter_refuses_what_aws_refuses(
    logs: Any, group: str, pattern: str, transformation: dict[str, Any], message: str
) -> None:
    with pytest.raises(ClientError) as error:
        _filter(logs, group, "bad", pattern, **transformation)
    assert error.value.response["Error"]["Code"] == "InvalidParameterException"
    assert message in error.value.response["Error"]["Message"]
    assert logs.describe_metric_filters(logGroupName=group)["metricFilters"] == []


def test_put_metric_filter_needs_the_group_and_replaces_a_filter_of_the_same_name(
    logs: Any, group: str
) -> None:
    with pytest.raises(ClientError) as error:
        _filter(logs, f"{group}-missing", "f", "ERROR")
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"
    _filter(logs, group, "f", '{ $.reason = "a" }')
    _filter(logs, group, "f", '{ $.reason = "b" }')
    assert [
        f["filterPattern"] for f in logs.describe_metric_filters(logGroupName=group)["metricFilters"]
    ] == ['{ $.reason = "b" }']


def _sum(emulator: EmulatorHandle, metric: str, namespace: str = "FGA/test") -> tuple[float, float]:
    stats = _client(emulator.url, "cloudwatch").get_metric_statistics(
        Namespace=namespace,
        MetricName=metric,
        StartTime=datetime.now(UTC) - timedelta(minutes=10),
        EndTime=datetime.now(UTC) + timedelta(minutes=10),
        Period=3600,
        Statistics=["Sum", "SampleCount"],
    )["Datapoints"]
    return (sum(p["Sum"] for p in stats), sum(p["SampleCount"] for p in stats))


def test_metric_filters_publish_what_they_match(emulator: EmulatorHandle, logs: Any, group: str) -> None:
    metric = f"FailClosed{uuid.uuid4().hex[:6]}"
    _filter(logs, group, "fail-closed", '{ $.reason = "policy_table_unavailable" }', metricName=metric)
    rate = f"Denied{uuid.uuid4().hex[:6]}"
    _filter(logs, group, "denied", '{ $.decision = "deny" }', metricName=rate, defaultValue=0)
    latency = f"Latency{uuid.uuid4().hex[:6]}"
    _filter(logs, group, "latency", "{ $.duration_ms = * }", metricName=latency, metricValue="$.duration_ms")
    _put(
        logs,
        group,
        _line(decision="deny", reason="policy_table_unavailable", duration_ms=4.5),
        _line(decision="deny", reason="policy_table_unavailable", duration_ms=1.5),
        _line(decision="allow", reason="group_policy"),
        "END RequestId: 1",
    )
    assert _sum(emulator, metric) == (2.0, 2.0)
    assert _sum(emulator, rate) == (2.0, 4.0), "the default value counts every other event of the minute"
    assert _sum(emulator, latency) == (6.0, 2.0), "a $.field value publishes the field"

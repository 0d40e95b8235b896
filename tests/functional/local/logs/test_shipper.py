"""The log shipper (local/logs/shipper.py): lines queued cheaply, delivered in batches into the
logs backend of this process, where the group's metric filters count them."""

from __future__ import annotations

import time
import uuid
from typing import Any

import boto3
import pytest

from local.emulator.server import EmulatorHandle
from local.logs.shipper import LogShipper

ACCOUNT, REGION = "123456789012", "us-east-1"


@pytest.fixture
def logs(emulator: EmulatorHandle) -> Any:
    return boto3.client(
        "logs",
        endpoint_url=emulator.url,
        region_name=REGION,
        aws_access_key_id="a",
        aws_secret_access_key="b",
    )


def test_lines_arrive_in_their_stream_in_time_order_and_callables_are_rendered_at_delivery(logs: Any) -> None:
    group = f"/aws/lambda/ship-{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=group)
    shipper = LogShipper(ACCOUNT, REGION, flush_seconds=3600)  # only explicit flushes
    rendered: list[str] = []

    def late() -> str:
        rendered.append("now")
        return '{"message": "rendered late"}'

    now = int(time.time() * 1000)
    shipper.add(group, "s1", "second", timestamp_ms=now - 1_000)
    shipper.add(group, "s1", "first", timestamp_ms=now - 2_000)
    shipper.add(group, "s2", late)
    assert rendered == [], "a callable message is not built on the caller's path"
    assert shipper.flush() == 3
    assert rendered == ["now"]
    first = logs.get_log_events(logGroupName=group, logStreamName="s1", startFromHead=True)["events"]
    assert [e["message"] for e in first] == ["first", "second"]
    second = logs.get_log_events(logGroupName=group, logStreamName="s2", startFromHead=True)["events"]
    assert [e["message"] for e in second] == ['{"message": "rendered late"}']
    shipper.close()


def test_a_missing_group_drops_its_lines_and_counts_them() -> None:
    shipper = LogShipper(ACCOUNT, REGION, flush_seconds=3600)
    shipper.add(f"/aws/lambda/none-{uuid.uuid4().hex[:8]}", "s", "lost")
    assert shipper.flush() == 0
    assert (shipper.delivered, shipper.dropped) == (0, 1)
    shipper.close()


def test_shipped_lines_go_through_the_groups_metric_filters(emulator: EmulatorHandle, logs: Any) -> None:
    group = f"/aws/lambda/ship-{uuid.uuid4().hex[:8]}"
    metric = f"Shipped{uuid.uuid4().hex[:6]}"
    logs.create_log_group(logGroupName=group)
    logs.put_metric_filter(
        logGroupName=group,
        filterName="jwks",
        filterPattern='{ $.reason = "jwks_unavailable" }',
        metricTransformations=[{"metricName": metric, "metricNamespace": "FGA/ship", "metricValue": "1"}],
    )
    shipper = LogShipper(ACCOUNT, REGION, flush_seconds=3600)
    for reason in ("jwks_unavailable", "group_policy", "jwks_unavailable"):
        shipper.add(group, "s", f'{{"message": "authorizer decision", "reason": "{reason}"}}')
    shipper.flush()
    listed = boto3.client(
        "cloudwatch",
        endpoint_url=emulator.url,
        region_name=REGION,
        aws_access_key_id="a",
        aws_secret_access_key="b",
    ).list_metrics(Namespace="FGA/ship", MetricName=metric)["Metrics"]
    assert [m["MetricName"] for m in listed] == [metric]
    shipper.close()

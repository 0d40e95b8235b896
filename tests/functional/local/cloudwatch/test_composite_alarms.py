"""The emulator's CloudWatch (local/cloudwatch/): composite alarms, AlarmTypes, and alarm actions
that notify SNS subscribers when SetAlarmState changes a state, as CloudWatch does."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local.emulator.server import EmulatorHandle

REGION = "us-east-1"


def _client(url: str, service: str) -> Any:
    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="a",
        aws_secret_access_key="b",
    )


@pytest.fixture
def cw(emulator: EmulatorHandle) -> Any:
    return _client(emulator.url, "cloudwatch")


@pytest.fixture
def topic_and_queue(emulator: EmulatorHandle) -> tuple[str, str]:
    """An SNS topic with an SQS queue subscribed (a subscriber SNS confirms by itself, as AWS does
    for a queue of the same account)."""
    sns, sqs = _client(emulator.url, "sns"), _client(emulator.url, "sqs")
    name = f"t-{uuid.uuid4().hex[:8]}"
    topic = sns.create_topic(Name=name)["TopicArn"]
    queue = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    return topic, queue


def _metric_alarm(cw: Any, name: str, topic: str | None = None) -> None:
    cw.put_metric_alarm(
        AlarmName=name,
        AlarmDescription=f"{name}: test",
        Namespace="FGA/test",
        MetricName="FailClosed",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=0,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
        AlarmActions=[topic] if topic else [],
        OKActions=[topic] if topic else [],
    )


def _names(prefix: str) -> tuple[str, str, str]:
    return f"{prefix}-a", f"{prefix}-b", f"{prefix}-page"


def _received(emulator: EmulatorHandle, queue: str) -> list[dict[str, Any]]:
    sqs = _client(emulator.url, "sqs")
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def test_a_composite_alarm_is_created_read_and_described_only_when_asked_for(cw: Any) -> None:
    a, b, page = _names(f"c{uuid.uuid4().hex[:6]}")
    _metric_alarm(cw, a)
    _metric_alarm(cw, b)
    cw.put_composite_alarm(
        AlarmName=page,
        AlarmRule=f'ALARM("{a}") OR ALARM({b})',
        AlarmDescription="page",
        ActionsEnabled=True,
        AlarmActions=["arn:aws:sns:us-east-1:123456789012:nowhere"],
    )
    composite = cw.describe_alarms(AlarmNames=[page], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]
    assert [(c["AlarmName"], c["AlarmRule"], c["StateValue"]) for c in composite] == [
        (page, f'ALARM("{a}") OR ALARM({b})', "OK")
    ]
    # Without AlarmTypes, DescribeAlarms lists metric alarms only (CloudWatch's documented default).
    default = cw.describe_alarms(AlarmNamePrefix=page[:7])
    assert {m["AlarmName"] for m in default["MetricAlarms"]} == {a, b}
    assert default["CompositeAlarms"] == []
    children = cw.describe_alarms(ChildrenOfAlarmName=page, AlarmTypes=["MetricAlarm"])["MetricAlarms"]
    assert {m["AlarmName"] for m in children} == {a, b}
    parents = cw.describe_alarms(ParentsOfAlarmName=a, AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]
    assert [p["AlarmName"] for p in parents] == [page]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("ALARM(x", "Error in AlarmRule"),
        ("ALARM(x) OR", "Error in AlarmRule"),
        ("ALARM(x) XOR ALARM(y)", "Unsupported token 'XOR'"),
        ("alarm(x)", "Unsupported token 'alarm'"),
        ("AT_LEAST(2, ALARM, (x, y))", "Unsupported token 'AT_LEAST'"),
        ("()", "Unsupported token ')'"),
        ("ALARM(missing-child)", "in the alarm rule do not exist"),
    ],
)
def test_a_bad_rule_is_refused_and_nothing_is_created(cw: Any, rule: str, message: str) -> None:
    name = f"bad-{uuid.uuid4().hex[:8]}"
    with pytest.raises(ClientError) as error:
        cw.put_composite_alarm(AlarmName=name, AlarmRule=rule)
    assert error.value.response["Error"]["Code"] == "ValidationError"
    assert message in error.value.response["Error"]["Message"]
    assert cw.describe_alarms(AlarmNames=[name], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"] == []


def test_too_many_actions_and_actions_suppression_are_refused(cw: Any) -> None:
    child = f"child-{uuid.uuid4().hex[:8]}"
    _metric_alarm(cw, child)
    topics = [f"arn:aws:sns:us-east-1:123456789012:t{i}" for i in range(6)]
    with pytest.raises(ClientError, match="greater than 5"):
        cw.put_composite_alarm(AlarmName="x-too-many", AlarmRule=f"ALARM({child})", AlarmActions=topics)
    with pytest.raises(ClientError, match="actions suppression"):
        cw.put_composite_alarm(AlarmName="x-suppressed", AlarmRule=f"ALARM({child})", ActionsSuppressor=child)


def test_set_alarm_state_notifies_the_topic_and_the_composite_follows(
    emulator: EmulatorHandle, cw: Any, topic_and_queue: tuple[str, str]
) -> None:
    topic, queue = topic_and_queue
    a, b, page = _names(f"n{uuid.uuid4().hex[:6]}")
    _metric_alarm(cw, a, topic)
    _metric_alarm(cw, b)  # no actions: its changes notify nobody
    cw.put_composite_alarm(
        AlarmName=page, AlarmRule=f"ALARM({a}) OR ALARM({b})", AlarmActions=[topic], OKActions=[topic]
    )
    assert _received(emulator, queue) == []

    cw.set_alarm_state(AlarmName=b, StateValue="ALARM", StateReason="drill")
    notes = [json.loads(n["Message"]) for n in _received(emulator, queue)]
    assert [(n["AlarmName"], n["OldStateValue"], n["NewStateValue"]) for n in notes] == [
        (page, "OK", "ALARM")
    ]
    assert notes[0]["AlarmRule"] == f"ALARM({a}) OR ALARM({b})"
    state = cw.describe_alarms(AlarmNames=[page], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"][0]
    assert state["StateValue"] == "ALARM"

    cw.set_alarm_state(AlarmName=a, StateValue="ALARM", StateReason="drill 2")
    raw = _received(emulator, queue)
    assert [(json.loads(n["Message"])["AlarmName"], n["Subject"]) for n in raw] == [
        (a, f'ALARM: "{a}" in US East (N. Virginia)')
    ], "the child notifies; the composite is already in ALARM"
    trigger = json.loads(raw[0]["Message"])["Trigger"]
    assert (trigger["MetricName"], trigger["Namespace"], trigger["Threshold"]) == (
        "FailClosed",
        "FGA/test",
        0.0,
    )

    cw.set_alarm_state(AlarmName=b, StateValue="OK", StateReason="recovered")
    cw.set_alarm_state(AlarmName=a, StateValue="OK", StateReason="recovered")
    notes = [json.loads(n["Message"]) for n in _received(emulator, queue)]
    assert sorted((n["AlarmName"], n["NewStateValue"]) for n in notes) == sorted([(page, "OK"), (a, "OK")])


def test_the_same_state_again_notifies_nobody(
    emulator: EmulatorHandle, cw: Any, topic_and_queue: tuple[str, str]
) -> None:
    topic, queue = topic_and_queue
    name = f"same-{uuid.uuid4().hex[:8]}"
    _metric_alarm(cw, name, topic)
    cw.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="still fine")
    assert _received(emulator, queue) == []


def test_disabled_actions_keep_the_state_but_notify_nobody(
    emulator: EmulatorHandle, cw: Any, topic_and_queue: tuple[str, str]
) -> None:
    topic, queue = topic_and_queue
    name = f"quiet-{uuid.uuid4().hex[:8]}"
    _metric_alarm(cw, name, topic)
    cw.disable_alarm_actions(AlarmNames=[name])
    cw.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="silenced")
    assert cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"] == "ALARM"
    assert _received(emulator, queue) == []


def test_an_alarm_a_composite_names_cannot_be_deleted_alone(cw: Any) -> None:
    a, _, page = _names(f"d{uuid.uuid4().hex[:6]}")
    _metric_alarm(cw, a)
    cw.put_composite_alarm(AlarmName=page, AlarmRule=f"ALARM({a})")
    with pytest.raises(ClientError, match="names them in its alarm rule"):
        cw.delete_alarms(AlarmNames=[a])
    assert cw.describe_alarms(AlarmNames=[a])["MetricAlarms"], "nothing is deleted"
    cw.delete_alarms(AlarmNames=[page])
    cw.delete_alarms(AlarmNames=[a])
    left = cw.describe_alarms(AlarmNames=[a, page], AlarmTypes=["MetricAlarm", "CompositeAlarm"])
    assert (left["MetricAlarms"], left["CompositeAlarms"]) == ([], [])


def test_an_update_overwrites_the_configuration_and_keeps_the_state(cw: Any) -> None:
    a, b, page = _names(f"u{uuid.uuid4().hex[:6]}")
    _metric_alarm(cw, a)
    _metric_alarm(cw, b)
    cw.put_composite_alarm(AlarmName=page, AlarmRule=f"ALARM({a})", AlarmDescription="first")
    cw.set_alarm_state(AlarmName=a, StateValue="ALARM", StateReason="x")
    cw.put_composite_alarm(AlarmName=page, AlarmRule=f"ALARM({b})")
    composite = cw.describe_alarms(AlarmNames=[page], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"][0]
    assert (composite["AlarmRule"], composite.get("AlarmDescription", ""), composite["StateValue"]) == (
        f"ALARM({b})",
        "",
        "ALARM",
    )

"""The monitoring on the running local stack: the alarm -> topic drill, and the metric filters
counting the real lines the functions and the gateway ship to their log groups.

- The drill puts a fail-closed alarm into ALARM with SetAlarmState and reads, from an SQS queue
  subscribed to the alarm topic, the notifications of the alarm and of the composite page that
  follows it (the emulator carries out alarm actions as CloudWatch does, local/cloudwatch/).
- An authorizer that cannot run (its invocations time out) is a fault scenario of the reliability
  suite: the gateway answers 500, the stage's access log (its configured format, in its group)
  carries the authorizerError, the deployed `authorizer_errors` filter counts it.
- Refusals per auth mode and forged tokens, sent through the gateway, reach the metrics the
  deployed filters publish (FGA/<prefix>): the filters Terraform applied, over the shipped lines.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from local.awslambda.types import InvokeResult
from local.logs.shipper import flush_all
from tests.e2e.support import Sessions, user_pool_user
from tests.reliability import figures, signals

pytestmark = pytest.mark.local_only
SHIPPED_WITHIN_SECONDS = 10.0  # a function's output reaches its group through the worker's relay thread


def _monitoring(running: Any) -> dict[str, Any]:
    found: dict[str, Any] = running.outputs["monitoring"]
    return found


def _until(condition: Callable[[], Any], what: str) -> Any:
    """Flush the log shippers until `condition()` holds (bounded: a relay thread copies function
    output after the invocation has returned)."""
    deadline = time.monotonic() + SHIPPED_WITHIN_SECONDS
    while True:
        flush_all()
        found = condition()
        if found or time.monotonic() > deadline:
            assert found, f"not within {SHIPPED_WITHIN_SECONDS} s: {what}"
            return found
        time.sleep(0.1)


def _metric_sum(running: Any, namespace: str, metric: str, since: datetime) -> float:
    points = running.aws("cloudwatch").get_metric_statistics(
        Namespace=namespace,
        MetricName=metric,
        StartTime=since - timedelta(minutes=1),
        EndTime=datetime.now(UTC) + timedelta(minutes=2),
        Period=3600,
        Statistics=["Sum"],
    )["Datapoints"]
    return float(sum(p["Sum"] for p in points))


def _access_lines(running: Any, request_ids: list[str]) -> list[dict[str, Any]]:
    group = _monitoring(running)["metric_filters"]["authorizer_errors"]["log_group"]
    events = running.aws("logs").filter_log_events(logGroupName=group)["events"]
    lines = [json.loads(e["message"]) for e in events]
    return [line for line in lines if line.get("requestId") in request_ids]


def _deployed_matches(running: Any, key: str, request_ids: list[str]) -> set[str]:
    """Request ids of the lines the deployed metric filter `key` matches (its own pattern, run by
    the emulator's FilterLogEvents over the group it is on)."""
    deployed = _monitoring(running)["metric_filters"][key]
    events = running.aws("logs").filter_log_events(
        logGroupName=deployed["log_group"], filterPattern=deployed["pattern"]
    )["events"]
    return {json.loads(e["message"]).get("requestId") for e in events} & set(request_ids)


# --- the drill ----------------------------------------------------------------------------------


def test_an_alarm_reaches_a_subscriber_through_the_topic_and_the_page_follows(running: Any) -> None:
    monitoring = _monitoring(running)
    sqs, sns, cloudwatch = running.aws("sqs"), running.aws("sns"), running.aws("cloudwatch")
    queue = sqs.create_queue(QueueName=f"drill-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    subscription = sns.subscribe(TopicArn=monitoring["topic_arn"], Protocol="sqs", Endpoint=queue_arn)[
        "SubscriptionArn"
    ]
    child = monitoring["alarm_names"]["fail_closed_policy_table"]
    page = monitoring["composite_alarm_name"]
    try:
        cloudwatch.set_alarm_state(AlarmName=child, StateValue="ALARM", StateReason="drill: alarm -> topic")
        received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
        notes = {
            json.loads(m["Body"])["Subject"]: json.loads(json.loads(m["Body"])["Message"]) for m in received
        }
        assert {(n["AlarmName"], n["OldStateValue"], n["NewStateValue"]) for n in notes.values()} == {
            (child, "OK", "ALARM"),
            (page, "OK", "ALARM"),
        }
        by_name = {n["AlarmName"]: n for n in notes.values()}
        assert f'ALARM("{child}")' in by_name[page]["AlarmRule"]
        assert by_name[page]["AlarmDescription"].endswith("#access_boundary_failing_closed")
        assert by_name[child]["AlarmDescription"].endswith("#fail_closed_policy_table")
        assert by_name[child]["Trigger"]["MetricName"] == "FailClosedPolicyTable"
        assert f'ALARM: "{page}" in US East (N. Virginia)' in notes
    finally:
        cloudwatch.set_alarm_state(AlarmName=child, StateValue="OK", StateReason="drill over")
        sns.unsubscribe(SubscriptionArn=subscription)
        sqs.delete_queue(QueueUrl=queue)
    states = cloudwatch.describe_alarms(
        AlarmNames=[child, page], AlarmTypes=["MetricAlarm", "CompositeAlarm"]
    )
    assert [a["StateValue"] for a in states["MetricAlarms"] + states["CompositeAlarms"]] == ["OK", "OK"]


# --- an authorizer that cannot run --------------------------------------------------------------


@pytest.mark.reliability
def test_an_authorizer_that_cannot_run_is_a_500_the_access_log_and_its_alarm_see(
    running: Any, stack: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    authorizer = stack["functions"]["authorizer"]
    runtime = running.gateway.runtime
    real_invoke = runtime.invoke

    def timing_out(function: str, event: dict[str, Any]) -> InvokeResult:
        if function.rsplit(":", maxsplit=1)[-1] == authorizer:
            return InvokeResult(None, "Sandbox.Timedout", "Task timed out after 5.00 seconds", 5000.0)
        return real_invoke(function, event)

    since = datetime.now(UTC)
    url = f"{stack['api_url']}/petstore/v2/status"
    refused = requests.get(url, headers={"Authorization": f"Bearer unknown-{uuid.uuid4().hex}"}, timeout=30)
    monkeypatch.setattr(runtime, "invoke", timing_out)
    failed = [
        requests.get(url, headers={"Authorization": f"Bearer timeout-{uuid.uuid4().hex}"}, timeout=30)
        for _ in range(3)
    ]
    monkeypatch.undo()
    assert refused.status_code == 401  # the working authorizer refuses a bad token (no authorizer error)
    assert [r.status_code for r in failed] == [500] * 3
    assert {r.headers["x-amzn-ErrorType"] for r in failed} == {"AuthorizerConfigurationException"}
    ids = [r.headers["x-amzn-RequestId"] for r in [refused, *failed]]

    lines = _until(
        lambda: len(_access_lines(running, ids)) == len(ids) and _access_lines(running, ids), "access log"
    )
    by_id = {line["requestId"]: line for line in lines}
    assert [by_id[i]["status"] for i in ids] == ["401", "500", "500", "500"]
    assert all(by_id[i]["authorizerError"] != "-" for i in ids[1:])
    signals.capture("access", [json.dumps(line) for line in lines])
    assert _deployed_matches(running, "authorizer_errors", ids) == set(ids[1:])
    namespace = _monitoring(running)["namespace"]
    assert _metric_sum(running, namespace, "AuthorizerErrors", since) >= 3
    figures.record(
        "fault",
        "authorizer fails under the gateway",
        requests=len(ids),
        wrong_2xx=0,
        outcome="500 AuthorizerConfigurationException while the authorizer cannot run; 401 before",
        log_error="stage access log: authorizerError on a 5xx line",
        recovery="next request once the function runs again",
    )


# --- refusals and forgeries reach their metrics --------------------------------------------------


def test_refusals_per_auth_mode_are_counted_from_the_shipped_access_log(
    running: Any, stack: dict[str, Any], sessions: Sessions
) -> None:
    since = datetime.now(UTC)
    no_group = sessions.of(user_pool_user(stack))
    allowed = sessions.in_groups("pet-veterinarian")
    calls = {
        "lambda": [no_group.request("GET", "/news"), allowed.request("GET", "/petstore/v2/status")],
        "user_pool": [
            requests.get(f"{stack['api_url']}/cup", headers={"Authorization": "not-a-token"}, timeout=30),
            allowed.request("GET", "/cup"),
        ],
        "iam": [
            requests.get(f"{stack['api_url']}/cip", timeout=30),
            sessions.in_groups("cip-users").request("GET", "/cip"),
        ],
    }
    assert {mode: [r.status_code for r in rs] for mode, rs in calls.items()} == {
        "lambda": [403, 200],
        "user_pool": [401, 200],
        "iam": [403, 200],
    }
    ids = {mode: [r.headers["x-amzn-RequestId"] for r in rs] for mode, rs in calls.items()}
    everything = [i for mode_ids in ids.values() for i in mode_ids]
    _until(lambda: len(_access_lines(running, everything)) == len(everything), "access log")
    for mode, (denied, ok) in ids.items():
        assert _deployed_matches(running, f"denial_rate:{mode}:denied", everything) == {denied}, mode
        assert _deployed_matches(running, f"denial_rate:{mode}:requests", everything) == {denied, ok}, mode
        namespace = _monitoring(running)["namespace"]
        assert _metric_sum(running, namespace, f"DeniedRequests-{mode}", since) >= 1, mode
        assert _metric_sum(running, namespace, f"Requests-{mode}", since) >= 2, mode


def test_forged_tokens_reach_the_forged_tokens_metric(running: Any, stack: dict[str, Any]) -> None:
    since = datetime.now(UTC)
    namespace = _monitoring(running)["namespace"]
    before = _metric_sum(running, namespace, "ForgedTokens", since - timedelta(hours=1))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    forged = [
        jwt.encode(
            {
                "sub": str(uuid.uuid4()),
                "iss": stack["user_pool_issuer"],
                "token_use": "access",
                "exp": now + 600,
            },
            key,
            algorithm="RS256",
            headers={"kid": f"forged-{i}"},
        )
        for i in range(3)
    ]
    statuses = [
        requests.get(
            f"{stack['api_url']}/petstore/v2/status", headers={"Authorization": f"Bearer {t}"}, timeout=30
        ).status_code
        for t in forged
    ]
    assert statuses == [401] * 3
    after = _until(
        lambda: _metric_sum(running, namespace, "ForgedTokens", since - timedelta(hours=1)) >= before + 3,
        "ForgedTokens counted from the authorizer's shipped decision log",
    )
    assert after

"""Faults at the backend's edge: the records table, through a `DynamoFaults` proxy in front of moto.

The handlers run as in Lambda: `handler(event, context)`, TABLE_NAME and AWS_ENDPOINT_URL from the
environment, one boto3 client per container (`store.reset()` is a cold start). For each fault:
the answer is a 500 `{"message": "Internal server error"}` (never a 2xx claiming a write that did
not happen), the table is unchanged, the SDK's attempts are bounded (counted at the proxy), the
log line names the error, and the same container recovers when the fault clears.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import profiles
import pytest
from backend_core import store

from tests.reliability import figures
from tests.reliability.calls import iam_event, json_lines, response_json, user_pool_event
from tests.reliability.fixtures import Dynamo

pytestmark = pytest.mark.reliability

IDENTITY = "us-east-1:5e1f0c9a-7d2b-4c3e-8f4a-0b1c2d3e4f5a"
PROFILE = {"name": "Ada", "surname": "Lovelace", "email": "ada@example.com"}
TABLE_FAULTS = (
    "throttled",
    "throttling",
    "internal_error",
    "unavailable",
    "table_missing",
    "timeout",
    "reset",
)
# The error the request log names for each fault (botocore's exception class).
LOGGED_ERROR = {
    "throttled": "ProvisionedThroughputExceededException",
    "throttling": "ClientError",
    "internal_error": "InternalServerError",
    "unavailable": "ClientError",
    "table_missing": "ResourceNotFoundException",
    "timeout": "ReadTimeoutError",
    "reset": "ConnectionClosedError",
}


@pytest.fixture
def container(monkeypatch: pytest.MonkeyPatch, dynamo: Dynamo) -> Iterator[Dynamo]:
    """A cold backend container wired to the proxy through its environment only."""
    monkeypatch.setenv("TABLE_NAME", dynamo.records_table)
    monkeypatch.setenv("AWS_ENDPOINT_URL", dynamo.proxy.url)
    store.reset()
    yield dynamo
    store.reset()


def _post(body: dict[str, Any]) -> dict[str, Any]:
    return profiles.handler(iam_event(IDENTITY, "POST", body=json.dumps(body)), None)


def _get() -> dict[str, Any]:
    return profiles.handler(iam_event(IDENTITY, "GET"), None)


@pytest.mark.parametrize("fault", TABLE_FAULTS)
def test_table_fault_is_a_500_with_bounded_retries_nothing_written_then_recovery(
    fault: str, capsys: pytest.CaptureFixture[str], container: Dynamo
) -> None:
    proxy = container.proxy
    assert _get()["statusCode"] == 200  # the container is warm: its client exists
    proxy.take_counts()
    before = container.records()
    proxy.inject(fault, table=container.records_table)
    capsys.readouterr()
    response = _post(PROFILE)
    logged = json_lines(capsys.readouterr().out, "request")
    attempts, faulted = proxy.take_counts()
    assert response["statusCode"] == 500
    assert response_json(response) == {"message": "Internal server error"}
    assert container.records() == before
    assert [(line["level"], line["status"], line["error"]) for line in logged] == [
        ("ERROR", 500, LOGGED_ERROR[fault])
    ]
    assert attempts == faulted == {"UpdateItem": attempts["UpdateItem"]}
    assert 1 <= attempts["UpdateItem"] <= store.MAX_ATTEMPTS

    proxy.clear()
    written = _post(PROFILE)
    assert written["statusCode"] == 200
    assert response_json(written)["profile"]["version"] == 1
    assert response_json(_get())["profile"]["name"] == "Ada"
    figures.record(
        "fault",
        f"records table {fault.replace('_', ' ')}",
        requests=4,
        wrong_2xx=0,
        attempts_during_fault=attempts["UpdateItem"],
        outcome="500 Internal server error, nothing written",
        log_error=LOGGED_ERROR[fault],
        recovery="next request, same container",
    )


def test_a_transient_fault_is_absorbed_and_the_write_lands_once(container: Dynamo) -> None:
    container.proxy.inject("internal_error", table=container.records_table, times=1)
    response = _post(PROFILE)
    attempts, faulted = container.proxy.take_counts()
    assert response["statusCode"] == 200
    assert (attempts["UpdateItem"], faulted["UpdateItem"]) == (2, 1)
    (item,) = container.records()
    assert item["version"] == {"N": "1"}
    figures.record(
        "fault",
        "records table 500 once",
        requests=1,
        wrong_2xx=0,
        attempts_during_fault=2,
        outcome="200 after one SDK retry, written once",
    )


def test_user_pool_mode_read_fault_is_a_500_and_recovers(container: Dynamo) -> None:
    sub = "2f8e0d1c-3b4a-4c5d-9e6f-7a8b9c0d1e2f"
    container.proxy.inject("unavailable", table=container.records_table)
    assert profiles.handler(user_pool_event(sub, "GET"), None)["statusCode"] == 500
    container.proxy.clear()
    answer = profiles.handler(user_pool_event(sub, "GET"), None)
    assert (answer["statusCode"], response_json(answer)) == (200, {"profile": None})

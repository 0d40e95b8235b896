"""The emulator's change feed (`local/emulator/changes.py`): what moves the count, what does not,
and how the client (`local/core/changes.py`) tells the feed from a server without one."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from moto.awslambda.models import lambda_backends
from moto.server import ThreadedMotoServer

from local.core.changes import ChangeFeed, EmulatorUnreachable, Generation
from local.emulator.server import EmulatorHandle

REGION = "us-east-1"


def _client(emulator: EmulatorHandle, service: str) -> Any:
    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=emulator.url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def count(emulator: EmulatorHandle) -> Callable[[], int]:
    feed = ChangeFeed(emulator.url)

    def current() -> int:
        generation = feed.observe()
        assert generation is not None
        return generation.number

    return current


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_writes_to_api_gateway_lambda_and_iam_count_and_reads_do_not(
    emulator: EmulatorHandle, count: Callable[[], int]
) -> None:
    apigw, iam = _client(emulator, "apigateway"), _client(emulator, "iam")
    before = count()
    api_id = apigw.create_rest_api(name=_unique("feed"))["id"]
    assert count() == before + 1
    apigw.get_rest_api(restApiId=api_id)
    apigw.get_stages(restApiId=api_id)
    apigw.get_resources(restApiId=api_id)
    assert count() == before + 1
    role = _unique("feed-role")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument="{}")
    assert count() == before + 2
    # IAM reads are POSTs: their Action tells them apart.
    iam.get_role(RoleName=role)
    iam.list_role_policies(RoleName=role)
    iam.list_attached_role_policies(RoleName=role)
    assert count() == before + 2
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": "*"}],
    }
    iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=json.dumps(document))
    iam.delete_role_policy(RoleName=role, PolicyName="p")
    assert count() == before + 4


def test_a_refused_change_counts_too(emulator: EmulatorHandle, count: Callable[[], int]) -> None:
    """Cheaper to read again once than to reason about which failures changed nothing."""
    lam = _client(emulator, "lambda")
    before = count()
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.remove_permission(FunctionName=_unique("missing"), StatementId="x")
    assert count() == before + 1
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function_configuration(FunctionName=_unique("missing"))
    assert count() == before + 1  # a failed read is still a read


def test_other_services_do_not_count(emulator: EmulatorHandle, count: Callable[[], int]) -> None:
    dynamodb, idp = _client(emulator, "dynamodb"), _client(emulator, "cognito-idp")
    before = count()
    table = _unique("feed-table")
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "x"}})
    idp.create_user_pool(PoolName=_unique("feed-pool"))
    _client(emulator, "sts").get_caller_identity()
    assert count() == before


def test_a_reset_of_moto_state_counts(emulator: EmulatorHandle, count: Callable[[], int]) -> None:
    """mock_aws() and /moto-api/reset wipe the backends: whatever was read before is gone."""
    before = count()
    lambda_backends["123456789012"]["eu-west-3"].reset()  # an empty region: harmless to others
    assert count() == before + 1


def test_the_count_is_served_by_the_emulator_and_names_its_state(emulator: EmulatorHandle) -> None:
    first = ChangeFeed(emulator.url).observe()
    second = ChangeFeed(emulator.url + "/").observe()
    assert isinstance(first, Generation)
    assert second is not None
    assert second.instance == first.instance
    assert second.number >= first.number


def test_a_paused_emulator_is_unreachable_and_counts_on_after_resuming(emulator: EmulatorHandle) -> None:
    feed = ChangeFeed(emulator.url)
    before = feed.observe()
    emulator.pause()
    try:
        with pytest.raises(EmulatorUnreachable, match="did not answer"):
            feed.observe()
    finally:
        emulator.resume()
    after = feed.observe()
    assert after is not None
    assert before is not None
    assert after.instance == before.instance
    assert not before.supersedes(after)


# --- servers without the feed ----------------------------------------------------------------


def test_a_plain_moto_server_has_no_feed_and_is_not_asked_again() -> None:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    feed = ChangeFeed(f"http://{host}:{port}")
    try:
        assert feed.observe() is None
    finally:
        server.stop()
    assert feed.observe() is None  # remembered: not asked (it would be refused now)


class _Answers:
    """A loopback HTTP server answering the feed's path with a scripted sequence of answers."""

    def __init__(self, answers: list[tuple[int, bytes]]) -> None:
        self.answers = answers
        self.requests = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests += 1
                status, body = owner.answers.pop(0)
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def answers() -> Iterator[Callable[[list[tuple[int, bytes]]], _Answers]]:
    made: list[_Answers] = []

    def make(script: list[tuple[int, bytes]]) -> _Answers:
        made.append(_Answers(script))
        return made[-1]

    yield make
    for server in made:
        server.close()


def test_an_odd_answer_serves_that_request_uncached_and_the_feed_is_asked_again(
    answers: Callable[[list[tuple[int, bytes]]], _Answers],
) -> None:
    server = answers([(500, b"oops"), (200, b'{"instance": "i", "generation": 7}')])
    feed = ChangeFeed(server.url)
    assert feed.observe() is None
    assert feed.observe() == Generation("i", 7)
    assert server.requests == 2


def test_a_refused_connection_is_unreachable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once the socket is closed
    with pytest.raises(EmulatorUnreachable, match="Connection refused"):
        ChangeFeed(f"http://127.0.0.1:{port}").observe()


def test_a_connection_closed_without_an_answer_is_retried_once_then_unreachable() -> None:
    """A restarting emulator's port may accept and drop: one retry (as the botocore reads had),
    then the request fails closed."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[int] = []

    def drop() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            accepted.append(1)
            with connection:
                # Read the request first: closing with unread data would send a reset instead of
                # an orderly close, and the client would see "reset" rather than no answer.
                connection.recv(65536)

    worker = threading.Thread(target=drop, daemon=True)
    worker.start()
    try:
        with pytest.raises(EmulatorUnreachable, match="without an answer"):
            ChangeFeed(f"http://127.0.0.1:{listener.getsockname()[1]}").observe()
    finally:
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() (close alone does not)
        listener.close()
        worker.join(timeout=5)
    assert len(accepted) == 2

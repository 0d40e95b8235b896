"""ProbeSandbox (local/probe_data.py) against an in-process records table: collection deletes hit a
disposable item, other writes are undone, and a restore that does not hold is an error.

The "session" here is a stand-in for the HTTP client that writes to the table the way the handlers
would; the end-to-end test (tests/e2e/test_demo_data.py) runs the real matrix against the stack.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from moto import mock_aws

from local.demo_data import news_item
from local.probe_data import DISPOSABLE_TITLE, ProbeDataError, ProbeSandbox
from tools.config import Route
from tools.matrix import Probe

TABLE = "records"
NEWS_DELETE = Route("news-delete", "/news", "DELETE", "lambda", "news")
PROFILE_POST = Route("cup-post", "/cup", "POST", "user_pool", "profiles")
PETS_GET = Route("pets-v1", "/petstore/v1/pets", "ANY", "lambda", "pets")


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        dynamodb.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield dynamodb


STACK = {"region": "us-east-1", "tables": {"records": TABLE}}


@dataclass
class Response:
    status_code: int


@dataclass
class FakeSession:
    """Writes like the backend would: DELETE /news?id= deletes one item, DELETE /news all of
    them, POST /cup upserts the caller's profile; `allowed` decides whether the call gets through."""

    dynamodb: Any
    allowed: bool = True
    calls: list[str] = field(default_factory=list)

    def request(self, method: str, path: str, body: Any = None, **_: Any) -> Response:
        self.calls.append(f"{method} {path}")
        if not self.allowed:
            return Response(403)
        url = urlsplit(path)
        if method == "DELETE" and url.path == "/news":
            ids = parse_qs(url.query).get("id")
            keys = (
                [{"pk": {"S": "news"}, "sk": {"S": ids[0]}}]
                if ids
                else [
                    {"pk": i["pk"], "sk": i["sk"]}
                    for i in self.dynamodb.scan(TableName=TABLE)["Items"]
                    if i["pk"]["S"] == "news"
                ]
            )
            for key in keys:
                self.dynamodb.delete_item(TableName=TABLE, Key=key)
            return Response(200)
        if method == "POST" and url.path == "/cup":
            item = {"pk": {"S": "sub#me"}, "sk": {"S": "profile"}, "name": {"S": body["name"]}}
            self.dynamodb.put_item(TableName=TABLE, Item=item)
            return Response(200)
        return Response(200)


def _items(dynamodb: Any) -> list[dict[str, Any]]:
    return sorted(dynamodb.scan(TableName=TABLE)["Items"], key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def test_a_collection_delete_is_aimed_at_a_disposable_item(client: Any) -> None:
    seeded = news_item("Welcome", "seeded")
    client.put_item(TableName=TABLE, Item=seeded)
    sandbox = ProbeSandbox(STACK)
    session = FakeSession(client)
    response = sandbox.call(session, NEWS_DELETE, Probe("DELETE", "/news"))
    assert response.status_code == 200
    (sent,) = session.calls
    assert sent.startswith("DELETE /news?id=")
    assert _items(client) == [seeded]
    sandbox.restore()
    assert _items(client) == [seeded]


def test_a_refused_delete_leaves_its_disposable_item_which_restore_removes(client: Any) -> None:
    sandbox = ProbeSandbox(STACK)
    sandbox.call(FakeSession(client, allowed=False), NEWS_DELETE, Probe("DELETE", "/news"))
    assert [i["title"]["S"] for i in _items(client)] == [DISPOSABLE_TITLE]
    sandbox.restore()
    assert _items(client) == []


def test_other_writes_are_undone_new_items_deleted_changed_ones_put_back(client: Any) -> None:
    mine = {"pk": {"S": "sub#me"}, "sk": {"S": "profile"}, "name": {"S": "Original"}}
    client.put_item(TableName=TABLE, Item=mine)
    sandbox = ProbeSandbox(STACK)
    session = FakeSession(client)
    sandbox.call(session, PROFILE_POST, Probe("POST", "/cup", {"name": "Ada"}))
    sandbox.call(session, PROFILE_POST, Probe("POST", "/cup", {"name": "Grace"}))
    assert _items(client)[0]["name"]["S"] == "Grace"
    sandbox.restore()
    assert _items(client) == [mine]

    client.delete_item(TableName=TABLE, Key={"pk": mine["pk"], "sk": mine["sk"]})
    fresh = ProbeSandbox(STACK)
    fresh.call(session, PROFILE_POST, Probe("POST", "/cup", {"name": "Ada"}))
    fresh.restore()
    assert _items(client) == []


def test_reads_are_sent_as_they_are_without_reading_the_table(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = ProbeSandbox(STACK)
    monkeypatch.setattr(sandbox, "_items", lambda: pytest.fail("a read probe scanned the table"))
    session = FakeSession(client)
    assert sandbox.call(session, PETS_GET, Probe("GET", "/petstore/v1/pets")).status_code == 200
    assert session.calls == ["GET /petstore/v1/pets"]


def test_concurrent_probes_restore_the_value_from_before_the_first_one(client: Any) -> None:
    mine = {"pk": {"S": "sub#me"}, "sk": {"S": "profile"}, "name": {"S": "Original"}}
    client.put_item(TableName=TABLE, Item=mine)
    sandbox = ProbeSandbox(STACK)
    session = FakeSession(client)

    def probe(name: str) -> None:
        sandbox.call(session, PROFILE_POST, Probe("POST", "/cup", {"name": name}))

    threads = [threading.Thread(target=probe, args=(f"n{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sandbox.restore()
    assert _items(client) == [mine]


def test_a_restore_that_does_not_hold_is_an_error(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox = ProbeSandbox(STACK)
    sandbox.call(FakeSession(client), PROFILE_POST, Probe("POST", "/cup", {"name": "Ada"}))
    real_client = sandbox._client

    class NoDeletes:
        def __getattr__(self, name: str) -> Any:
            return getattr(real_client, name)

        def delete_item(self, **_: Any) -> None:
            return None

    monkeypatch.setattr(sandbox, "_client", NoDeletes())
    with pytest.raises(ProbeDataError, match="not all undone"):
        sandbox.restore()


def test_a_missing_table_is_a_clear_error(client: Any) -> None:
    with pytest.raises(ProbeDataError, match="needs the records table nope"):
        ProbeSandbox({**STACK, "tables": {"records": "nope"}})

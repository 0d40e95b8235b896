"""The live matrix's write probes leave the data as they found it.

The matrix sends real requests, writes included: "allow" means the handler answered 2xx, so a write
must really be performed by whoever may perform it. What `make up` seeded (and what anybody stored
since) must survive that:

- A DELETE of a collection is aimed at a disposable item: for each such probe one item is written
  straight into the records table and the probe asks to delete exactly that one
  (`DELETE /news?id=<item>`). An allowed caller deletes it; after a refused call it is removed.
  The method ARN (what the policies match) is the same as for the bare collection.
- Every other write is undone: the records table is read when the sandbox is made and around each
  write probe; every item that changed during a probe gets its value from the first read back (put
  again, or deleted when it did not exist). Probes may run concurrently; changes made by others
  between probes are left alone.

`ProbeSandbox.restore()` puts everything back and then checks that it did: a matrix that could not
undo its writes fails loudly instead of leaving the demo changed. Reading the whole records table is
fine for the local stack (a few dozen items); for a deployment without the emulator the caller's own
AWS credentials are used and need Scan, PutItem and DeleteItem on that table.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar, overload
from urllib.parse import urlencode

import boto3
import requests
from botocore.exceptions import BotoCoreError
from botocore.exceptions import ClientError as AwsClientError

from local.client import Session
from local.demo_data import news_item
from tools.config import Route
from tools.matrix import Probe

# boto3-stubs types client() per literal service name; this helper takes credentials as data.
_boto3_client: Callable[..., Any] = boto3.client

T = TypeVar("T")

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DISPOSABLE_TITLE = "Disposable item of the live access matrix"

Item = dict[str, Any]
Key = tuple[tuple[str, str], ...]


def _disposable_news() -> tuple[Item, dict[str, str]]:
    item = news_item(DISPOSABLE_TITLE, "Written and deleted by one DELETE /news probe.")
    return item, {"id": str(item["sk"]["S"])}


#: handler -> how to make one disposable item for a DELETE probe of its collection: the item (as
#: stored in the records table) and the query that names it (the handler's `?id=` contract).
DISPOSABLE: dict[str, Callable[[], tuple[Item, dict[str, str]]]] = {"news": _disposable_news}


class ProbeDataError(RuntimeError):
    """The records table could not be read or put back; the message says which and why."""


def _records_client(stack: dict[str, Any]) -> Any:
    if stack.get("emulator_url"):
        return _boto3_client(
            "dynamodb",
            region_name=stack["region"],
            endpoint_url=stack["emulator_url"],
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - the emulator's fixed, non-secret credentials
        )
    return _boto3_client("dynamodb", region_name=stack["region"])


class ProbeSandbox:
    """Sends the matrix's probes; remembers and undoes what the write probes change (thread-safe)."""

    def __init__(self, stack: dict[str, Any]) -> None:
        self._table = str(stack["tables"]["records"])
        self._client = _records_client(stack)
        self._lock = threading.Lock()
        self._original: dict[Key, Item | None] = {}
        try:
            schema = self._client.describe_table(TableName=self._table)["Table"]["KeySchema"]
        except (AwsClientError, BotoCoreError) as exc:
            raise ProbeDataError(
                f"the live matrix undoes its write probes and needs the records table {self._table}: {exc}"
            ) from exc
        self._key_names = [str(k["AttributeName"]) for k in schema]
        self._baseline = self._items()

    def _key(self, item: Item) -> Key:
        return tuple((name, json.dumps(item[name], sort_keys=True)) for name in self._key_names)

    def _items(self) -> dict[Key, Item]:
        items: dict[Key, Item] = {}
        try:
            for page in self._client.get_paginator("scan").paginate(
                TableName=self._table, ConsistentRead=True
            ):
                for item in page.get("Items", []):
                    items[self._key(item)] = item
        except (AwsClientError, BotoCoreError) as exc:
            raise ProbeDataError(f"could not read the records table {self._table}: {exc}") from exc
        return items

    def _remember(self, key: Key, original: Item | None) -> None:
        with self._lock:
            self._original.setdefault(key, original)

    def target(self, route: Route, request: Probe) -> Probe:
        """The request to send: a collection DELETE is narrowed to a disposable item written now."""
        make = DISPOSABLE.get(route.handler)
        if request.method != "DELETE" or make is None:
            return request
        item, query = make()
        self._remember(self._key(item), None)
        try:
            self._client.put_item(TableName=self._table, Item=item)
        except (AwsClientError, BotoCoreError) as exc:
            raise ProbeDataError(f"could not write a disposable item into {self._table}: {exc}") from exc
        separator = "&" if "?" in request.path else "?"
        return replace(request, path=f"{request.path}{separator}{urlencode(query)}")

    @overload
    def call(self, session: Session, route: Route, request: Probe) -> requests.Response: ...

    @overload
    def call(
        self, session: Session, route: Route, request: Probe, send: Callable[[Session, Route, Probe], T]
    ) -> T: ...

    def call(
        self,
        session: Session,
        route: Route,
        request: Probe,
        send: Callable[[Session, Route, Probe], Any] | None = None,
    ) -> Any:
        """Send `request` (the probe of `route`) as `session`; a write's changes are remembered.

        `send` makes the call (default: the session's own request); its answer is returned as is.
        """
        sender = send or self._send
        request = self.target(route, request)
        if request.method not in WRITE_METHODS:
            return sender(session, route, request)
        before = self._items()
        try:
            return sender(session, route, request)
        finally:
            after = self._items()
            for key in before.keys() | after.keys():
                if before.get(key) != after.get(key):
                    self._remember(key, self._baseline.get(key))

    @staticmethod
    def _send(session: Session, route: Route, request: Probe) -> requests.Response:
        return session.request(
            request.method, request.path, request.body, auth=route.auth, scopes=route.scopes
        )

    def restore(self) -> None:
        """Put every item a probe changed back as it was, then check that it is."""
        with self._lock:
            original = dict(self._original)
        try:
            for key, item in original.items():
                if item is None:
                    self._client.delete_item(
                        TableName=self._table, Key={name: json.loads(value) for name, value in key}
                    )
                else:
                    self._client.put_item(TableName=self._table, Item=item)
        except (AwsClientError, BotoCoreError) as exc:
            raise ProbeDataError(f"could not undo the matrix's writes in {self._table}: {exc}") from exc
        now = self._items()
        left = [dict(key) for key, item in original.items() if now.get(key) != item]
        if left:
            raise ProbeDataError(f"the matrix's writes to {self._table} were not all undone: {left}")

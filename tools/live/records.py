"""The records table as a live run sees it: the items it writes for its write probes, and their removal.

A run changes only what it created. Write probes never aim at anything a real user stored:

- an item route's write (PUT or DELETE `/petstore/v1/pets/{id}`) names a pet the run wrote into the
  table itself just before (`pk = "pets"`, `sk = "fgaverify-<run id>-<n>"`);
- a collection DELETE (`DELETE /news`) is narrowed to one news item the run wrote just before
  (`?id=<item>`; the method ARN the policies match is the same as the bare collection's);
- a POST that creates an item (`POST /petstore/v1/pets`) creates it as the run's own user, so it is
  recorded with `created_by = sub#<that user>`; a POST of a profile writes the caller's own record.

Everything the run wrote carries the run id (`fga_verification_run`), and `remove_run` deletes it
with a condition that the item still is the run's. What the run's users wrote is keyed by them:
their profiles (`sub#<sub>`, `identity#<identity>`) and the pets they created. Nothing is ever
read back into a report.

The same shapes as the backend's (functions/backend/backend_core/news_records.py, pet_records.py):
the local stack's demo news are written with `news_item` too.
"""

from __future__ import annotations

import itertools
import secrets
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError as AwsClientError

from tools.live.principals import PREFIX, Principal, is_stale
from tools.live.session import Stack, aws_client

RUN_ATTRIBUTE = "fga_verification_run"
FIXTURE_TITLE = "make verify: a disposable item of one write probe"
PROFILE_SK = "profile"

Item = dict[str, Any]


def news_id(sequence: int = 0) -> str:
    """An id in the news handler's format (sortable time + random suffix); `sequence` keeps items
    written within the same second in order."""
    stamp = datetime.now(UTC) + timedelta(seconds=sequence)
    return f"{stamp:%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}"


def news_item(title: str, body: str, sequence: int = 0) -> Item:
    """A news item as the news handler stores it in the records table (DynamoDB JSON)."""
    return {"pk": {"S": "news"}, "sk": {"S": news_id(sequence)}, "title": {"S": title}, "body": {"S": body}}


class RecordsError(RuntimeError):
    """The records table could not be written or cleaned; the message says which item and why."""


class RunRecords:
    """The items one run writes and everything its principals' probes may have stored (thread-safe)."""

    def __init__(self, stack: Stack, run_id: str) -> None:
        self.table = str(stack["tables"]["records"])
        self.run_id = run_id
        self._db = aws_client(stack, "dynamodb", signed=True)
        self._lock = threading.Lock()
        self._count = itertools.count(1)
        self.written: list[tuple[str, str]] = []  # (pk, sk) of every fixture the run wrote
        self.created_pets: list[tuple[str, str]] = []  # (pet id, created_by) of pets the probes made

    def _put(self, item: Item) -> None:
        key = (item["pk"]["S"], item["sk"]["S"])
        with self._lock:
            self.written.append(key)  # before the write: removal is attempted even if it half-failed
        try:
            self._db.put_item(TableName=self.table, Item=item, ConditionExpression="attribute_not_exists(pk)")
        except AwsClientError as exc:
            raise RecordsError(f"could not write the run's item {key} into {self.table}: {exc}") from exc

    def news_fixture(self) -> str:
        """A news item only this run knows; its id (for `DELETE /news?id=`)."""
        item = news_item(FIXTURE_TITLE, f"Written by make verify run {self.run_id}.")
        item[RUN_ATTRIBUTE] = {"S": self.run_id}
        self._put(item)
        return str(item["sk"]["S"])

    def pet_fixture(self) -> str:
        """A pet only this run knows; its id (for `/petstore/v1/pets/{id}`)."""
        pet_id = f"{PREFIX}-{self.run_id}-{next(self._count)}"
        self._put(
            {
                "pk": {"S": "pets"},
                "sk": {"S": pet_id},
                "type": {"S": "dog"},
                "price": {"N": "1"},
                "created_by": {"S": f"{PREFIX}#{self.run_id}"},
                RUN_ATTRIBUTE: {"S": self.run_id},
            }
        )
        return pet_id

    def created_pet(self, pet_id: str, principal: Principal) -> None:
        """A pet a probe created as `principal` (removed with the run)."""
        with self._lock:
            self.created_pets.append((pet_id, f"sub#{principal.sub}"))

    # --- removal ---------------------------------------------------------------------------------

    def _delete(self, key: dict[str, Any], condition: str, values: dict[str, Any]) -> None:
        try:
            self._db.delete_item(
                TableName=self.table,
                Key=key,
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
            )
        except AwsClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise RecordsError(f"could not delete {key} from {self.table}: {exc}") from exc

    def _delete_fixture(self, pk: str, sk: str, run_id: str) -> None:
        """Delete an item only while it still carries `run_id` (a fixture a probe deleted is gone)."""
        self._delete(
            {"pk": {"S": pk}, "sk": {"S": sk}},
            f"{RUN_ATTRIBUTE} = :run",
            {":run": {"S": run_id}},
        )

    def _delete_profile(self, partition: str) -> None:
        try:
            self._db.delete_item(TableName=self.table, Key={"pk": {"S": partition}, "sk": {"S": PROFILE_SK}})
        except AwsClientError as exc:
            raise RecordsError(f"could not delete the profile {partition} from {self.table}: {exc}") from exc

    def _pets_created_by(self, owners: set[str]) -> list[str]:
        """Ids of the pets created by `owners` (sub#<sub>): a query of the pets partition whose
        filter returns only those (nothing else is read back)."""
        if not owners:
            return []
        values = {f":o{i}": {"S": owner} for i, owner in enumerate(sorted(owners))}
        found: list[str] = []
        pages = self._db.get_paginator("query").paginate(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            FilterExpression=f"created_by IN ({', '.join(values)})",
            ExpressionAttributeValues={":pk": {"S": "pets"}, **values},
            ProjectionExpression="sk",
        )
        for page in pages:
            found.extend(str(item["sk"]["S"]) for item in page.get("Items", []))
        return found

    def remove_owned(self, principals: list[Principal]) -> int:
        """Delete what `principals` stored through the API: their profiles and the pets they
        created (found by `created_by`, whether or not the probe saw the answer). Returns the count."""
        owners = {f"sub#{p.sub}" for p in principals if p.sub and not p.external}
        with self._lock:
            known = {pet_id for pet_id, owner in self.created_pets if owner in owners}
        removed = 0
        for pet_id in sorted(known | set(self._pets_created_by(owners))):
            values = {f":o{i}": {"S": owner} for i, owner in enumerate(sorted(owners))}
            self._delete(
                {"pk": {"S": "pets"}, "sk": {"S": pet_id}}, f"created_by IN ({', '.join(values)})", values
            )
            removed += 1
        for principal in principals:
            for partition in principal.record_keys:
                self._delete_profile(partition)
                removed += 1
        return removed

    def remove_pets(self, created: list[tuple[str, str]]) -> int:
        """Delete exactly these pets (id, client id) that a machine caller's probe created, each only
        while it is still that client's: a declared machine client is not the run's own, so what it
        created outside the run is never looked for, let alone deleted. Returns the count."""
        for pet_id, client_id in created:
            self._delete(
                {"pk": {"S": "pets"}, "sk": {"S": pet_id}},
                "created_by = :owner",
                {":owner": {"S": f"sub#{client_id}"}},
            )
        return len(created)

    def remove_run(self) -> int:
        """Delete every fixture this run wrote (those a probe deleted already are skipped)."""
        with self._lock:
            written = list(self.written)
        for pk, sk in written:
            self._delete_fixture(pk, sk, self.run_id)
        return len(written)

    # --- what is left --------------------------------------------------------------------------

    def fixtures_left(self, run_id: str | None = None) -> list[tuple[str, str, str]]:
        """(pk, sk, run id) of fixtures still in the table: of `run_id`, or of every run.

        Pets: a key-range query on the run's id prefix. News: a query of the news partition whose
        filter returns only items carrying the run attribute (nothing a user wrote is returned).
        """
        prefix = f"{PREFIX}-{run_id}-" if run_id else f"{PREFIX}-"
        left: list[tuple[str, str, str]] = []
        queries = [
            {
                "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
                "ExpressionAttributeValues": {":pk": {"S": "pets"}, ":prefix": {"S": prefix}},
            },
            {
                "KeyConditionExpression": "pk = :pk",
                "FilterExpression": f"attribute_exists({RUN_ATTRIBUTE})",
                "ExpressionAttributeValues": {":pk": {"S": "news"}},
            },
        ]
        for query in queries:
            pages = self._db.get_paginator("query").paginate(
                TableName=self.table,
                ProjectionExpression=f"pk, sk, {RUN_ATTRIBUTE}",
                **query,
            )
            for page in pages:
                for item in page.get("Items", []):
                    owner = str(item.get(RUN_ATTRIBUTE, {}).get("S", ""))
                    if run_id is None or owner == run_id:
                        left.append((str(item["pk"]["S"]), str(item["sk"]["S"]), owner))
        return left

    def profiles_left(self, principals: list[Principal]) -> list[str]:
        left = []
        for principal in principals:
            for partition in principal.record_keys:
                got = self._db.get_item(
                    TableName=self.table,
                    Key={"pk": {"S": partition}, "sk": {"S": PROFILE_SK}},
                    ProjectionExpression="pk",
                    ConsistentRead=True,
                )
                if "Item" in got:
                    left.append(partition)
        return left + [
            f"pets/{pet}"
            for pet in self._pets_created_by({f"sub#{p.sub}" for p in principals if p.sub and not p.external})
        ]

    def sweep_fixtures(self, older_than: timedelta) -> int:
        """Delete the fixtures of earlier runs that started more than `older_than` ago."""
        stale = [(pk, sk, run) for pk, sk, run in self.fixtures_left() if run and is_stale(run, older_than)]
        for pk, sk, run in stale:
            self._delete_fixture(pk, sk, run)
        return len(stale)

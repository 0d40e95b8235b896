"""News items behind `news` (scenario S5): `pk = "news"`, `sk = <id>` where ids sort by time.

Reads are Query pages, newest first. Deleting the collection deletes at most MAX_DELETE items per
request (Query for keys, then BatchWriteItem) and says whether more remain: bounded work per call.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from backend_core.http import ApiError
from backend_core.store import Table, from_item, to_attrs

PK = "news"
DEFAULT_PAGE = 20
MAX_PAGE = 100
MAX_DELETE = 100
BATCH_WRITE_LIMIT = 25
MAX_BATCH_RETRIES = 3
_NEWS_ID = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{8}$")


class StoreBusy(RuntimeError):
    """DynamoDB kept returning unprocessed deletes; the request fails (500) rather than lie."""


def check_id(news_id: str) -> str:
    if not _NEWS_ID.match(news_id):
        raise ApiError(400, "the news id looks like 20260101T120000Z-0123abcd")
    return news_id


def new_id(now: datetime | None = None) -> str:
    return f"{(now or datetime.now(UTC)).strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(4)}"


def add_news(table: Table, title: str, body: str, now: datetime | None = None) -> dict[str, Any]:
    """Publish an item (used by seeding and tests; no public route creates news)."""
    news_id = new_id(now)
    item = {"pk": PK, "sk": news_id, "title": title, "body": body}
    table.client.put_item(TableName=table.name, Item=to_attrs(item))
    return {"id": news_id, "title": title, "body": body}


def list_news(table: Table, limit: int) -> list[dict[str, Any]]:
    response = table.client.query(
        TableName=table.name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues=to_attrs({":pk": PK}),
        ScanIndexForward=False,
        Limit=limit,
    )
    out = []
    for raw in response.get("Items", []):
        item = from_item(raw)
        out.append({"id": item["sk"], "title": item.get("title"), "body": item.get("body")})
    return out


def delete_one(table: Table, news_id: str) -> None:
    try:
        table.client.delete_item(
            TableName=table.name,
            Key=to_attrs({"pk": PK, "sk": news_id}),
            ConditionExpression="attribute_exists(pk)",
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            raise ApiError(404, f"no news item with id {news_id}") from None
        raise


def delete_all(table: Table) -> tuple[int, bool]:
    """Delete up to MAX_DELETE items; returns (deleted, more_remain)."""
    response = table.client.query(
        TableName=table.name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues=to_attrs({":pk": PK}),
        ProjectionExpression="pk, sk",
        Limit=MAX_DELETE,
    )
    keys = response.get("Items", [])
    for start in range(0, len(keys), BATCH_WRITE_LIMIT):
        pending: dict[str, Any] = {
            table.name: [{"DeleteRequest": {"Key": k}} for k in keys[start : start + BATCH_WRITE_LIMIT]]
        }
        for _attempt in range(MAX_BATCH_RETRIES + 1):
            result = table.client.batch_write_item(RequestItems=pending)
            pending = dict(result.get("UnprocessedItems") or {})
            if not pending:
                break
        else:
            raise StoreBusy("DynamoDB left deletes unprocessed after retries")
    return len(keys), bool(response.get("LastEvaluatedKey"))

"""Lambda entry point `news.handler`: `GET /news` and `DELETE /news` (scenario S5).

GET -> 200 `{"news": [newest first]}` (`?limit=`). DELETE -> with `?id=` deletes that item
(200 `{"deleted": 1}`, 404 unknown id), without it deletes up to 100 items (200
`{"deleted": n, "more": bool}`). Only group `admin` reaches DELETE: the authorizer's policy says so and
API Gateway enforces it before this code runs.
"""

from __future__ import annotations

from typing import Any

from backend_core import http, news_records, store


def route(event: http.Event) -> tuple[int, object]:
    method = str(event.get("httpMethod", "")).upper()
    if method == "GET":
        limit = http.parse_limit(
            http.query_param(event, "limit"), default=news_records.DEFAULT_PAGE, maximum=news_records.MAX_PAGE
        )
        return 200, {"news": news_records.list_news(store.table(), limit)}
    if method == "DELETE":
        news_id = http.query_param(event, "id")
        if news_id is not None:
            news_records.delete_one(store.table(), news_records.check_id(news_id))
            return 200, {"deleted": 1}
        deleted, more = news_records.delete_all(store.table())
        return 200, {"deleted": deleted, "more": more}
    raise http.method_not_allowed(["GET", "DELETE"])


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    return http.run("news", event, context, route)

"""What a live run sends for one contract cell (route x method), and how it reads the answer.

The request: `tools.matrix.probe` (path parameters get sample values; writes carry the handler's
example body from the access model), then aimed at the run's own items where it writes
(tools/live/records.py): a write to an item route names a pet the run wrote; a collection DELETE is
narrowed to a news item the run wrote (`?id=`). Handlers with such items are listed in ITEM_FIXTURES
and COLLECTION_FIXTURES; a write probe of any other handler either writes the caller's own record
(profiles) or creates an item recorded as the caller's (pets, CREATED_IDS). With writes off for the
environment (settings.verification.writes = false), a write cell is not sent at all.

The verdict: the contract's `deny_401` and `deny_403` must be exactly that status; `allow` means the
call passed authorization and the handler answered: a 2xx, or, on an ANY route, the handler's 405
with an `Allow` header that does not list the verb (a verb the route's handler does not serve: the
authorizer let it through; API Gateway never answers 405 for an authorization decision).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

import requests

from tools.config import Route
from tools.matrix import ALLOW, Expectation, Probe, probe

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITES_OFF = (
    "writes are off for this environment (config.json verification.writes = false): only reads are sent"
)
#: handler -> the records.RunRecords method that writes an item a write to one of its item routes
#: (a route with a path parameter) names instead of the sample value.
ITEM_FIXTURES = {"pets": "pet_fixture"}
#: handler -> (RunRecords method, query parameter): a collection DELETE is narrowed to that item.
COLLECTION_FIXTURES = {"news": ("news_fixture", "id")}
#: handler -> how to read the id of what a POST to its collection created (removed with the run).
CREATED_IDS: dict[str, Callable[[Any], str]] = {"pets": lambda body: str(body["pet"]["id"])}


@dataclass(frozen=True)
class Plan:
    """A cell's request, or why it is not sent."""

    request: Probe | None
    skipped: str = ""


def plan(route: Route, method: str, *, writes: bool, fixture: Callable[[str], str]) -> Plan:
    """The request for `method` on `route`; `fixture(name)` writes a run-owned item (RunRecords)."""
    request = probe(route, method)
    if method in READ_METHODS:
        return Plan(request)
    if not writes:
        return Plan(None, WRITES_OFF)
    item_fixture = ITEM_FIXTURES.get(route.handler)
    if item_fixture is not None and "{" in route.path:
        return Plan(replace(request, path=_with_item(route.path, fixture(item_fixture))))
    collection = COLLECTION_FIXTURES.get(route.handler)
    if collection is not None and method == "DELETE" and "{" not in route.path:
        maker, parameter = collection
        query = urlencode({parameter: fixture(maker)})
        return Plan(replace(request, path=f"{request.path}?{query}"))
    return Plan(request)


def _with_item(path: str, item_id: str) -> str:
    """`path` with its (last) path parameter set to `item_id`."""
    head, _, tail = path.rpartition("{")
    return head + item_id + tail.partition("}")[2]


def matches(expected: Expectation, route: Route, method: str, response: requests.Response) -> bool:
    """Whether the live answer keeps the contract's outcome (see the module docstring)."""
    status = response.status_code
    if expected != ALLOW:
        return status == expected
    if 200 <= status < 300:
        return True
    allow = response.headers.get("Allow")
    if route.method == "ANY" and status == 405 and allow is not None:
        served = {verb.strip().upper() for verb in allow.split(",")}
        return method not in served
    return False


def created_id(route: Route, method: str, response: requests.Response) -> str | None:
    """The id of the item a POST to a collection created, when its handler says so."""
    read = CREATED_IDS.get(route.handler)
    if read is None or method != "POST" or "{" in route.path or not 200 <= response.status_code < 300:
        return None
    try:
        return read(response.json())
    except (ValueError, KeyError, TypeError):
        return None

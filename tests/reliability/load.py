"""Concurrent clients through the local gateway, every answer checked against the oracle.

`run_load(stack, budget)` signs every demo user in once, then `budget.threads` plain threads send
the cells of the matrix (every user x every route, in its auth mode, the matrix's probe request)
round-robin until `budget.max_requests` requests or `budget.max_seconds` have passed, whichever
comes first: it always stops by itself. Loopback only (the stack's URLs).

`count_table_reads(table)` counts the read requests (GetItem, BatchGetItem, Query, Scan) that reach
the emulator's DynamoDB for one table: the policy-table reads the authorizer made under load.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import requests
from botocore.exceptions import ClientError as AwsClientError

from local.client import Session
from tests.reliability import oracle
from tests.reliability.budgets import LoadBudget
from tools import config
from tools.config import Route
from tools.live.session import call
from tools.matrix import Probe, probe

READ_ACTIONS = ("get_item", "batch_get_item", "query", "scan")


@dataclass(frozen=True)
class Cell:
    user: str
    route: Route
    request: Probe
    expected: oracle.Expectation

    @property
    def auth(self) -> str:
        return self.route.auth

    def send(self, stack: dict[str, Any], session: Session) -> requests.Response:
        """The call the live matrix makes (tools.live.session.call: unsigned when the identity pool
        refuses the user credentials)."""
        request = self.request
        return call(
            session, request.method, request.path, request.body, auth=self.auth, scopes=self.route.scopes
        )[0]


@dataclass
class LoadReport:
    threads: int
    requests: int = 0
    seconds: float = 0.0
    wrong: list[str] = field(default_factory=list)  # "user route: got S, expected E"
    wrong_allows: int = 0
    server_errors: int = 0
    client_errors: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    modes: Counter[str] = field(default_factory=Counter)
    cells: int = 0
    policy_table_reads: int = 0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return 0.0
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    def figures(self) -> dict[str, Any]:
        return {
            "threads": self.threads,
            "requests": self.requests,
            "seconds": round(self.seconds, 1),
            "requests_per_second": round(self.requests / self.seconds, 1) if self.seconds else 0.0,
            "cells": self.cells,
            "wrong_decisions": len(self.wrong),
            "wrong_allows": self.wrong_allows,
            "server_errors": self.server_errors,
            "client_errors": len(self.client_errors),
            "p50_ms": self.percentile(0.50),
            "p99_ms": self.percentile(0.99),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "modes": dict(sorted(self.modes.items())),
            "policy_table_reads": self.policy_table_reads,
        }


def cells(stack: dict[str, Any]) -> list[Cell]:
    cfg = config.load(stack["environment"])
    return [
        Cell(user["name"], route, probe(route), oracle.expected(stack, user["name"], route.name))
        for user in stack["users"]
        for route in cfg.routes.values()
    ]


def signed_in(stack: dict[str, Any], all_cells: list[Cell]) -> dict[str, Session]:
    """One session per user with every token and credential its cells need, fetched up front
    (Session fetches lazily and is not meant to be shared by threads while it does). A user the
    identity pool refuses keeps no credentials; its iam calls go out unsigned (tools.live.session.call)."""
    sessions = {u["name"]: Session(stack, u) for u in stack["users"]}
    for cell in all_cells:
        session = sessions[cell.user]
        if cell.auth == "iam":
            try:
                session.aws_credentials()
            except AwsClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "NotAuthorizedException":
                    raise
        elif not session.external:
            session.auth_headers(cell.auth, tuple(cell.route.scopes))
    return sessions


def run_load(stack: dict[str, Any], budget: LoadBudget) -> LoadReport:
    all_cells = cells(stack)
    sessions = signed_in(stack, all_cells)
    report = LoadReport(threads=budget.threads, cells=len(all_cells))
    lock = threading.Lock()
    numbers = itertools.count()
    started = time.monotonic()
    deadline = started + budget.max_seconds

    def worker() -> None:
        while True:
            with lock:
                index = next(numbers)
            if index >= budget.max_requests or time.monotonic() >= deadline:
                return
            cell = all_cells[index % len(all_cells)]
            sent = time.perf_counter()
            try:
                response = cell.send(stack, sessions[cell.user])
            except Exception as exc:  # a failed call is a result too (counted, reported)
                with lock:
                    report.requests += 1
                    report.client_errors.append(
                        f"{cell.user} {cell.route}: {type(exc).__name__}: {exc}"[:300]
                    )
                continue
            elapsed = (time.perf_counter() - sent) * 1000
            status = response.status_code
            with lock:
                report.requests += 1
                report.latencies_ms.append(elapsed)
                report.statuses[status] += 1
                report.modes[cell.auth] += 1
                if status >= 500:
                    report.server_errors += 1
                if not oracle.matches(cell.expected, status):
                    report.wrong.append(
                        f"{cell.user} {cell.route.name}: got {status}, expected {cell.expected}"
                    )
                    if 200 <= status < 300:
                        report.wrong_allows += 1

    threads = [threading.Thread(target=worker, name=f"load-{n}", daemon=True) for n in range(budget.threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(budget.max_seconds + 60)
    report.seconds = time.monotonic() - started
    return report


@contextmanager
def count_table_reads(table: str) -> Iterator[Counter[str]]:
    """Count read requests naming `table` that reach the emulator's DynamoDB (this process)."""
    from moto.dynamodb.responses import DynamoHandler  # noqa: PLC0415 - the emulator's own module

    counts: Counter[str] = Counter()
    originals = {name: getattr(DynamoHandler, name) for name in READ_ACTIONS}

    def wrap(name: str) -> Any:
        original = originals[name]

        def counting(self: Any) -> Any:
            body = self.body  # moto's DynamoHandler has already parsed it (a dict)
            if not isinstance(body, dict):
                try:
                    body = json.loads(body or "{}")
                except ValueError:
                    body = {}
            request = body
            if table == request.get("TableName") or table in (request.get("RequestItems") or {}):
                counts[name] += 1
            return original(self)

        return counting

    for name in READ_ACTIONS:
        setattr(DynamoHandler, name, wrap(name))
    try:
        yield counts
    finally:
        for name, original in originals.items():
            setattr(DynamoHandler, name, original)

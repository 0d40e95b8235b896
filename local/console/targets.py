"""What the console sends for a route, aimed so that the demo stays as seeded, and the undoing of it.

The console calls the API as the demo user signed in to the page; its calls must leave the records
table as `make up` seeded it, by the live-matrix engine's rule (tools/live/probes.py, records.py),
with the engine's own code, not a copy of it:

- a read is sent as the route's probe (`tools.matrix.probe`: the same request `make up`'s matrix
  sends);
- a write that `tools.live.probes.plan` aims at an item the run wrote (a pet for an item route, a
  news item for the collection DELETE: `DELETE /news?id=<item>`) is aimed at one written for this
  call alone, by `tools.live.records.RunRecords` under a run id of its own; it is removed when the
  call is done, whatever the API answered (`RunRecords.remove_run`);
- the engine's other writes go to the caller's own record, and its callers are users of its own,
  removed with their records. The console's caller is a demo user, so that write is undone
  instead: the caller's record is read before the call and put back as it was (deleted when there
  was none) once the call is done. Which record: the key the backend gives the caller
  (`identity#<identity id>` in iam mode, `sub#<sub>` otherwise), found from the caller's ID token,
  which is verified (the user pool's JWKS, RS256, issuer, expiry, `token_use` = id, this web
  client's `aud`); the identity id is what the identity pool's GetId answers for that token. A
  caller can only ever have its own record put back;
- any other write (one that creates an item whose id only the answer names) is not sent: the
  console could not undo it. None of the console's probes is such a write (a test checks that).

A call is `prepare` (the request to send, and a ticket when something must be undone) then
`finish(ticket)`. A ticket nobody finishes is finished by a timer after `TICKET_SECONDS` (longer
than API Gateway's 29 s integration timeout) and by `close()`. Two calls in flight for the same
record share one baseline: the record is put back when the last of them is done, to the state
before the first.

What a page can make this module do is therefore bounded: write at most `MAX_PENDING` disposable
items at a time (removed within `TICKET_SECONDS`), and put its own caller's record back to an
earlier state. It cannot name a key, an item or a value.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from local.apigateway.cognito import CognitoAuthError, CognitoVerifier
from tools import config
from tools.config import Route
from tools.live.principals import new_run_id
from tools.live.probes import READ_METHODS, plan
from tools.live.records import PROFILE_SK, RecordsError, RunRecords
from tools.live.session import Stack, aws_client
from tools.matrix import Probe, probe

__all__ = ["MAX_PENDING", "TICKET_SECONDS", "UNDONE_WRITES", "Target", "TargetRefused", "Targets"]

#: How long a prepared call may take before its undoing runs anyway (API Gateway's integration
#: timeout is 29 s; the console's calls take milliseconds).
TICKET_SECONDS = 120.0
#: Calls prepared and not yet finished, at most (each may hold one disposable item).
MAX_PENDING = 32
#: handler -> the record a write of it changes, which the console puts back: the caller's own.
UNDONE_WRITES = {"profiles": PROFILE_SK}
FIXTURE_NOTE = "aimed at an item written for this call alone, removed when the call is done"
UNDO_NOTE = "your own record is put back as it was when the call is done"

Item = dict[str, Any]


class TargetRefused(Exception):
    """The call is not sent: `status` and `message` say why (the page shows the message)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Target:
    """The request to send, `note` for the person, `ticket` to hand back to `finish` (or None)."""

    method: str
    path: str
    body: Any
    ticket: str | None = None
    note: str = ""

    def describe(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "body": self.body,
            "ticket": self.ticket,
            "note": self.note,
        }


@dataclass
class _Baseline:
    item: Item | None
    holders: int = 1


@dataclass
class _Ticket:
    records: RunRecords | None = None
    record_key: dict[str, Any] | None = None
    timer: threading.Timer | None = field(default=None, repr=False)


class Targets:
    """Prepared calls of one console (thread-safe)."""

    def __init__(
        self,
        stack: Stack,
        *,
        ticket_seconds: float = TICKET_SECONDS,
        max_pending: int = MAX_PENDING,
    ) -> None:
        self.stack = stack
        self.routes = config.load(stack["environment"]).routes
        self.table = str(stack["tables"]["records"]) if "tables" in stack else ""
        self.ticket_seconds = ticket_seconds
        self.max_pending = max_pending
        self._db: Any = None
        self._lock = threading.Lock()
        self._tickets: dict[str, _Ticket] = {}
        self._baselines: dict[str, _Baseline] = {}
        emulator = str(stack.get("emulator_url", "")).rstrip("/")
        self._verifier = CognitoVerifier(lambda pool_id: f"{emulator}/{pool_id}/.well-known/jwks.json")

    # --- preparing a call ----------------------------------------------------------------------

    def prepare(self, route_name: str, id_token: str | None) -> Target:
        """The request for `route_name`'s console probe, aimed by the rule in the module docstring."""
        route = self.routes.get(route_name)
        if route is None:
            raise TargetRefused(404, f"no route named {route_name!r}")
        method = probe(route).method
        if method in READ_METHODS:
            request = probe(route, method)
            return Target(request.method, request.path, request.body)
        with self._lock:
            if len(self._tickets) >= self.max_pending:
                raise TargetRefused(429, f"{self.max_pending} calls are in flight already; wait for them")
        ticket = _Ticket()
        name = secrets.token_urlsafe(18)
        try:
            request, note = self._aim(route, method, id_token, ticket)
        except BaseException:
            self._undo(ticket)
            raise
        with self._lock:
            self._tickets[name] = ticket
        ticket.timer = threading.Timer(self.ticket_seconds, self.finish, args=(name,))
        ticket.timer.daemon = True
        ticket.timer.start()
        return Target(request.method, request.path, request.body, name, note)

    def _aim(self, route: Route, method: str, id_token: str | None, ticket: _Ticket) -> tuple[Probe, str]:
        """The write's request and a note; `ticket` records what must be undone."""
        fixtures: list[str] = []

        def fixture(maker: str) -> str:
            if ticket.records is None:
                ticket.records = RunRecords(self.stack, new_run_id())
            fixtures.append(maker)
            item_id: str = getattr(ticket.records, maker)()
            return item_id

        try:
            planned = plan(route, method, writes=True, fixture=fixture)
        except RecordsError as exc:
            raise TargetRefused(503, f"could not write the item this call is aimed at: {exc}") from exc
        assert planned.request is not None  # writes are on
        if fixtures:
            return planned.request, FIXTURE_NOTE
        if route.handler not in UNDONE_WRITES:
            raise TargetRefused(
                409,
                f"{method} {route.path} is not sent: it creates an item whose id only the answer names, "
                "so the console could not undo it",
            )
        key = {"pk": {"S": self._own_partition(route, id_token)}, "sk": {"S": UNDONE_WRITES[route.handler]}}
        self._hold(key)
        ticket.record_key = key
        return planned.request, UNDO_NOTE

    def _own_partition(self, route: Route, id_token: str | None) -> str:
        """The partition the backend keys the caller's own record by, from a verified ID token."""
        claims = self._verified(id_token)
        if route.auth != "iam":
            return f"sub#{claims['sub']}"
        provider = f"cognito-idp.{self.stack['region']}.amazonaws.com/{self.stack['user_pool_id']}"
        try:
            identity = aws_client(self.stack, "cognito-identity", signed=False).get_id(
                IdentityPoolId=self.stack["identity_pool_id"], Logins={provider: id_token}
            )
        except (ClientError, BotoCoreError) as exc:
            raise TargetRefused(401, f"the identity pool refused the ID token: {exc}") from exc
        return f"identity#{identity['IdentityId']}"

    def _verified(self, id_token: str | None) -> dict[str, Any]:
        pool_id = self.stack["user_pool_id"]
        arn = f"arn:aws:cognito-idp:{self.stack['region']}:{self.stack['account_id']}:userpool/{pool_id}"
        try:
            claims = self._verifier.verify(id_token, [arn], scopes=())
        except CognitoAuthError as exc:
            raise TargetRefused(401, f"sign in again: the ID token is not acceptable ({exc})") from exc
        if claims.get("aud") != self.stack["user_pool_client_id"] or not claims.get("sub"):
            raise TargetRefused(401, "sign in again: the ID token is not one of the console's web client")
        return claims

    # --- undoing it --------------------------------------------------------------------------------

    def _client(self) -> Any:
        if self._db is None:
            self._db = aws_client(self.stack, "dynamodb", signed=True)
        return self._db

    def _hold(self, key: dict[str, Any]) -> None:
        """Take the record's state before the call (or join the baseline of a call in flight)."""
        name = key["pk"]["S"]
        with self._lock:
            baseline = self._baselines.get(name)
            if baseline is not None:
                baseline.holders += 1
                return
            try:
                got = self._client().get_item(TableName=self.table, Key=key, ConsistentRead=True)
            except (ClientError, BotoCoreError) as exc:
                raise TargetRefused(503, f"could not read your record before the call: {exc}") from exc
            self._baselines[name] = _Baseline(got.get("Item"))

    def _release(self, key: dict[str, Any]) -> None:
        """Put the record back once the last call holding its baseline is done (under the lock, so
        no new baseline is read halfway)."""
        name = key["pk"]["S"]
        with self._lock:
            baseline = self._baselines[name]
            baseline.holders -= 1
            if baseline.holders:
                return
            del self._baselines[name]
            if baseline.item is None:
                self._client().delete_item(TableName=self.table, Key=key)
            else:
                self._client().put_item(TableName=self.table, Item=baseline.item)

    def _undo(self, ticket: _Ticket) -> None:
        try:
            if ticket.records is not None:
                ticket.records.remove_run()
        finally:
            if ticket.record_key is not None:
                self._release(ticket.record_key)

    def finish(self, name: str) -> bool:
        """Undo what the call `name` prepared; False when no such call is pending (finished already)."""
        with self._lock:
            ticket = self._tickets.pop(name, None)
        if ticket is None:
            return False
        if ticket.timer is not None:
            ticket.timer.cancel()
        self._undo(ticket)
        return True

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._tickets)

    def close(self) -> None:
        """Finish every pending call (the console is stopping)."""
        with self._lock:
            names = list(self._tickets)
        for name in names:
            self.finish(name)

"""The live-matrix engine: every cell of the access contract, checked against a running deployment.

One engine for `make up`'s matrix, the end-to-end contract test and `make verify`, in every
environment (the local emulator and AWS alike). A run:

1. sweeps the leftovers of earlier runs that started more than `sweep_older_than` ago (a run that was
   killed before it could clean up): their users and what those stored, their identities, their
   fixtures;
2. creates one principal per kind of user of the contract (tools/live/principals.py), one thread per
   kind: each signs in and calls, in contract order, every route x method the contract promises it
   something for (tools/live/probes.py aims writes at items the run wrote itself); each machine
   caller of the contract (tools/live/machines.py) does the same with its client-credentials token
   (fetched once per run), its iam cells not applicable;
3. removes everything it created, on success, failure and interruption alike: the records its
   principals stored and its fixtures, their identity-pool identities, the principals; then checks
   that nothing of the run is left (`Report.leftovers`).

What only some places can do is plugged in as Hooks: OAuth-scoped access tokens (the hosted UI's
authorization-code flow needs a browser; the emulator drives it headlessly) and the external IdP's
user (Google has no headless sign-in; the local OIDC issuer has). Without a hook, the cells that
need it are reported "not verifiable here" with the reason, never skipped silently.

Interruption: SIGINT (KeyboardInterrupt) or SIGTERM (`interruptible()` turns it into one) stops the
probes after the calls in flight; the removal then runs with both signals held back.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any

import requests
from botocore.exceptions import BotoCoreError
from botocore.exceptions import ClientError as AwsClientError

from tools import config, contract
from tools.live.machines import (
    NOT_APPLICABLE_NOTE,
    UNDECLARED_UNAVAILABLE,
    MachineKind,
    MachineSession,
    machine_client,
)
from tools.live.principals import (
    Kind,
    Principal,
    PrincipalSource,
    UserPoolPrincipals,
    is_stale,
    new_run_id,
)
from tools.live.probes import created_id, matches, plan
from tools.live.records import RecordsError, RunRecords
from tools.live.report import Cell, Report
from tools.live.session import ClientError, NotVerifiable, ScopedTokens, Session, Stack, aws_client, call
from tools.matrix import NOT_APPLICABLE, user_pool_role_mapping

DEFAULT_SWEEP_AGE = timedelta(hours=1)
THREADS = 4
EXTERNAL_UNAVAILABLE = (
    "the external IdP's user signs in on the IdP's own pages (Google: a browser); no headless run "
    "can sign in there"
)
IDENTITY_BATCH = 60  # DeleteIdentities takes 1-60 ids
_CALL_ERRORS = (ClientError, AwsClientError, BotoCoreError, requests.RequestException, RecordsError)


@dataclass(frozen=True)
class Hooks:
    """What only some environments can do (the local emulator plugs both in: local/verify_hooks.py)."""

    scoped_tokens: ScopedTokens | None = None
    external: PrincipalSource | None = None


@dataclass
class _Ledger:
    """Everything a run created, recorded before each creation so removal is always attempted."""

    principals: list[tuple[PrincipalSource, Principal]] = field(default_factory=list)
    identities: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_principal(self, source: PrincipalSource, principal: Principal) -> None:
        with self.lock:
            self.principals.append((source, principal))

    def add_identity(self, identity_id: str) -> None:
        with self.lock:
            if identity_id not in self.identities:
                self.identities.append(identity_id)


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """SIGTERM raises KeyboardInterrupt in the main thread, as SIGINT does (a CI job's cancel, `kill`).
    SIGINT too, even where the process was started with it ignored (a shell's background job, some
    CI runners): Python then installs no handler for it, and an interrupted run would go on."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    previous = {
        signal.SIGTERM: signal.signal(signal.SIGTERM, stop),
        signal.SIGINT: signal.signal(signal.SIGINT, signal.default_int_handler),
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def _shielded(say: Callable[[str], None]) -> Iterator[None]:
    """Hold SIGINT and SIGTERM back while the run removes what it created."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def hold(_signum: int, _frame: Any) -> None:
        say("still removing what this run created; it stops when that is done")

    previous = {sig: signal.signal(sig, hold) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class LiveRun:
    """One run against one deployment (`stack`: its description, tools/live/target.py)."""

    def __init__(
        self,
        stack: Stack,
        *,
        env: str,
        hooks: Hooks = Hooks(),
        writes: bool | None = None,
        sweep_older_than: timedelta = DEFAULT_SWEEP_AGE,
        threads: int = THREADS,
        say: Callable[[str], None] = lambda _line: None,
    ) -> None:
        self.stack = stack
        self.cfg = config.load(env)
        self.hooks = hooks
        self.writes = self.cfg.verification.writes if writes is None else writes
        self.sweep_older_than = sweep_older_than
        self.threads = threads
        self.say = say
        self.mapping = user_pool_role_mapping(self.cfg)
        self.promise = contract.load()
        self.run_id = new_run_id()
        policy = (self.cfg.raw.get("user_pool") or {}).get("password_policy") or {}
        self.users = UserPoolPrincipals(stack, minimum_password_length=int(policy.get("minimum_length", 0)))
        self.records = RunRecords(stack, self.run_id)
        self.ledger = _Ledger()
        self.stop = threading.Event()
        kinds = self.promise.users(self.mapping).values()
        self.kinds = [Kind(u.name, u.groups, u.external) for u in kinds]
        machines = self.promise.section(contract.MACHINES).values()
        self.machine_kinds = [MachineKind(m.name, m.declared, m.scopes) for m in machines]
        self.machine_pets: list[tuple[str, str]] = []  # (pet id, client id) a machine's probe created
        self.report = Report(
            environment=self.cfg.environment,
            run_id=self.run_id,
            writes=self.writes,
            mapping=self.mapping,
            routes={r.name: f"{r.method} {r.path} [{r.auth}]" for r in self.promise.routes.values()},
            users=[k.name for k in self.kinds] + [m.name for m in self.machine_kinds],
        )

    # --- the run ---------------------------------------------------------------------------------

    def source(self, kind: Kind) -> PrincipalSource | None:
        return self.hooks.external if kind.external else self.users

    def sources(self) -> list[PrincipalSource]:
        return [self.users, *([self.hooks.external] if self.hooks.external is not None else [])]

    def run(self) -> Report:
        self.say(f"run {self.run_id}: {self.cfg.environment}, writes {'on' if self.writes else 'off'}")
        try:
            self._sweep()
            self._probe_all()
        except KeyboardInterrupt:
            self.report.interrupted = True
            self.stop.set()
            self.say("interrupted: removing what this run created")
        finally:
            with _shielded(self.say):
                self._remove()
                self._check_nothing_left()
        return self.report

    def _probe_all(self) -> None:
        pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="live")
        futures: list[Future[list[Cell]]] = [pool.submit(self._probe_kind, kind) for kind in self.kinds]
        futures += [pool.submit(self._probe_machine, kind) for kind in self.machine_kinds]
        try:
            pending: set[Future[list[Cell]]] = set(futures)
            while pending:
                _, pending = wait(pending, timeout=0.5, return_when=FIRST_EXCEPTION)
        except BaseException:
            self.stop.set()
            pool.shutdown(wait=False, cancel_futures=True)
            # The calls in flight end; nothing new starts. (A future the shutdown cancelled is never
            # "done" for wait(): only the ones already running are waited for.)
            wait([f for f in futures if not f.cancelled()])
            self._collect(futures)  # what was checked before the interruption is still reported
            raise
        pool.shutdown(wait=True)
        self._collect(futures)

    def _collect(self, futures: list[Future[list[Cell]]]) -> None:
        for future in futures:
            if future.cancelled() or not future.done():
                continue
            error = future.exception()
            if error is not None:
                self.report.errors.append(f"{type(error).__name__}: {error}")
            else:
                self.report.cells.extend(future.result())

    def _contract_cells(self, kind: Kind) -> list[tuple[str, str]]:
        return [(route.name, method) for route in self.promise.routes.values() for method in route.methods]

    def _probe_kind(self, kind: Kind) -> list[Cell]:
        calls = self._contract_cells(kind)
        source = self.source(kind)
        if source is None:
            return [self._cell(kind, route, method, skipped=EXTERNAL_UNAVAILABLE) for route, method in calls]
        principal = source.create(kind, self.run_id)
        self.ledger.add_principal(source, principal)
        try:
            source.provision(principal)
            self.say(f"{kind.name}: created {principal.username}")
            session = source.session(principal, self.ledger.add_identity)
            session.scoped_tokens = self.hooks.scoped_tokens
        except _CALL_ERRORS as exc:
            note = f"could not create or sign in the run's {kind.name}: {type(exc).__name__}: {exc}"
            return [self._cell(kind, route, method, note=note) for route, method in calls]
        cells = []
        for route, method in calls:
            if self.stop.is_set():
                break
            cells.append(self._probe(kind, principal, session, route, method))
        return cells

    def _cell(self, kind: Kind, route: str, method: str, **kwargs: Any) -> Cell:
        expected = self.promise.expectation(self.mapping, kind.name, route, method)
        return Cell(kind.name, route, method, expected, **kwargs)

    def _probe(self, kind: Kind, principal: Principal, session: Session, name: str, method: str) -> Cell:
        route = self.cfg.routes[name]
        try:
            planned = plan(
                route, method, writes=self.writes, fixture=lambda maker: getattr(self.records, maker)()
            )
            if planned.request is None:
                return self._cell(kind, name, method, skipped=planned.skipped)
            request = planned.request
            response, note = call(
                session, request.method, request.path, request.body, auth=route.auth, scopes=route.scopes
            )
        except NotVerifiable as exc:
            return self._cell(kind, name, method, skipped=str(exc))
        except _CALL_ERRORS as exc:
            return self._cell(kind, name, method, note=f"{type(exc).__name__}: {exc}")
        made = created_id(route, method, response)
        if made is not None:
            self.records.created_pet(made, principal)
        expected = self.promise.expectation(self.mapping, kind.name, name, method)
        matched = matches(expected, route, method, response)
        if not matched and not note:
            note = response.headers.get("x-amzn-ErrorType", "").split(":", 1)[0] or "answered by the handler"
        return Cell(kind.name, name, method, expected, response.status_code, matched, note)

    # --- machine callers -------------------------------------------------------------------------

    def _machine_cell(self, kind: MachineKind, route: str, method: str, **kwargs: Any) -> Cell:
        expected = self.promise.section(contract.MACHINES)[kind.name].outcomes[(route, method)]
        return Cell(kind.name, route, method, expected, **kwargs)

    def _probe_machine(self, kind: MachineKind) -> list[Cell]:
        """Every contract cell of a machine caller, with one client-credentials token for the run
        (its iam cells: not applicable, never sent)."""
        calls = self._contract_cells(Kind(kind.name))
        try:
            client = machine_client(self.stack, kind)
        except _CALL_ERRORS as exc:
            note = f"could not read the {kind.name} client: {type(exc).__name__}: {exc}"
            return [self._machine_cell(kind, route, method, note=note) for route, method in calls]
        if client is None:
            return [self._machine_cell(kind, r, m, skipped=UNDECLARED_UNAVAILABLE) for r, m in calls]
        session = MachineSession.for_machine(self.stack, client)
        cells = []
        for route, method in calls:
            if self.stop.is_set():
                break
            cells.append(self._probe_as_machine(kind, session, route, method))
        return cells

    def _probe_as_machine(self, kind: MachineKind, session: MachineSession, name: str, method: str) -> Cell:
        route = self.cfg.routes[name]
        expected = self.promise.section(contract.MACHINES)[kind.name].outcomes[(name, method)]
        if route.auth == "iam":
            # Not sent: a machine caller has no identity-pool credentials to sign with.
            return Cell(
                kind.name,
                name,
                method,
                expected,
                matched=expected == NOT_APPLICABLE,
                note=NOT_APPLICABLE_NOTE,
            )
        try:
            planned = plan(
                route, method, writes=self.writes, fixture=lambda maker: getattr(self.records, maker)()
            )
            if planned.request is None:
                return Cell(kind.name, name, method, expected, skipped=planned.skipped)
            request = planned.request
            response = session.request(request.method, request.path, request.body, auth=route.auth)
        except _CALL_ERRORS as exc:
            return Cell(kind.name, name, method, expected, note=f"{type(exc).__name__}: {exc}")
        made = created_id(route, method, response)
        if made is not None:
            created = (made, str(session.machine["client_id"]))
            with self.ledger.lock:
                self.machine_pets.append(created)
            # Removed at once, not only with the run: a declared client is not the run's own, so a
            # sweep could never tell its item from one it created outside the run.
            self._step(
                "removing the item a machine caller created", lambda: self.records.remove_pets([created])
            )
        matched = expected != NOT_APPLICABLE and matches(expected, route, method, response)
        note = (
            ""
            if matched
            else (response.headers.get("x-amzn-ErrorType", "").split(":", 1)[0] or "answered by the handler")
        )
        return Cell(kind.name, name, method, expected, response.status_code, matched, note)

    # --- removal ---------------------------------------------------------------------------------

    def _step(self, what: str, action: Callable[[], Any]) -> Any:
        try:
            return action()
        except (*_CALL_ERRORS, RuntimeError) as exc:
            self.report.errors.append(f"{what}: {type(exc).__name__}: {exc}")
            return None

    def _delete_identities(self, identity_ids: list[str]) -> list[str]:
        """DeleteIdentities in batches; returns the ids it could not delete."""
        if not identity_ids:
            return []
        client = aws_client(self.stack, "cognito-identity", signed=True)
        failed: list[str] = []
        for start in range(0, len(identity_ids), IDENTITY_BATCH):
            answer = client.delete_identities(
                IdentityIdsToDelete=identity_ids[start : start + IDENTITY_BATCH]
            )
            failed += [str(u["IdentityId"]) for u in answer.get("UnprocessedIdentityIds", [])]
        return failed

    def _remove_principals(self, found: list[tuple[PrincipalSource, Principal]], counter: Any) -> None:
        """Their records, then their identities, then the principals themselves (in that order, so
        a run killed halfway still leaves each record findable through a principal)."""
        principals = [p for _, p in found]
        counter["records"] += (
            self._step(
                "removing the records of the run's users", lambda: self.records.remove_owned(principals)
            )
            or 0
        )
        identities = sorted({p.identity_id for p in principals if p.identity_id})
        failed = self._step("removing identities", lambda: self._delete_identities(identities))
        counter["identities"] += len(identities) - len(failed or [])
        for identity in failed or []:
            self.report.leftovers.append(f"identity {identity}")
        for source, principal in found:
            if self._step(f"removing user {principal.username}", partial(_removed, source, principal)):
                counter["users"] += 1

    def _sweep(self) -> None:
        stale: list[tuple[PrincipalSource, Principal]] = []
        for source in self.sources():
            for principal in self._step("listing earlier runs' users", source.find) or []:
                if principal.run_id != self.run_id and is_stale(principal.run_id, self.sweep_older_than):
                    self._step(f"recovering {principal.username}", partial(source.recover, principal))
                    stale.append((source, principal))
        if stale:
            self._remove_principals(stale, self.report.swept)
        fixtures = self._step(
            "sweeping earlier runs' items", lambda: self.records.sweep_fixtures(self.sweep_older_than)
        )
        self.report.swept["items"] += fixtures or 0
        swept = ", ".join(f"{n} {what}" for what, n in sorted(self.report.swept.items()) if n)
        if swept:
            self.say(f"swept earlier runs' leftovers: {swept}")

    def _remove(self) -> None:
        with self.ledger.lock:
            created = list(self.ledger.principals)
            identities = list(self.ledger.identities)
        self.report.created["users"] = len(created)
        self.report.created["identities"] = len(identities)
        self.report.created["items"] = len(self.records.written)
        self._remove_principals(created, self.report.removed)
        # identities the sessions reported but no principal holds (an external session's, say)
        orphans = sorted(set(identities) - {p.identity_id for _, p in created if p.identity_id})
        failed = self._step("removing identities", lambda: self._delete_identities(orphans))
        self.report.removed["identities"] += len(orphans) - len(failed or [])
        self.report.removed["items"] += self._step("removing the run's items", self.records.remove_run) or 0
        with self.ledger.lock:
            machine_pets = list(self.machine_pets)
        self.report.created["items"] += len(machine_pets)
        self.report.removed["items"] += (
            self._step(
                "removing the items machine callers created", lambda: self.records.remove_pets(machine_pets)
            )
            or 0
        )

    def _check_nothing_left(self) -> None:
        principals = [p for _, p in self.ledger.principals]
        for source in self.sources():
            for principal in self._step("listing the run's users", partial(source.find, self.run_id)) or []:
                self.report.leftovers.append(f"user {principal.username}")
        for pk, sk, _ in (
            self._step("listing the run's items", lambda: self.records.fixtures_left(self.run_id)) or []
        ):
            self.report.leftovers.append(f"item {pk}/{sk}")
        for record in (
            self._step("listing the users' records", lambda: self.records.profiles_left(principals)) or []
        ):
            self.report.leftovers.append(f"record {record}")


def _removed(source: PrincipalSource, principal: Principal) -> bool:
    source.remove(principal)
    return True


def verify(stack: Stack, *, env: str, **options: Any) -> Report:
    """Run every contract cell against `stack` (see LiveRun for the options)."""
    return LiveRun(stack, env=env, **options).run()

"""EventBridge's delivery to Lambda targets, asynchronously, through the local Lambda runtime.

As on AWS: a rule delivers only while ENABLED and only events its pattern matches (moto's matcher);
a Lambda target is invoked asynchronously, and only if the function's resource-based policy lets
`events.amazonaws.com` invoke it with the rule's ARN as `AWS:SourceArn` (else nothing runs, and a
warning is logged: on AWS the invocation fails). An asynchronous invocation that fails is retried
twice (Lambda's default for asynchronous invocations), then sent to the function's dead-letter
queue (its DeadLetterConfig, an SQS queue in the emulator) when it has one. Other target kinds go
to moto's own delivery.

Invocations run on up to CONCURRENCY background threads, as Lambda runs asynchronous invocations
concurrently (one slow invocation, e.g. the revocation feed waiting to flush a cache, holds up no
other event), with a runtime bound to the emulator URL `configure()` was given (start_emulator gives
it its own), up to CONCURRENCY warm workers per function. `drain()` waits until everything queued
has run: tests use it instead of sleeping.
"""

from __future__ import annotations

import copy
import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from local.apigateway.permissions import invoke_allowed
from local.awslambda.types import LambdaRuntime

logger = logging.getLogger(__name__)

EVENTS_PRINCIPAL = "events.amazonaws.com"
#: Lambda retries a failed asynchronous invocation twice by default.
ASYNC_ATTEMPTS = 3
#: Deliveries in flight at once (threads, and warm workers per function).
CONCURRENCY = 4

RuntimeFactory = Callable[[str, str], LambdaRuntime]  # (emulator url, region) -> runtime


@dataclass(frozen=True)
class Invocation:
    function_arn: str
    event: dict[str, Any]
    rule_arn: str
    account_id: str
    region: str
    queued_at: float = 0.0  # time.monotonic() when the event matched the rule


@dataclass
class Outcome:
    """What happened to one delivery (kept for tests and logs)."""

    invocation: Invocation
    status: str  # "invoked" | "failed" | "dead_lettered" | "not_permitted" | "no_runtime"
    attempts: int = 0
    waited_seconds: float = 0.0  # queued, before a delivery thread took it
    ran_seconds: float = 0.0  # the invocation(s), retries included


class _Deliveries:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: queue.Queue[Invocation] = queue.Queue()
        self._url: str | None = None
        self._factory: RuntimeFactory | None = None
        self._runtimes: dict[str, LambdaRuntime] = {}
        self._threads: list[threading.Thread] = []
        self.outcomes: list[Outcome] = []

    def configure(self, emulator_url: str, factory: RuntimeFactory | None = None) -> None:
        with self._lock:
            if self._url != emulator_url:
                self._close_runtimes()
            self._url = emulator_url
            self._factory = factory

    def submit(self, invocation: Invocation) -> None:
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            if len(self._threads) < CONCURRENCY:
                thread = threading.Thread(
                    target=self._run, name=f"eventbridge-delivery-{len(self._threads)}", daemon=True
                )
                thread.start()
                self._threads.append(thread)
        self._queue.put(invocation)

    def drain(self, timeout: float) -> bool:
        """Wait until every submitted invocation has run; False on timeout."""
        done = threading.Event()

        def wait() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=wait, daemon=True).start()
        return done.wait(timeout)

    def close(self) -> None:
        with self._lock:
            self._close_runtimes()

    def _close_runtimes(self) -> None:
        for runtime in self._runtimes.values():
            close = getattr(runtime, "close", None)
            if callable(close):
                close()
        self._runtimes.clear()

    def _runtime(self, region: str) -> LambdaRuntime | None:
        with self._lock:
            if self._url is None:
                return None
            runtime = self._runtimes.get(region)
            if runtime is None:
                factory = self._factory or _default_factory
                runtime = self._runtimes[region] = factory(self._url, region)
            return runtime

    def _run(self) -> None:
        while True:
            invocation = self._queue.get()
            started = time.monotonic()
            try:
                outcome = self._deliver(invocation)
            except Exception as exc:  # a delivery bug must not stop later deliveries
                logger.warning("eventbridge: delivery to %s failed: %r", invocation.function_arn, exc)
                outcome = Outcome(invocation, "failed")
            outcome.waited_seconds = started - invocation.queued_at if invocation.queued_at else 0.0
            outcome.ran_seconds = time.monotonic() - started
            self.outcomes.append(outcome)  # list.append is atomic
            self._queue.task_done()

    def _deliver(self, invocation: Invocation) -> Outcome:
        if not _permitted(invocation):
            logger.warning(
                "eventbridge: %s does not let events.amazonaws.com invoke it for %s",
                invocation.function_arn,
                invocation.rule_arn,
            )
            return Outcome(invocation, "not_permitted")
        runtime = self._runtime(invocation.region)
        if runtime is None:
            logger.warning("eventbridge: no emulator URL configured; %s not invoked", invocation.function_arn)
            return Outcome(invocation, "no_runtime")
        for attempt in range(1, ASYNC_ATTEMPTS + 1):
            result = runtime.invoke(invocation.function_arn, invocation.event)
            if result.error_type is None:
                return Outcome(invocation, "invoked", attempt)
            logger.warning(
                "eventbridge: %s failed (%s), attempt %d of %d",
                invocation.function_arn,
                result.error_type,
                attempt,
                ASYNC_ATTEMPTS,
            )
        if _send_to_dead_letter_queue(invocation):
            return Outcome(invocation, "dead_lettered", ASYNC_ATTEMPTS)
        return Outcome(invocation, "failed", ASYNC_ATTEMPTS)


_deliveries = _Deliveries()


def configure(emulator_url: str, factory: RuntimeFactory | None = None) -> None:
    """The emulator URL the Lambda runtime's functions call back (start_emulator sets it)."""
    _deliveries.configure(emulator_url, factory)


def drain(timeout: float = 60.0) -> bool:
    return _deliveries.drain(timeout)


def outcomes() -> list[Outcome]:
    return list(_deliveries.outcomes)


def close() -> None:
    _deliveries.close()


def _default_factory(url: str, region: str) -> LambdaRuntime:
    from local.awslambda import make_runtime  # noqa: PLC0415 - only when something is delivered

    return make_runtime(url, region, max_workers_per_function=CONCURRENCY)


def publish(account_id: str, region: str, event: dict[str, Any]) -> None:
    """Put `event` (a full EventBridge message) on the account's default bus: every rule sees it."""
    from moto.events.models import events_backends  # noqa: PLC0415 - moto is heavy

    bus = events_backends[account_id][region].event_buses.get("default")
    if bus is None:
        return
    for rule in list(bus.rules.values()):
        rule.send_to_targets(copy.deepcopy(event))  # type: ignore[arg-type] # moto's TypedDict


def send_lambda_targets(rule: Any, event: dict[str, Any], targets: list[dict[str, Any]]) -> None:
    """Queue one asynchronous invocation per Lambda target of `rule` (its pattern matched)."""
    for target in targets:
        payload = event
        constant = target.get("Input")
        if constant:
            payload = json.loads(constant)
        _deliveries.submit(
            Invocation(
                function_arn=str(target["Arn"]),
                event=payload,
                rule_arn=str(rule.arn),
                account_id=str(rule.account_id),
                region=str(rule.region_name),
                queued_at=time.monotonic(),
            )
        )


def _function(invocation: Invocation) -> Any | None:
    from moto.awslambda.models import lambda_backends  # noqa: PLC0415

    try:
        return lambda_backends[invocation.account_id][invocation.region].get_function(invocation.function_arn)
    except Exception:
        return None


def _permitted(invocation: Invocation) -> bool:
    from moto.awslambda.models import lambda_backends  # noqa: PLC0415

    backend = lambda_backends[invocation.account_id][invocation.region]
    try:
        policy = json.loads(backend.get_policy(invocation.function_arn))["Policy"]  # as GetPolicy answers
    except Exception:
        return False
    return invoke_allowed(
        policy,
        invocation.function_arn,
        [invocation.rule_arn],
        invocation.account_id,
        principal=EVENTS_PRINCIPAL,
    )


def _send_to_dead_letter_queue(invocation: Invocation) -> bool:
    function = _function(invocation)
    config = getattr(function, "local_dead_letter_config", None) or {}
    target = str(config.get("TargetArn") or "")
    if ":sqs:" not in target:
        return False
    from moto.sqs.models import sqs_backends  # noqa: PLC0415

    _, _, _, region, account, name = target.split(":", 5)
    try:
        sqs_backends[account][region].send_message(name, json.dumps(invocation.event))
    except Exception as exc:
        logger.warning("eventbridge: dead-letter queue %s refused the event: %r", target, exc)
        return False
    return True

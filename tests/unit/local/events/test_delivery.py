"""EventBridge's local delivery scheduler (local/events/delivery.py): deliveries run concurrently, as
Lambda runs asynchronous invocations, so one slow invocation (the revocation feed waits before it
flushes a cache) holds up no other event. The runtime is a stand-in; the permission check, which
reads the emulator's Lambda policies, is tested with the emulator (tests/functional/local/events)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from local.awslambda.types import InvokeResult
from local.events import delivery


class _Runtime:
    """Invocations of `slow` block until released; every other returns at once."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.finished: list[str] = []

    def invoke(self, function: str, event: dict[str, Any]) -> InvokeResult:
        if function == "slow":
            self.release.wait(10)
        self.finished.append(function)
        return InvokeResult({}, None, None, 0.0)


def _invocation(function: str) -> delivery.Invocation:
    return delivery.Invocation(function, {}, "arn:rule", "123456789012", "us-east-1", time.monotonic())


def test_a_slow_invocation_holds_up_no_other_event(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(delivery, "_permitted", lambda invocation: True)
    runtime = _Runtime()
    deliveries = delivery._Deliveries()
    deliveries.configure("http://emulator", lambda url, region: runtime)  # type: ignore[arg-type,return-value]
    deliveries.submit(_invocation("slow"))
    for _ in range(delivery.CONCURRENCY - 1):
        deliveries.submit(_invocation("fast"))
    deadline = time.monotonic() + 5
    while runtime.finished.count("fast") < delivery.CONCURRENCY - 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    fast = ["fast"] * (delivery.CONCURRENCY - 1)
    assert runtime.finished == fast, "the fast events waited behind the slow one"
    runtime.release.set()
    assert deliveries.drain(5)
    assert runtime.finished[-1] == "slow"
    assert {o.status for o in deliveries.outcomes} == {"invoked"}
    assert all(o.waited_seconds >= 0 and o.ran_seconds >= 0 for o in deliveries.outcomes)

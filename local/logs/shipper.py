"""Log lines into the in-process emulator's CloudWatch Logs, the way Lambda and API Gateway deliver
them: each line one event in a group's stream, delivered in batches, never on the caller's path.

The local Lambda runtime ships each function's output to `/aws/lambda/<function>` (one stream per
worker, named as Lambda names an execution environment's stream) and the local gateway ships its
access-log lines to the stage's access log group. `add()` only appends to a queue under a lock; a
daemon thread delivers what accumulated every FLUSH_SECONDS (or at MAX_PENDING lines), through the
logs backend of the moto running in this process, so the emulator's metric filters
(local/logs/patches.py) see the same lines the files under .local/run/ hold.

A group that does not exist drops its batch (Lambda cannot write to a group it may not create;
the stack creates every group with its retention and key): the lines stay in the local files and
`dropped` counts them. A process without moto's logs backend (no emulator in it) ships nothing.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 0.25
MAX_PENDING = 5000
#: PutLogEvents takes at most 10,000 events per call.
MAX_BATCH = 10000


@dataclass
class LogShipper:
    account_id: str
    region: str
    flush_seconds: float = FLUSH_SECONDS
    delivered: int = 0
    dropped: int = 0
    _pending: list[tuple[str, str, int, str | Callable[[], str]]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _wake: threading.Event = field(default_factory=threading.Event)
    _flushing: threading.Lock = field(default_factory=threading.Lock)
    _thread: threading.Thread | None = None
    _closed: bool = False

    def add(
        self, group: str, stream: str, message: str | Callable[[], str], timestamp_ms: int | None = None
    ) -> None:
        """Queue one event (cheap: callers are on request paths). `message` may be a callable that
        builds the text: it is called at delivery, on the shipper's thread."""
        stamp = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
        with self._lock:
            if self._closed:
                return
            self._pending.append((group, stream, stamp, message))
            full = len(self._pending) >= MAX_PENDING
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="log-shipper", daemon=True)
                self._thread.start()
        if full:
            self._wake.set()

    def flush(self) -> int:
        """Deliver everything queued so far; returns the events delivered by this call."""
        with self._lock:
            batch, self._pending = self._pending, []
        if not batch:
            return 0
        with self._flushing:
            return self._deliver(batch)

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._wake.set()
        self.flush()

    def _run(self) -> None:
        while True:
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # a shipping failure must never take the runtime down
                logger.exception("log shipping failed")
            with self._lock:
                if self._closed and not self._pending:
                    return

    def _deliver(self, batch: list[tuple[str, str, int, str | Callable[[], str]]]) -> int:
        backend = _logs_backend(self.account_id, self.region)
        if backend is None:
            self.dropped += len(batch)
            return 0
        by_stream: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for group, stream, stamp, message in batch:
            text = message if isinstance(message, str) else message()
            by_stream[(group, stream)].append({"timestamp": stamp, "message": text})
        delivered = 0
        for (group, stream), events in by_stream.items():
            log_group = backend.groups.get(group)
            if log_group is None:
                self.dropped += len(events)
                continue
            if stream not in log_group.streams:
                backend.create_log_stream(group, stream)
            events.sort(key=lambda event: event["timestamp"])
            for start in range(0, len(events), MAX_BATCH):
                chunk = events[start : start + MAX_BATCH]
                backend.put_log_events(group, stream, chunk)
                delivered += len(chunk)
        self.delivered += delivered
        return delivered


def _logs_backend(account_id: str, region: str) -> Any | None:
    try:
        from moto.logs.models import logs_backends  # noqa: PLC0415 - only where an emulator runs
    except ImportError:  # pragma: no cover - moto is in the runtime lock
        return None
    return logs_backends[account_id][region]


_shippers: dict[tuple[str, str], LogShipper] = {}
_shippers_lock = threading.Lock()


def shipper_for(account_id: str, region: str) -> LogShipper:
    """The process's shipper for one account and region (created on first use)."""
    with _shippers_lock:
        found = _shippers.get((account_id, region))
        if found is None:
            found = _shippers[(account_id, region)] = LogShipper(account_id, region)
        return found


def flush_all() -> int:
    """Deliver every shipper's queue now (tests, and before a snapshot of the emulator)."""
    with _shippers_lock:
        shippers = list(_shippers.values())
    return sum(s.flush() for s in shippers)


@atexit.register
def _close_all() -> None:
    with _shippers_lock:
        shippers = list(_shippers.values())
    for s in shippers:
        with contextlib.suppress(Exception):  # nothing sensible to do about it at exit
            s.close()

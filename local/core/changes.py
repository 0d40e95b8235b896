"""The emulator's change feed, client side: "has the control-plane state changed since I read it?"

Why: the local API Gateway used to read, on every request, the stage list (to notice a
redeployment), the function's resource policy, its configuration and, in iam mode, the caller's
role policies from the emulator, each a botocore call of a few milliseconds. The emulator counts
the changes made through its API Gateway, Lambda and IAM APIs (`local/emulator/changes.py`) and
serves the count at :data:`CHANGES_PATH`; the gateway asks that one small question per request
and reads the rest again only after a change. Nothing here expires by time: a cached answer is
used only while the count it was read under is still the current one.

Contract:

* :class:`ChangeFeed` ``.observe()`` returns the emulator's current :class:`Generation`; it raises
  :class:`EmulatorUnreachable` when the emulator does not answer (so callers fail the way a failed
  read would), and returns None when the server at that URL has no change feed (a plain moto
  server): callers then read everything on every request, as before;
* :class:`Versioned` holds values read under one generation. ``get(key, g)`` answers only when `g`
  is the generation the values were read under; ``put(key, value, g)`` must be given the
  generation observed *before* the read (then a change that lands during the read can only make
  the value newer than its label, never older). A newer generation empties it;
* :func:`observing` / :func:`observed` hand a request's observation to code it calls (the Lambda
  runtime), so one request asks the emulator once: a request sees the state as of its start.

Guarantee: a request never runs on state older than the last change the emulator had acknowledged
when the request started (a change still being applied at that moment is concurrent with it and
may or may not be seen, as with any concurrent update).
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import socket
import threading
import urllib.parse
from collections.abc import Hashable, Iterator
from dataclasses import dataclass

__all__ = [
    "CHANGES_PATH",
    "ChangeFeed",
    "EmulatorUnreachable",
    "Generation",
    "Versioned",
    "observed",
    "observing",
]

#: Where the emulator serves its change count (GET, JSON `{"instance": str, "generation": int}`).
CHANGES_PATH = "/_local/changes"
PROBE_TIMEOUT_SECONDS = 5.0
#: Attempts per observation (a connection reset on the first is retried once, as the gateway's
#: botocore clients did with their reads).
PROBE_ATTEMPTS = 2
_MAX_ANSWER_BYTES = 64 * 1024


class EmulatorUnreachable(ConnectionError):
    """The emulator did not answer the change-feed request (down, restarting, refusing)."""


@dataclass(frozen=True)
class Generation:
    """The emulator's change count, tagged with the identity of the state it counts (a restarted
    emulator process starts counting again under a new instance)."""

    instance: str
    number: int

    def supersedes(self, other: Generation) -> bool:
        """True when values read under `other` may be out of date at this generation."""
        return self.instance != other.instance or self.number > other.number


def _parse_answer(raw: bytes) -> tuple[int | None, Generation | None]:
    """(HTTP status, the Generation) of an answer to the change-feed request; the Generation is
    None for any answer that is not exactly the feed's."""
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].split()
    if len(status_line) < 2 or not status_line[0].startswith(b"HTTP/1.") or not status_line[1].isdigit():
        return None, None
    status = int(status_line[1])
    if status != 200:
        return status, None
    try:
        document = json.loads(body)
    except ValueError:
        return status, None
    if not isinstance(document, dict) or set(document) != {"instance", "generation"}:
        return status, None
    instance, number = document["instance"], document["generation"]
    if not isinstance(instance, str) or not instance or type(number) is not int or number < 0:
        return status, None
    return status, Generation(instance, number)


class ChangeFeed:
    """Asks the emulator at `emulator_url` for its change count (see the module docstring)."""

    def __init__(self, emulator_url: str, *, timeout: float = PROBE_TIMEOUT_SECONDS) -> None:
        parts = urllib.parse.urlsplit(emulator_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"the change feed needs the emulator's http:// URL, got {emulator_url!r}")
        self.url = normalise(emulator_url)
        self._address = (parts.hostname, parts.port or 80)
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        self._request = (
            f"GET {CHANGES_PATH} HTTP/1.1\r\nHost: {host}:{self._address[1]}\r\n"
            "Accept: application/json\r\nConnection: close\r\n\r\n"
        ).encode()
        self._timeout = timeout
        self._supported: bool | None = None  # unknown until the first answer

    def observe(self) -> Generation | None:
        if self._supported is False:
            return None
        failure: OSError | None = None
        for _ in range(PROBE_ATTEMPTS):
            try:
                raw = self._ask()
            except OSError as exc:
                failure = exc
                continue
            status, generation = _parse_answer(raw)
            if generation is not None:
                self._supported = True
            elif status == 404 and self._supported is None:
                # A server without the feed (plain moto answers 404): no more questions. Its
                # callers read everything each time, which is always correct. Any other odd
                # answer only makes this one request read everything.
                self._supported = False
            return generation
        raise EmulatorUnreachable(f"the emulator at {self.url} did not answer: {failure}") from failure

    def _ask(self) -> bytes:
        with socket.create_connection(self._address, timeout=self._timeout) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.sendall(self._request)
            chunks: list[bytes] = []
            size = 0
            while chunk := sock.recv(16384):
                chunks.append(chunk)
                size += len(chunk)
                if size > _MAX_ANSWER_BYTES:
                    break
        raw = b"".join(chunks)
        if not raw:
            raise ConnectionResetError("the emulator closed the connection without an answer")
        return raw


def normalise(emulator_url: str) -> str:
    return emulator_url.rstrip("/")


_MISSING = object()


class Versioned[K: Hashable, V]:
    """Values read from the emulator under one generation (see the module docstring). Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._generation: Generation | None = None
        self._values: dict[K, V] = {}

    def _align(self, generation: Generation) -> bool:
        """Move to `generation` if it is newer; True when values are (now) labelled with it."""
        if self._generation is None or generation.supersedes(self._generation):
            self._generation = generation
            self._values.clear()
        return self._generation == generation

    def get(self, key: K, generation: Generation | None) -> V | None:
        """The value read under `generation`, or None (read it, then `put` it)."""
        if generation is None:
            return None
        with self._lock:
            if not self._align(generation):
                return None
            return self._values.get(key)

    def put(self, key: K, value: V, generation: Generation | None) -> None:
        """Keep `value`, read after observing `generation`; ignored when that is no longer current."""
        if generation is None:
            return
        with self._lock:
            if self._align(generation):
                self._values[key] = value

    def clear(self) -> None:
        with self._lock:
            self._generation = None
            self._values.clear()


_OBSERVED: contextvars.ContextVar[tuple[str, Generation | None] | None] = contextvars.ContextVar(
    "local_emulator_observed_generation", default=None
)


@contextlib.contextmanager
def observing(emulator_url: str, generation: Generation | None) -> Iterator[None]:
    """Within this block, code called by this thread uses `generation` as the request's view of
    the emulator at `emulator_url` instead of asking again."""
    token = _OBSERVED.set((normalise(emulator_url), generation))
    try:
        yield
    finally:
        _OBSERVED.reset(token)


def observed(emulator_url: str) -> tuple[bool, Generation | None]:
    """(True, the generation) inside :func:`observing` for this emulator, else (False, None)."""
    current = _OBSERVED.get()
    if current is None or current[0] != normalise(emulator_url):
        return False, None
    return True, current[1]

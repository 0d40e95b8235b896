"""Faults injected at the edges of the functions, on loopback only.

- `FaultyJwks`: a JWKS endpoint that can answer normally, fail (HTTP 5xx), hang past the client's
  timeout, answer garbage, reset the connection, go down (port closed) and come back on the same
  port, and rotate keys. It counts the requests it receives: the attempts a client made.
- `DynamoFaults`: an HTTP proxy in front of a moto server (DynamoDB's JSON protocol). Healthy, it
  forwards; faulted, it answers what DynamoDB answers when throttled (ProvisionedThroughputExceeded
  / ThrottlingException), failing (500 InternalServerError, 503 ServiceUnavailable), missing the
  table (ResourceNotFoundException), or it holds the request past the client's read timeout. A
  fault can be limited to one table and to the next N attempts; every attempt is counted.
- `ConnectCounter`: counts outbound TCP connects of this process (a port that refuses connections
  cannot count them itself).

The functions reach them through their documented environment (JWKS_URL, AWS_ENDPOINT_URL), so
the code under test is exactly what runs in Lambda.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

# Longest a hung request is held when nobody clears the fault (a test that forgets must still end).
MAX_HOLD_SECONDS = 60.0
DYNAMODB_ERRORS = {
    "throttled": (
        400,
        "ProvisionedThroughputExceededException",
        "The level of configured provisioned throughput for the table was exceeded.",
    ),
    "throttling": (400, "ThrottlingException", "Rate of requests exceeds the allowed throughput."),
    "internal_error": (500, "InternalServerError", "Internal server error"),
    "unavailable": (503, "ServiceUnavailable", "Service unavailable"),
    "table_missing": (400, "ResourceNotFoundException", "Requested resource not found"),
}
DYNAMODB_FAULTS = (*DYNAMODB_ERRORS, "timeout", "reset")
_DYNAMODB_PREFIX = "com.amazonaws.dynamodb.v20120810#"


class _Server:
    """A ThreadingHTTPServer on 127.0.0.1 that can be taken down and brought back on its port."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self._handler = handler
        self._httpd: ThreadingHTTPServer | None = None
        self.port = 0
        self.release = threading.Event()  # set: every held request is let go
        self._start()

    def _start(self) -> None:
        httpd = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler)
        httpd.daemon_threads = True
        self.port = int(httpd.server_address[1])
        threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
        self._httpd = httpd

    def down(self) -> None:
        """Close the listening socket: connections are refused until `up()`."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def up(self) -> None:
        if self._httpd is None:
            self._start()

    def close(self) -> None:
        self.release.set()
        self.down()


class FaultyJwks:
    """A JWKS endpoint with a `mode`: ok, error, slow, garbage, reset (and `down()`/`up()`)."""

    MODES = ("ok", "error", "slow", "garbage", "reset")

    def __init__(self, jwks: list[dict[str, Any]]) -> None:
        self.jwks = list(jwks)
        self.mode = "ok"
        self.garbage = b"<html>not json</html>"
        self.requests = 0
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                with owner._lock:
                    owner.requests += 1
                    mode = owner.mode
                    body = json.dumps({"keys": owner.jwks}).encode()
                if mode == "reset":
                    _reset(self.connection)
                    self.close_connection = True
                    return
                if mode == "slow":
                    owner._server.release.wait(MAX_HOLD_SECONDS)
                if mode == "error":
                    self._answer(503, b'{"message":"unavailable"}')
                elif mode == "garbage":
                    self._answer(200, owner.garbage)
                else:
                    self._answer(200, body)

            def _answer(self, status: int, body: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the client gave up (timeout) before the answer
                    self.close_connection = True

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = _Server(Handler)
        self.url = f"http://127.0.0.1:{self._server.port}/pool/.well-known/jwks.json"

    def set(self, mode: str, jwks: list[dict[str, Any]] | None = None) -> None:
        if mode not in self.MODES:
            raise ValueError(f"mode must be one of {self.MODES}")
        with self._lock:
            self.mode = mode
            if jwks is not None:
                self.jwks = list(jwks)
        if mode == "slow":
            self._server.release.clear()
        else:
            self._server.release.set()

    def take_requests(self) -> int:
        """Requests received since the last call (the attempts of one step of a test)."""
        with self._lock:
            count, self.requests = self.requests, 0
        return count

    def down(self) -> None:
        self._server.down()

    def up(self) -> None:
        self._server.up()

    def close(self) -> None:
        self._server.close()


class DynamoFaults:
    """The proxy (see the module docstring). `fault=None`: forward everything to `upstream`."""

    def __init__(self, upstream: str) -> None:
        target = urlsplit(upstream)
        self._upstream = (target.hostname or "127.0.0.1", int(target.port or 80))
        self.fault: str | None = None
        self.table: str | None = None  # only requests naming this table are faulted
        self.remaining: int | None = None  # only the next N matching attempts are faulted
        self.attempts: Counter[str] = Counter()  # operation -> requests received
        self.faulted: Counter[str] = Counter()  # operation -> requests answered with the fault
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                operation = (self.headers.get("X-Amz-Target") or "").rpartition(".")[2] or "?"
                fault = owner._claim(operation, body)
                if fault is None:
                    self._forward(body)
                elif fault == "timeout":
                    owner._server.release.wait(MAX_HOLD_SECONDS)
                    self.close_connection = True
                elif fault == "reset":
                    _reset(self.connection)
                    self.close_connection = True
                else:
                    status, code, message = DYNAMODB_ERRORS[fault]
                    payload = json.dumps({"__type": _DYNAMODB_PREFIX + code, "message": message}).encode()
                    self._answer(status, [("Content-Type", "application/x-amz-json-1.0")], payload)

            def _forward(self, body: bytes) -> None:
                connection = http.client.HTTPConnection(*owner._upstream, timeout=30)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                    connection.request("POST", self.path, body=body, headers=headers)
                    response = connection.getresponse()
                    payload = response.read()
                    kept = [
                        (k, v)
                        for k, v in response.getheaders()
                        if k.lower() not in ("content-length", "connection", "transfer-encoding")
                    ]
                    self._answer(response.status, kept, payload)
                finally:
                    connection.close()

            def _answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
                try:
                    self.send_response(status)
                    for name, value in headers:
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    self.close_connection = True

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = _Server(Handler)
        self.url = f"http://127.0.0.1:{self._server.port}"

    def _claim(self, operation: str, body: bytes) -> str | None:
        """The fault this request gets (None: forward it), counting it either way."""
        with self._lock:
            self.attempts[operation] += 1
            if self.fault is None or (self.table is not None and self.table not in _tables(body)):
                return None
            if self.remaining is not None:
                if self.remaining <= 0:
                    return None
                self.remaining -= 1
            self.faulted[operation] += 1
            return self.fault

    def inject(self, fault: str | None, *, table: str | None = None, times: int | None = None) -> None:
        """Fault the next `times` requests (all while set when None) naming `table` (any when None)."""
        if fault is not None and fault not in DYNAMODB_FAULTS:
            raise ValueError(f"fault must be one of {DYNAMODB_FAULTS}")
        with self._lock:
            self.fault, self.table, self.remaining = fault, table, times
        if fault == "timeout":
            self._server.release.clear()
        else:
            self._server.release.set()

    def clear(self) -> None:
        self.inject(None)

    def take_counts(self) -> tuple[Counter[str], Counter[str]]:
        """(attempts, faulted) since the last call, per operation."""
        with self._lock:
            attempts, faulted = self.attempts, self.faulted
            self.attempts, self.faulted = Counter(), Counter()
        return attempts, faulted

    def close(self) -> None:
        self._server.close()


def _tables(body: bytes) -> set[str]:
    try:
        request = json.loads(body or b"{}")
    except ValueError:
        return set()
    names = set(request.get("RequestItems") or {})
    if isinstance(request.get("TableName"), str):
        names.add(request["TableName"])
    return names


def _reset(connection: socket.socket) -> None:
    """Close with RST (SO_LINGER 0), like a crashed server or a dropped load balancer target."""
    try:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        connection.close()
    except OSError:
        pass


class ResettingPort:
    """Listens on a port that a paused server released, counts each connection and resets it:
    a restarting service whose port accepts but answers nothing (the client sees a reset)."""

    def __init__(self, host: str, port: int) -> None:
        self.connections = 0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self._sock.listen(64)
        self._sock.settimeout(0.05)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            _reset(connection)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()

    def __enter__(self) -> ResettingPort:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ConnectCounter:
    """Counts `socket.connect` calls to one port (attempts against a port that refuses them)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.count = 0

    def take(self) -> int:
        count, self.count = self.count, 0
        return count


@contextmanager
def counting_connects(monkeypatch: pytest.MonkeyPatch, port: int) -> Iterator[ConnectCounter]:
    counter = ConnectCounter(port)
    original = socket.socket.connect

    def connect(sock: socket.socket, address: Any) -> Any:
        if isinstance(address, tuple) and len(address) >= 2 and address[1] == port:
            counter.count += 1
        return original(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    yield counter


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])

"""Serve the deployed REST API at ``http://<host>:<port>/<stage>/...`` in a background thread.

Contract: :func:`start_gateway` returns a :class:`GatewayHandle` (``.url``, ``.reload()`` after a
new deployment, ``.stop()``, usable as a context manager). With ``api_id=None`` the single REST
API in the emulator is served; it is read on first use, so the gateway may start before
``terraform apply`` creates the API. Lambda functions run in the runtime passed in, or in
``local.awslambda.make_runtime(emulator_url, region)`` created on first use and
closed by ``stop()``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from local.apigateway import sigv4
from local.apigateway.api_model import ApiModel, ApiNotFound, emulator_clients
from local.apigateway.app import MAX_REQUEST_HEAD_BYTES, Clock, GatewayApp, request_head_bytes, utc_now
from local.apigateway.logs import emit, log
from local.apigateway.messages import HttpRequest
from local.awslambda.types import LambdaRuntime
from local.core.changes import ChangeFeed

__all__ = ["GatewayHandle", "start_gateway"]

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit for REST APIs
SHUTDOWN_POLL_SECONDS = 0.05  # how often the serving loop checks for stop() (socketserver's default is 0.5)


class _LazyRuntime:
    """Creates the real Lambda runtime on first use (it starts worker processes)."""

    def __init__(self, emulator_url: str, region: str, given: LambdaRuntime | None) -> None:
        self._emulator_url = emulator_url
        self._region = region
        self._runtime = given
        self._owned = given is None
        self._lock = threading.Lock()

    def __call__(self) -> LambdaRuntime:
        with self._lock:
            if self._runtime is None:
                from local.awslambda import make_runtime  # noqa: PLC0415 (starts processes)

                self._runtime = make_runtime(self._emulator_url, self._region)
            return self._runtime

    def close(self) -> None:
        with self._lock:
            if self._owned and self._runtime is not None:
                self._runtime.close()
                self._runtime = None


def _handler_class(app: GatewayApp) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # TCP_NODELAY: headers and body leave in two writes, and with Nagle's algorithm the body
        # waited for the client's delayed ACK, ~40 ms on every keep-alive request (measured: p50
        # 64 ms -> 16 ms through the whole local stack, docs/benchmarks.md).
        disable_nagle_algorithm = True
        server_version = "local-apigateway"
        sys_version = ""

        def log_message(self, format: str, *args: Any) -> None:
            """The gateway writes its own JSON access log."""

        def _read_body(self) -> bytes | None:
            if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                chunks = []
                total = 0
                while True:
                    size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline().strip():
                            pass
                        break
                    total += size
                    if total > MAX_BODY_BYTES:
                        return None
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
                return b"".join(chunks)
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = MAX_BODY_BYTES + 1  # unreadable: refuse like an oversized body
            if length > MAX_BODY_BYTES:
                return None
            return self.rfile.read(length) if length > 0 else b""

        def _serve(self) -> None:
            raw_path, _, query = self.path.partition("?")
            head = HttpRequest(
                method=self.command,
                raw_path=raw_path,
                query=query,
                headers=tuple((k, v) for k, v in self.headers.items()),
                body=b"",
                source_ip=self.client_address[0],
                protocol=self.request_version,
            )
            if request_head_bytes(head) > MAX_REQUEST_HEAD_BYTES:
                response = app.handle(head)  # refused before the body is read
                self.close_connection = True
            else:
                body = self._read_body()
                response = app.handle(replace(head, body=body or b""), too_large=body is None)
                if body is None:
                    self.close_connection = True  # the unread body is still on the socket
            self.send_response(response.status)
            for name, value in response.headers:
                if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    return Handler


class GatewayHandle:
    def __init__(self, server: ThreadingHTTPServer, app: GatewayApp, runtime: _LazyRuntime) -> None:
        self._server = server
        self._runtime = runtime
        self.app = app
        host, port = server.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
            name="local-apigateway",
            daemon=True,
        )
        self._thread.start()

    def reload(self) -> ApiModel:
        """Re-read the API (after a deployment) and flush the Lambda authorizer cache."""
        return self.app.reload()

    @property
    def runtime(self) -> LambdaRuntime:
        """The Lambda runtime the gateway invokes functions through (created on first use)."""
        return self._runtime()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        self._runtime.close()

    def __enter__(self) -> GatewayHandle:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start_gateway(  # noqa: PLR0917 (positional order is the documented interface)
    emulator_url: str,
    region: str,
    api_id: str | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    runtime: LambdaRuntime | None = None,
    *,
    resolver: sigv4.CredentialsResolver | None = None,
    clock: Clock | None = None,
    jwks_url: Callable[[str], str] | None = None,
    enforce_lambda_permissions: bool = True,
    watch_deployments: bool = True,
) -> GatewayHandle:
    """Start serving; see the module docstring. ``resolver`` (credentials for SigV4), ``clock``
    (authorizer cache TTLs and SigV4 dates) and ``jwks_url`` (per user pool id) are injectable
    for tests; they default to the emulator's credentials registry, the wall clock and
    ``<emulator_url>/<pool id>/.well-known/jwks.json``. What the gateway reads from the emulator
    is kept until the emulator's change count moves (`local/core/changes.py`); against a server
    without that count (plain moto) it is read on every request."""
    base = emulator_url.rstrip("/")
    lazy = _LazyRuntime(emulator_url, region, runtime)
    app = GatewayApp(
        clients=emulator_clients(emulator_url, region),
        region=region,
        api_id=api_id,
        runtime=lazy,
        jwks_url=jwks_url or (lambda pool_id: f"{base}/{pool_id}/.well-known/jwks.json"),
        resolver=resolver or sigv4.default_resolver,
        clock=clock or utc_now,
        enforce_lambda_permissions=enforce_lambda_permissions,
        watch_deployments=watch_deployments,
        changes=ChangeFeed(emulator_url),
    )
    try:
        app.reload()
    except ApiNotFound as exc:
        if api_id is not None:
            raise
        emit(log, logging.INFO, "api_not_yet_deployed", detail=str(exc))
    server = ThreadingHTTPServer((host, port), _handler_class(app))
    server.daemon_threads = True
    return GatewayHandle(server, app, lazy)

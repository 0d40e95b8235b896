"""Serve the browser console (static files + the running stack's public settings) on its own origin.

Why its own origin: a front end never shares an origin with the API or with Cognito, so the console
is served at `http://localhost:<port>` while the API gateway and the emulator answer on
`http://127.0.0.1:<other ports>`: every call the console makes is cross-origin and CORS is exercised
for real. (`localhost`, not `127.0.0.1`: Cognito accepts plain-http callback URLs only for
localhost, and the user_pool module enforces the same rule.)

Contract: `start_console(port=0)` binds the port at once (so the origin can go into
`terraform apply` as the API's CORS origin and the app client's callback/sign-out URLs) and serves
static files immediately; `handle.publish(stack)` then makes `/config.json` and
`/expectations.json` answer (503 until then). Endpoints:

- `/`, `/callback`: the single page (`static/index.html`); `/static/<file>`: its scripts and styles;
- `/config.json`: what a deployed front end is configured with (region, API URL, Cognito ids and
  endpoints, routes with the request the matrix sends for each), plus the demo users with their
  passwords so a person can sign in as any of them (local demo users only, random per stack);
- `/expectations.json`: the expected outcome per user and route (local/console/expectations.py).

Only loopback: the server binds 127.0.0.1 and answers only requests whose Host is
`localhost:<port>` or `127.0.0.1:<port>` (a DNS-rebinding page cannot read the demo passwords); no
response carries CORS headers, so pages of other origins cannot read it either.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from local.console.expectations import expectations
from tools import config
from tools.matrix import probe

__all__ = ["ConsoleHandle", "public_config", "start_console"]

STATIC_DIR = Path(__file__).resolve().parent / "static"
#: The files the console consists of (nothing else under static/ is ever served).
STATIC_FILES = {
    "console.css": "text/css; charset=utf-8",
    "console.js": "text/javascript; charset=utf-8",
    "oauth.js": "text/javascript; charset=utf-8",
    "sigv4.js": "text/javascript; charset=utf-8",
}
PAGE_PATHS = ("/", "/callback", "/index.html")
CALLBACK_PATH = "/callback"
SHUTDOWN_POLL_SECONDS = 0.05


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def public_config(stack: dict[str, Any], origin: str) -> dict[str, Any]:
    """The settings a deployed single-page app would be built with, from the stack description."""
    cfg = config.load(stack["environment"])
    region = stack["region"]
    emulator = stack["emulator_url"].rstrip("/")
    return {
        "region": region,
        "api_url": stack["api_url"],
        "stage": stack["stage"],
        "user_pool_id": stack["user_pool_id"],
        "client_id": stack["user_pool_client_id"],
        "identity_pool_id": stack["identity_pool_id"],
        # AWS: https://cognito-identity.<region>.amazonaws.com/ and the pool domain's /oauth2/...
        "cognito_identity_endpoint": f"{emulator}/",
        "hosted_ui": stack["hosted_ui"],
        "user_pool_provider": f"cognito-idp.{region}.amazonaws.com/{stack['user_pool_id']}",
        "redirect_uri": f"{origin}{CALLBACK_PATH}",
        "logout_uri": f"{origin}/",
        # What the hosted UI is asked for: the web client's OIDC scopes from the access model (an ID
        # token, and the scopes the scope-protected user_pool routes need).
        "scopes": list(cfg.access.oauth.oidc_scopes),
        # The product's sign-out (not a route of the access model), and the lambda route the console
        # calls with the old access token afterwards to show that it is refused.
        "signout_path": stack["signout_path"],
        "revocation_probe": revocation_probe(cfg),
        "routes": [
            {
                "name": r.name,
                "method": r.method,
                "path": r.path,
                "auth": r.auth,
                "scopes": list(r.scopes),
                "probe": {"method": p.method, "path": p.path, "body": p.body},
            }
            for r in cfg.routes.values()
            for p in [probe(r)]
        ],
        "users": [
            {
                "name": u["name"],
                "username": u["username"],
                "password": u["password"],
                "groups": u["groups"],
                "external": u["external"],
            }
            for u in stack["users"]
        ],
    }


def revocation_probe(cfg: config.EnvConfig) -> dict[str, str]:
    """A lambda route read with GET (never a write: it is called until the answer changes)."""
    for route in sorted(cfg.routes.values(), key=lambda r: r.name):
        check = probe(route)
        if route.auth == "lambda" and check.method == "GET":
            return {"name": route.name, "method": check.method, "path": check.path}
    raise LookupError("the access model has no lambda route read with GET for the console's sign-out")


def _csp(stack: dict[str, Any] | None) -> str:
    """Scripts and styles only from the console itself; fetches only to the API and Cognito."""
    connect = ["'self'"]
    if stack is not None:
        connect += [_origin(stack["api_url"]), _origin(stack["emulator_url"])]
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src {' '.join(connect)}",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )


@dataclass
class _State:
    port: int
    stack: dict[str, Any] | None = None
    documents: dict[str, bytes] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def origin(self) -> str:
        return f"http://localhost:{self.port}"


def _handler_class(state: _State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "local-console"
        sys_version = ""

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the console's requests are not part of the product's logs."""

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Referrer-Policy", "no-referrer")
            with state.lock:
                self.send_header("Content-Security-Policy", _csp(state.stack))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _json(self, status: int, payload: Any) -> None:
            self._send(status, json.dumps(payload).encode(), "application/json")

        def do_GET(self) -> None:
            allowed_hosts = {f"localhost:{state.port}", f"127.0.0.1:{state.port}"}
            if self.headers.get("Host", "") not in allowed_hosts:
                self._json(421, {"message": "unknown Host: open the console at " + state.origin})
                return
            path = self.path.split("?", 1)[0]
            if path in PAGE_PATHS:
                self._send(200, (STATIC_DIR / "index.html").read_bytes(), "text/html; charset=utf-8")
            elif path.startswith("/static/") and path[len("/static/") :] in STATIC_FILES:
                name = path[len("/static/") :]
                self._send(200, (STATIC_DIR / name).read_bytes(), STATIC_FILES[name])
            elif path in ("/config.json", "/expectations.json"):
                with state.lock:
                    document = state.documents.get(path)
                if document is None:
                    self._json(503, {"message": "the local stack is still starting; reload in a moment"})
                else:
                    self._send(200, document, "application/json")
            else:
                self._json(404, {"message": f"no such page: {path}"})

        do_HEAD = do_GET

    return Handler


class ConsoleHandle:
    """A running console server: `.url` (its origin), `.publish(stack)`, `.stop()`."""

    def __init__(self, server: ThreadingHTTPServer, state: _State) -> None:
        self._server = server
        self._state = state
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
            name="local-console",
            daemon=True,
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return self._state.port

    @property
    def url(self) -> str:
        """The console's origin, http://localhost:<port> (what the API's CORS setting names)."""
        return self._state.origin

    def publish(self, stack: dict[str, Any]) -> None:
        """Serve the running stack's settings and expectations (computed once, here)."""
        documents = {
            "/config.json": json.dumps(public_config(stack, self.url)).encode(),
            "/expectations.json": json.dumps(expectations(stack)).encode(),
        }
        with self._state.lock:
            self._state.stack = stack
            self._state.documents = documents

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=10)
        self._server.server_close()

    def __enter__(self) -> ConsoleHandle:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start_console(port: int = 0) -> ConsoleHandle:
    """Bind 127.0.0.1:`port` (0: a free port) and start serving; see the module docstring."""
    state = _State(port=port)
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler_class(state))
    server.daemon_threads = True
    state.port = int(server.server_address[1])
    return ConsoleHandle(server, state)

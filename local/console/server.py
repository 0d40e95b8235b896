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
- `/expectations.json`: the expected outcome per user and route, and per machine caller and route
  (local/console/expectations.py);
- `POST /probe` `{"route": <name>, "id_token": <the page's ID token>}`: the request the page sends
  for that route, aimed so that the demo stays as seeded, and a ticket when something must be undone
  afterwards; `POST /probe/done` `{"ticket": ...}`: undo it (local/console/targets.py).

Machine callers are listed read-only (their name, scopes and governing policy, and their row of the
contract): a browser never holds a client secret, so the console cannot and does not call as one;
`python -m local call --client NAME METHOD PATH` does, from a terminal. `/config.json` carries no
client id or secret of a machine client.

Only loopback: the server binds 127.0.0.1 and answers only requests whose Host is
`localhost:<port>` or `127.0.0.1:<port>` (a DNS-rebinding page cannot read the demo passwords); no
response carries CORS headers, so pages of other origins cannot read it either. The POST endpoints
also require the console's own `Origin` and a JSON body of at most `MAX_POST_BYTES` (a page of
another origin cannot even make the server act: a form cannot send JSON, and a fetch of JSON
needs a preflight this server never grants).
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
from local.console.targets import TargetRefused, Targets
from tools import config
from tools.live.probes import READ_METHODS
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
PROBE_PATH = "/probe"
PROBE_DONE_PATH = "/probe/done"
#: A POST body at most (an ID token with many groups is a few KiB).
MAX_POST_BYTES = 64 * 1024
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
        # token), and the resource-server scopes the scope-protected user_pool routes need.
        "scopes": list(
            dict.fromkeys(
                [
                    *cfg.access.oauth.oidc_scopes,
                    *sorted({s for r in cfg.routes.values() if r.auth == "user_pool" for s in r.scopes}),
                ]
            )
        ),
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
                # A write is sent as POST /probe aims it (local/console/targets.py); a read as is.
                "prepare": p.method not in READ_METHODS,
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
        # Read-only: no client id, no secret (a browser must never hold a client secret).
        "machines": [
            {
                "name": m["name"],
                "declared": m["declared"],
                "scopes": list(m["scopes"]),
                "policy": m["policy_key"],
            }
            for m in stack.get("machines") or []
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
    targets: Targets | None = None
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

        def _host_allowed(self) -> bool:
            allowed_hosts = {f"localhost:{state.port}", f"127.0.0.1:{state.port}"}
            if self.headers.get("Host", "") in allowed_hosts:
                return True
            self._json(421, {"message": "unknown Host: open the console at " + state.origin})
            return False

        def do_GET(self) -> None:
            if not self._host_allowed():
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

        def do_POST(self) -> None:
            self.close_connection = True  # the body may be left unread on a refusal
            if not self._host_allowed():
                return
            try:
                request = self._json_body()
                with state.lock:
                    targets = state.targets
                if targets is None:
                    raise TargetRefused(503, "the local stack is still starting; reload in a moment")
                self._json(200, _answer(targets, self.path.split("?", 1)[0], request))
            except TargetRefused as refused:
                self._json(refused.status, {"message": refused.message})
            except Exception as exc:  # an emulator failure: the page shows it and sends nothing
                self._json(500, {"message": f"the console server failed: {type(exc).__name__}: {exc}"})

        def _json_body(self) -> dict[str, Any]:
            """The POST's JSON object, from the console's own page only."""
            if self.headers.get("Origin") != state.origin:
                raise TargetRefused(403, f"only the console's own page ({state.origin}) may call this")
            if self.headers.get_content_type() != "application/json":
                raise TargetRefused(415, "send a JSON body (Content-Type: application/json)")
            try:
                length = int(self.headers.get("Content-Length") or "")
            except ValueError:
                raise TargetRefused(411, "a Content-Length is required") from None
            if not 0 < length <= MAX_POST_BYTES:
                raise TargetRefused(413, f"the body must be 1 to {MAX_POST_BYTES} bytes")
            raw = self.rfile.read(length)
            self.close_connection = False  # read in full: the connection may serve the next call
            try:
                request = json.loads(raw)
            except ValueError:
                request = None
            if not isinstance(request, dict):
                raise TargetRefused(400, "the body must be a JSON object")
            return request

    return Handler


def _answer(targets: Targets, path: str, request: dict[str, Any]) -> dict[str, Any]:
    """POST /probe and /probe/done (see the module docstring)."""
    if path == PROBE_PATH:
        route, token = request.get("route"), request.get("id_token")
        if not isinstance(route, str) or not (token is None or isinstance(token, str)):
            raise TargetRefused(400, 'send {"route": <route name>, "id_token": <your ID token>}')
        return targets.prepare(route, token).describe()
    if path == PROBE_DONE_PATH:
        ticket = request.get("ticket")
        if not isinstance(ticket, str):
            raise TargetRefused(400, 'send {"ticket": <the ticket POST /probe answered>}')
        return {"undone": targets.finish(ticket)}
    raise TargetRefused(404, f"no such endpoint: POST {path}")


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
        targets = Targets(stack)
        with self._state.lock:
            previous, self._state.targets = self._state.targets, targets
            self._state.stack = stack
            self._state.documents = documents
        if previous is not None:
            previous.close()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=10)
        self._server.server_close()
        with self._state.lock:
            targets, self._state.targets = self._state.targets, None
        if targets is not None:
            targets.close()  # what calls in flight wrote is undone before the stack goes

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

"""Launcher: moto server with the project's patches, the local OIDC issuer and the hosted UI on one port.

`start_emulator()` applies the patches, binds a loopback port (a free one by default), and serves in
a background thread:

- every AWS API moto implements (point boto3/Terraform at `handle.url`), patched by `apply_patches`;
- `<url>/_local/oidc/...`: the local OpenID Connect issuer (`handle.oidc`, issuer `handle.oidc_issuer`);
- `<url>/_local/cognito/<user_pool_id>/...`: the user pools' hosted UI / OAuth endpoints;
- `GET <url>/_local/changes`: the count of control-plane changes (`local/emulator/changes.py`);
- optional extra WSGI apps under prefixes of the caller's choosing (`mounts`).

The emulator only listens on loopback: it has no authentication and hands out credentials.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import BaseWSGIServer, make_server

from local.cognito_idp.oauth import MOUNT as HOSTED_UI_MOUNT
from local.cognito_idp.oauth import HostedUI
from local.core.web import WsgiApp
from local.emulator import apply_patches, changes
from local.events import delivery as events_delivery
from local.oidc.idp import LocalIdP

OIDC_MOUNT = "/_local/oidc"
#: How often the serving thread checks for stop(): bounds how long stop() takes.
SHUTDOWN_POLL_SECONDS = 0.05


def local_issuer(host: str, port: int) -> str:
    """The local OIDC issuer of the emulator on host:port: `https://<host>/_local/oidc/<port>`.

    Terraform's `aws_iam_openid_connect_provider` accepts only https URLs, and it re-plans a
    replacement on every run when the URL has a port (its diff check cannot parse the host:port
    form IAM returns). So the issuer is https, has no port, and carries the emulator's port in
    its path to stay unique per emulator. It is an identifier: the identity pool resolves it
    in-process, and its endpoints are served over HTTP at `<emulator url>/_local/oidc/`.
    """
    netloc = f"[{host}]" if ":" in host else host
    return f"https://{netloc}{OIDC_MOUNT}/{port}"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Dispatcher:
    """The server's WSGI app; its target is filled in once the port (and so the issuer) is known."""

    def __init__(self) -> None:
        self.target: WsgiApp | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        assert self.target is not None, "emulator app not initialised"
        return self.target(environ, start_response)


@dataclass
class EmulatorHandle:
    """A running emulator. Use as a context manager, or call `stop()`."""

    host: str
    port: int
    oidc: LocalIdP
    _server: BaseWSGIServer = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def oidc_issuer(self) -> str:
        """The local OIDC issuer (`iss` of its tokens; the IAM OIDC provider URL to register)."""
        return self.oidc.issuer

    @property
    def oidc_provider_name(self) -> str:
        """The identity pool's Logins / RoleMappings key for the local OIDC issuer."""
        return self.oidc.provider_name

    def pause(self) -> None:
        """Stop serving and release the port, keeping every in-process AWS resource and the IdP.

        With `resume()` this is a restart of the emulator under whatever is using it (a running
        gateway, Lambda workers): the reliability tests' outage. Idempotent.
        """
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=10)
        self._server.server_close()

    def resume(self) -> None:
        """Serve again on the same host and port after `pause()` (no-op while serving)."""
        if self._thread.is_alive():
            return
        server = make_server(
            self.host,
            self.port,
            self._server.app,
            threaded=True,
            request_handler=self._server.RequestHandlerClass,  # type: ignore[arg-type]
        )
        self._server = server
        self._thread = _serving_thread(server, self.port)

    def stop(self) -> None:
        """Stop serving and release the port (idempotent)."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=10)
        self._server.server_close()
        self.oidc.close()
        events_delivery.close()

    def __enter__(self) -> EmulatorHandle:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start_emulator(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    mounts: Mapping[str, WsgiApp] | None = None,
    log_requests: bool = False,
) -> EmulatorHandle:
    """Start the emulator on `host:port` (port 0: a free one) and return once it accepts requests."""
    if not _is_loopback(host):
        raise ValueError(f"the emulator only listens on loopback addresses, not {host!r}")
    for prefix in mounts or {}:
        if (
            not prefix.startswith("/")
            or prefix.endswith("/")
            or prefix in (OIDC_MOUNT, HOSTED_UI_MOUNT, changes.CHANGES_PATH)
        ):
            raise ValueError(
                f"mount prefix {prefix!r} must look like /name and not shadow the emulator's own"
            )
    apply_patches()

    class _Handler(MotoRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            if log_requests:
                super().log_request(code, size)

        def parse_request(self) -> bool:
            """Answer the change feed here, without a WSGI round (see changes.py); every other
            request goes on to werkzeug."""
            if not super().parse_request():
                return False
            if self.command == "GET" and self.path == changes.CHANGES_PATH:
                self.close_connection = True
                self.wfile.write(changes.answer())
                self.log_request(200)
                return False
            return True

    dispatcher = _Dispatcher()
    server = make_server(host, port, dispatcher, threaded=True, request_handler=_Handler)
    bound_port = int(server.server_port)
    oidc = LocalIdP(local_issuer(host, bound_port))
    apps: dict[str, WsgiApp] = {OIDC_MOUNT: oidc, HOSTED_UI_MOUNT: HostedUI(), **dict(mounts or {})}
    dispatcher.target = DispatcherMiddleware(DomainDispatcherApplication(create_backend_app), apps)
    thread = _serving_thread(server, bound_port)
    handle = EmulatorHandle(host=host, port=bound_port, oidc=oidc, _server=server, _thread=thread)
    # EventBridge's Lambda targets run in the local Lambda runtime, calling AWS back here.
    events_delivery.configure(handle.url)
    return handle


def _serving_thread(server: BaseWSGIServer, port: int) -> threading.Thread:
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
        name=f"emulator:{port}",
        daemon=True,
    )
    thread.start()
    return thread

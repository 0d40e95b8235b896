"""The HTTP request and response the gateway core works on, independent of the HTTP server.

Why: keeping the core free of `http.server` lets functional tests drive it directly and keeps
the server a thin adapter. Header lists keep order, case and repeats, because SigV4 and the REST v1
proxy event (`headers` vs `multiValueHeaders`) both depend on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class HttpRequest:
    method: str
    raw_path: str  # as received, still percent-encoded, without the query string
    query: str  # as received, without the leading '?'
    headers: tuple[tuple[str, str], ...]
    body: bytes
    source_ip: str
    protocol: str = "HTTP/1.1"

    def header(self, name: str) -> str | None:
        """The last value of a header (case-insensitive), as API Gateway's `headers` map keeps."""
        wanted = name.lower()
        found = None
        for key, value in self.headers:
            if key.lower() == wanted:
                found = value
        return found


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None

    def set_default_header(self, name: str, value: str) -> None:
        if self.header(name) is None:
            self.headers.append((name, value))

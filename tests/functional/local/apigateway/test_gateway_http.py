"""The gateway's HTTP layer itself (not what it answers): how it treats the connection."""

from __future__ import annotations

import http.client
import socket
from typing import Any

import pytest

from local.apigateway.server import start_gateway

REGION = "us-east-1"


def test_connections_are_not_held_back_by_nagles_algorithm(
    emulator_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every accepted connection gets TCP_NODELAY. The gateway writes a response's headers and body
    separately; with Nagle's algorithm the body then waits for the client's delayed ACK, which cost
    ~40 ms per keep-alive request (the e2e suite and `make bench` pay it on every call)."""
    nodelay_ports: list[int] = []
    setsockopt = socket.socket.setsockopt

    def recording(sock: socket.socket, level: int, option: int, value: Any, *rest: Any) -> Any:
        if level == socket.IPPROTO_TCP and option == socket.TCP_NODELAY and value:
            nodelay_ports.append(sock.getsockname()[1])
        return setsockopt(sock, level, option, value, *rest)

    monkeypatch.setattr(socket.socket, "setsockopt", recording)
    # Whatever the emulator holds (moto's state is per process), an unknown stage answers an error.
    with start_gateway(emulator_url, REGION) as gateway:
        port = int(gateway.url.rsplit(":", 1)[1])
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            for _ in range(2):  # two requests on one keep-alive connection
                connection.request("GET", "/no-such-stage/anything")
                response = connection.getresponse()
                response.read()
                assert response.status in (403, 503)
        finally:
            connection.close()
    assert port in nodelay_ports  # the server side of the connection, not only the client's

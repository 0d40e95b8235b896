"""A body over API Gateway's 10 MB payload limit is refused as the REQUEST_TOO_LARGE gateway response:
with the API's configured headers (here DEFAULT_4XX's CORS header, so a browser can read the 413),
without reading the body and without invoking anything."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

from local.gateway.server import MAX_BODY_BYTES

from .conftest import STAGE, Env


def test_oversized_body_is_a_413_gateway_response_with_the_api_headers(env: Env) -> None:
    url = urlsplit(env.gateway.url)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=10)
    try:
        # Only the announced length matters: the gateway answers before reading any of the body.
        connection.putrequest("POST", f"/{STAGE}/open")
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(MAX_BODY_BYTES + 1))
        connection.putheader("Origin", "http://localhost:3000")
        connection.endheaders()
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    assert response.status == 413
    assert json.loads(body) == {"message": "Request Too Long"}
    assert response.getheader("Access-Control-Allow-Origin") == "*"  # DEFAULT_4XX gateway response
    assert response.getheader("x-amzn-RequestId")
    assert env.runtime.calls == []

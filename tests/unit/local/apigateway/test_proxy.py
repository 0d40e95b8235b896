"""The REST v1 proxy event and the mapping of Lambda proxy responses (502 for malformed ones)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import pytest

from local.apigateway.messages import HttpRequest
from local.apigateway.proxy import ProxyResponseError, build_event, proxy_response

NOW = datetime(2024, 4, 9, 12, 34, 56, tzinfo=UTC)


def event_for(request: HttpRequest, **overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "request": request,
        "resource_path": "/petstore/v1/pets/{id}",
        "path": "/petstore/v1/pets/42",
        "path_parameters": {"id": "42"},
        "stage": "local",
        "stage_variables": {},
        "api_id": "abc123",
        "account_id": "123456789012",
        "resource_id": "res1",
        "request_id": "req-1",
        "extended_id": "ext-1=",
        "now": NOW,
        "domain_name": "127.0.0.1:8080",
        "identity": {"sourceIp": "10.0.0.1", "cognitoIdentityId": None},
        "authorizer": {"principalId": "sub-1", "group": "pet-veterinarian"},
    }
    args.update(overrides)
    return build_event(**args)


def request(**overrides: Any) -> HttpRequest:
    args: dict[str, Any] = {
        "method": "PUT",
        "raw_path": "/local/petstore/v1/pets/42",
        "query": "a=1&a=2&b=",
        "headers": (("Content-Type", "application/json"), ("X-Multi", "one"), ("X-Multi", "two")),
        "body": b'{"name":"Rex"}',
        "source_ip": "10.0.0.1",
    }
    args.update(overrides)
    return HttpRequest(**args)


def test_event_fields() -> None:
    event = event_for(request())
    assert event["resource"] == "/petstore/v1/pets/{id}"
    assert event["path"] == "/petstore/v1/pets/42"
    assert event["httpMethod"] == "PUT"
    assert event["headers"] == {"Content-Type": "application/json", "X-Multi": "two"}
    assert event["multiValueHeaders"]["X-Multi"] == ["one", "two"]
    assert event["queryStringParameters"] == {"a": "2", "b": ""}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": [""]}
    assert event["pathParameters"] == {"id": "42"}
    assert event["stageVariables"] is None
    assert event["body"] == '{"name":"Rex"}'
    assert event["isBase64Encoded"] is False
    ctx = event["requestContext"]
    assert ctx["path"] == "/local/petstore/v1/pets/42"
    assert ctx["resourcePath"] == "/petstore/v1/pets/{id}"
    assert ctx["httpMethod"] == "PUT"
    assert ctx["stage"] == "local"
    assert ctx["apiId"] == "abc123"
    assert ctx["accountId"] == "123456789012"
    assert ctx["resourceId"] == "res1"
    assert ctx["requestId"] == "req-1"
    assert ctx["extendedRequestId"] == "ext-1="
    assert ctx["requestTime"] == "09/Apr/2024:12:34:56 +0000"
    assert ctx["requestTimeEpoch"] == 1712666096000
    assert ctx["protocol"] == "HTTP/1.1"
    assert ctx["identity"]["sourceIp"] == "10.0.0.1"
    assert ctx["authorizer"] == {"principalId": "sub-1", "group": "pet-veterinarian"}


def test_absent_parts_are_none() -> None:
    event = event_for(request(query="", body=b""), path_parameters={}, authorizer=None)
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None
    assert event["body"] is None
    assert "authorizer" not in event["requestContext"]


def test_binary_bodies_are_base64() -> None:
    raw = bytes(range(256))
    event = event_for(
        request(headers=(("Content-Type", "image/png"),), body=raw), binary_media_types=("image/*",)
    )
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == raw
    # A binary media type is base64 even when the bytes happen to be valid UTF-8 (parameters ignored)...
    text_png = event_for(
        request(headers=(("Content-Type", "image/png; q=1"),), body=b"plain"), binary_media_types=("image/*",)
    )
    assert text_png["isBase64Encoded"] is True
    assert base64.b64decode(text_png["body"]) == b"plain"
    # ...and a type that is not one of them stays text.
    text = event_for(
        request(headers=(("Content-Type", "text/plain"),), body=b"plain"), binary_media_types=("image/*",)
    )
    assert (text["isBase64Encoded"], text["body"]) == (False, "plain")
    not_utf8 = event_for(request(headers=(("Content-Type", "application/octet-stream"),), body=b"\xff\xfe"))
    assert not_utf8["isBase64Encoded"] is True
    assert base64.b64decode(not_utf8["body"]) == b"\xff\xfe"


def test_stage_variables_are_passed() -> None:
    assert event_for(request(), stage_variables={"v": "1"})["stageVariables"] == {"v": "1"}


def test_proxy_response_mapping() -> None:
    response = proxy_response(
        {
            "statusCode": 201,
            "headers": {"X-One": "1", "X-Count": 3, "X-Flag": True},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
            "body": '{"ok":true}',
        }
    )
    assert response.status == 201
    assert response.body == b'{"ok":true}'
    assert ("X-Count", "3") in response.headers
    assert ("X-Flag", "true") in response.headers
    assert [v for k, v in response.headers if k == "Set-Cookie"] == ["a=1", "b=2"]
    assert response.header("content-type") == "application/json"


def test_base64_proxy_response_is_decoded() -> None:
    response = proxy_response(
        {"statusCode": 200, "body": base64.b64encode(b"\x00\x01").decode(), "isBase64Encoded": True}
    )
    assert response.body == b"\x00\x01"


def test_minimal_proxy_response() -> None:
    response = proxy_response({"statusCode": 204})
    assert (response.status, response.body) == (204, b"")


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "a string",
        [],
        {"body": "no status"},
        {"statusCode": "200", "body": ""},
        {"statusCode": True},
        {"statusCode": 200, "body": {"not": "a string"}},
        {"statusCode": 200, "headers": {"X": {"nested": 1}}},
        {"statusCode": 200, "multiValueHeaders": {"X": "not-a-list"}},
        {"statusCode": 200, "isBase64Encoded": "yes"},
        {"statusCode": 200, "body": "!!!", "isBase64Encoded": True},
        {"statusCode": 200, "cookies": ["a=b"]},
    ],
)
def test_malformed_proxy_responses_are_refused(payload: Any) -> None:
    with pytest.raises(ProxyResponseError):
        proxy_response(payload)

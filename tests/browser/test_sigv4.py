"""The console's SigV4 signer (static/sigv4.js, WebCrypto) run in Chromium: the AWS SigV4 test-suite
vectors, and agreement with botocore's signer (what the local gateway and AWS verify against)."""

from __future__ import annotations

import datetime
from typing import Any
from unittest import mock

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from .conftest import Console

# The AWS Signature Version 4 test suite's credentials, time and scope.
SUITE_KEY = "AKIDEXAMPLE"
SUITE_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SUITE_TIME = datetime.datetime(2015, 8, 30, 12, 36, 0)
SUITE_SCOPE = "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"

SIGN = """async ([request, credentials, region, service, isoDate]) => {
    const { signRequest } = await import("/static/sigv4.js");
    return signRequest(request, credentials, region, service, new Date(isoDate));
}"""


def _sign_in_browser(
    console: Console, request: dict[str, Any], credentials: dict[str, str], region: str, service: str
) -> dict[str, Any]:
    result: dict[str, Any] = console.page.evaluate(
        SIGN, [request, credentials, region, service, SUITE_TIME.isoformat() + "Z"]
    )
    return result


@pytest.mark.parametrize(
    ("name", "url", "signature"),
    [
        (
            "get-vanilla",
            "https://example.amazonaws.com/",
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        ),
        (
            "get-vanilla-query-order-key-case",
            "https://example.amazonaws.com/?Param2=value2&Param1=value1",
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
        ),
    ],
)
def test_signer_reproduces_the_aws_sigv4_test_suite(
    console: Console, name: str, url: str, signature: str
) -> None:
    console.open()
    signed = _sign_in_browser(
        console,
        {"method": "GET", "url": url, "headers": {}},
        {"accessKeyId": SUITE_KEY, "secretAccessKey": SUITE_SECRET},
        "us-east-1",
        "service",
    )
    assert signed["headers"]["Authorization"] == (
        f"AWS4-HMAC-SHA256 Credential={SUITE_SCOPE}, SignedHeaders=host;x-amz-date, Signature={signature}"
    ), name
    assert signed["headers"]["X-Amz-Date"] == "20150830T123600Z"
    if name == "get-vanilla":
        assert signed["canonicalRequest"] == (
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        )


class _SuiteTime(datetime.datetime):
    @classmethod
    def utcnow(cls) -> datetime.datetime:  # type: ignore[override]
        return SUITE_TIME


def _botocore_authorization(
    method: str, url: str, headers: dict[str, str], body: str | None, token: str | None
) -> str:
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
    with mock.patch("botocore.auth.datetime.datetime", _SuiteTime):
        SigV4Auth(Credentials(SUITE_KEY, SUITE_SECRET, token), "execute-api", "eu-west-1").add_auth(request)
    return str(request.headers["Authorization"])


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("GET", "http://127.0.0.1:4566/local/petstore/v2/status", None),
        ("POST", "http://127.0.0.1:4566/local/cip", '{"name": "Ada", "surname": "Lovelace"}'),
        ("GET", "http://127.0.0.1:4566/local/petstore/v1/pets/a%20b?limit=5&after=x%2Fy&Z=1", None),
        ("DELETE", "https://abc123.execute-api.eu-west-1.amazonaws.com/prod/news", None),
    ],
)
def test_signer_agrees_with_botocore(console: Console, method: str, url: str, body: str | None) -> None:
    console.open()
    token = "FwoGZXIvYXdzEXAMPLE//session+token="
    headers = {"Content-Type": "application/json"} if body else {}
    signed = _sign_in_browser(
        console,
        {"method": method, "url": url, "headers": headers, "body": body},
        {"accessKeyId": SUITE_KEY, "secretAccessKey": SUITE_SECRET, "sessionToken": token},
        "eu-west-1",
        "execute-api",
    )
    assert signed["headers"]["X-Amz-Security-Token"] == token
    assert signed["headers"]["Authorization"] == _botocore_authorization(method, url, headers, body, token)

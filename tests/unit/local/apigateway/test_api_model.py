"""API loading rules that need no emulator: which API is served, Lambda ARNs from integration URIs."""

from __future__ import annotations

from typing import Any

import pytest

from local.apigateway.api_model import ApiNotFound, _pick_api, function_arn_from_uri


class FakePaginator:
    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items

    def paginate(self, **_: Any) -> list[dict[str, Any]]:
        return [{"items": self.items[:1]}, {"items": self.items[1:]}]


class FakeApiGateway:
    def __init__(self, apis: list[dict[str, Any]]) -> None:
        self.apis = apis

    def get_paginator(self, name: str) -> FakePaginator:
        assert name == "get_rest_apis"
        return FakePaginator(self.apis)


def test_the_single_api_is_served_when_no_id_is_given() -> None:
    assert _pick_api(FakeApiGateway([{"id": "a1", "name": "only"}]), None)["id"] == "a1"


@pytest.mark.parametrize("apis", [[], [{"id": "a1", "name": "x"}, {"id": "b2", "name": "y"}]])
def test_zero_or_several_apis_need_an_explicit_id(apis: list[dict[str, Any]]) -> None:
    with pytest.raises(ApiNotFound, match="exactly one REST API"):
        _pick_api(FakeApiGateway(apis), None)


@pytest.mark.parametrize(
    ("uri", "arn"),
    [
        (
            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:pets/invocations",
            "arn:aws:lambda:us-east-1:123456789012:function:pets",
        ),
        (
            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:pets:live/invocations",
            "arn:aws:lambda:us-east-1:123456789012:function:pets:live",
        ),
        ("https://example.com/backend", None),
        (None, None),
    ],
)
def test_function_arn_from_integration_uri(uri: str | None, arn: str | None) -> None:
    assert function_arn_from_uri(uri) == arn

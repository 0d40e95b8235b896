"""local.client: finding the route a request hits and the demo user it names (no network)."""

from __future__ import annotations

from typing import Any

import pytest

from local.client import ClientError, find_route, find_user
from tools import config


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    cfg = config.load("local")
    return {
        "routes": cfg.access.raw["routes"],
        "users": [{"name": "admin", "username": "admin@example.com"}],
    }


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/cip", "cip-get"),
        ("POST", "/cip", "cip-post"),
        ("DELETE", "/petstore/v1/pets", "pets-v1"),  # ANY matches every verb
        ("PUT", "/petstore/v1/pets/7", "pets-v1-item"),  # {id} is one segment
        ("GET", "/petstore/v2/status?verbose=1", "pets-v2-status"),  # the query is not the path
        ("GET", "/cup/email", "cup-email"),
    ],
)
def test_find_route(stack: dict[str, Any], method: str, path: str, expected: str) -> None:
    route = find_route(stack, method, path)
    assert route is not None
    assert route["name"] == expected


@pytest.mark.parametrize(
    ("method", "path"),
    [("PUT", "/cip"), ("GET", "/petstore/v1/pets/7/extra"), ("GET", "/cipx"), ("GET", "/")],
)
def test_no_route(stack: dict[str, Any], method: str, path: str) -> None:
    assert find_route(stack, method, path) is None


def test_find_user_by_name_or_username(stack: dict[str, Any]) -> None:
    assert find_user(stack, "admin")["username"] == "admin@example.com"
    assert find_user(stack, "admin@example.com")["name"] == "admin"
    with pytest.raises(ClientError, match="known users: admin"):
        find_user(stack, "nobody")

"""The end-to-end suite's rule against a deployment other than the local emulator: it changes only
what it created. A collection DELETE that names no item is refused before anything is sent."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.support import NEWS_DELETE, DataLossError, GuardedSession, Sessions, refuse_collection_delete
from tools import config

REAL: dict[str, Any] = {
    "environment": "dev",
    "region": "us-east-1",
    "api_url": "https://unreachable.invalid/dev",
    "routes": config.load("dev").access.raw["routes"],
}
LOCAL = {**REAL, "environment": "local", "emulator_url": "http://127.0.0.1:1"}


@pytest.mark.parametrize("path", ["/news", "/petstore/v1/pets"])
def test_a_bare_collection_delete_against_a_real_deployment_is_refused(path: str) -> None:
    with pytest.raises(DataLossError, match="would delete data this suite did not create"):
        refuse_collection_delete(REAL, "DELETE", path)


@pytest.mark.parametrize(
    ("stack", "method", "path"),
    [
        (REAL, "DELETE", NEWS_DELETE),
        (REAL, "DELETE", "/petstore/v1/pets/fgaverify-run-1"),
        (REAL, "GET", "/news"),
        (LOCAL, "DELETE", "/news"),
    ],
    ids=["aimed-at-an-item", "item-route", "read", "local-emulator"],
)
def test_what_the_rule_allows(stack: dict[str, Any], method: str, path: str) -> None:
    refuse_collection_delete(stack, method, path)


def test_sessions_against_a_real_deployment_refuse_before_signing_in() -> None:
    session = Sessions(REAL).of({"name": "admin", "username": "a", "password": "p", "external": False})
    assert isinstance(session, GuardedSession)
    with pytest.raises(DataLossError):
        session.request("DELETE", "/news")  # no sign-in, no request: the guard comes first
    assert not isinstance(
        Sessions(LOCAL).of({"name": "admin", "username": "a", "password": "p"}), GuardedSession
    )

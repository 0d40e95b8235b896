"""local.matrix without a stack: the promise the console shows beside each demo user's live answer
is the contract's (the matrix itself is tools/live: tests/unit/tools/live/)."""

from __future__ import annotations

from typing import Any

import pytest

from local import matrix
from local.demo_data import demo_users
from tools import config
from tools.matrix import ALLOW, FORBIDDEN, UNAUTHORIZED


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    cfg = config.load("local")
    return {
        "environment": "local",
        "routes": cfg.access.raw["routes"],
        "users": [
            {"name": u.name, "groups": list(u.groups), "external": u.external} for u in demo_users(cfg)
        ],
    }


def test_the_promise_comes_from_the_contract(stack: dict[str, Any]) -> None:
    mapping, promised = matrix.expectations(stack)
    assert mapping == "Rules"
    assert promised[("multi-group", "cip-get")] == FORBIDDEN  # not the union of its groups
    assert promised[("pet-veterinarian", "pets-v1")] == ALLOW
    assert promised[("external", "news-get")] == UNAUTHORIZED
    assert len(promised) == len(stack["users"]) * len(stack["routes"])

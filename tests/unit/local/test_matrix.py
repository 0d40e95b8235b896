"""local.matrix without a stack: the promise it prints beside each live status is the contract's, and
the table says which role mapping the environment has."""

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


def test_render_shows_live_beside_promised_and_the_role_mapping(stack: dict[str, Any]) -> None:
    _, promised = matrix.expectations(stack)
    note = "no credentials: the identity pool refused them; sent unsigned"
    cells = [
        matrix.Cell(user, route, expected, 200 if expected == ALLOW else int(expected))
        for (user, route), expected in promised.items()
    ]
    cells = [
        c
        if (c.user, c.route) != ("no-group", "cip-get")
        else matrix.Cell(c.user, c.route, c.expected, 403, note)
        for c in cells
    ]
    cells = [
        c if (c.user, c.route) != ("admin", "news-delete") else matrix.Cell(c.user, c.route, c.expected, 403)
        for c in cells
    ]
    text = matrix.render(cells, stack)
    assert "promised by tests/contract/access.yaml" in text
    assert "role mapping for user-pool users: Rules (strict" in text
    assert f"{len(cells)} calls, 1 mismatches" in text
    assert "!! admin news-delete: got 403, promised 2xx" in text
    assert f"note: no-group: {note}" in text

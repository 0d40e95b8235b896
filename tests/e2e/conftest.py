"""End-to-end fixtures: one signed-in session per demo user, and the `local_only` marker.

The suite talks to the API over HTTP and to Cognito through its public APIs, starting from the stack
description (the `stack` fixture: the local stack started once per pytest session, or any deployment
whose stack.json FGA_STACK_JSON names). Tests that need the emulator itself (minting tokens with the
pool's private key, creating a second pool or an extra app client, reading tables) are marked
`local_only`; with FGA_STACK_JSON set they are deselected (reported, never counted as passed).
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from local.client import Session
from tests.e2e.support import Sessions
from tests.stack_fixture import STACK_JSON_ENV

LOCAL_ONLY = "local_only"
_deselected: list[pytest.Item] = []


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{LOCAL_ONLY}: needs the embedded emulator (its keys, admin APIs or tables); "
        f"deselected when {STACK_JSON_ENV} points the suite at another deployment",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not os.environ.get(STACK_JSON_ENV):
        return
    keep = [item for item in items if item.get_closest_marker(LOCAL_ONLY) is None]
    dropped = [item for item in items if item.get_closest_marker(LOCAL_ONLY) is not None]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
        _deselected.extend(dropped)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _deselected:
        terminalreporter.write_line(
            f"e2e: {len(_deselected)} {LOCAL_ONLY} test(s) deselected: "
            f"{STACK_JSON_ENV}={os.environ.get(STACK_JSON_ENV)} is not the embedded emulator"
        )


@pytest.fixture(scope="session")
def sessions(stack: dict[str, Any]) -> Sessions:
    return Sessions(stack)


@pytest.fixture(scope="session")
def admin(sessions: Sessions) -> Session:
    return sessions.in_groups("admin")


@pytest.fixture(scope="session")
def vet(sessions: Sessions) -> Session:
    """Group pet-veterinarian (scenario S4)."""
    return sessions.in_groups("pet-veterinarian")


@pytest.fixture(scope="session")
def cip_user(sessions: Sessions) -> Session:
    """Group cip-users: the identity-pool user of scenario S1."""
    return sessions.in_groups("cip-users")


@pytest.fixture(scope="session")
def google_group_user(sessions: Sessions) -> Session:
    """A user-pool user in group google-users (the group the external IdP maps to)."""
    return sessions.in_groups("google-users")


@pytest.fixture(scope="session")
def no_group(sessions: Sessions) -> Session:
    return sessions.in_groups()


@pytest.fixture(scope="session")
def multi_group(sessions: Sessions) -> Session:
    """In cip-users (precedence 20) and pet-veterinarian (precedence 10): pet-veterinarian wins."""
    return sessions.in_groups("cip-users", "pet-veterinarian")


@pytest.fixture(scope="session")
def external(sessions: Sessions) -> Session:
    """The external OIDC IdP user of scenario S2."""
    return sessions.external()


@pytest.fixture(scope="session", autouse=True)
def news_at_start(stack: dict[str, Any], sessions: Sessions) -> list[dict[str, Any]]:
    """The news items listed before any e2e test ran (admins delete news in S5 and the matrix).

    Autouse and session-scoped, so it is taken at the first e2e test's setup, before any deletion.
    Only the local stack's demo news are read: against another deployment the suite reads no news
    anybody wrote (the tests that use this list are `local_only`).
    """
    if os.environ.get(STACK_JSON_ENV):
        return []
    admins = [u for u in stack["users"] if not u["external"] and u["groups"] == ["admin"]]
    if not admins:
        return []
    response = sessions.of(admins[0]).request("GET", "/news")
    news: list[dict[str, Any]] = response.json().get("news", []) if response.status_code == 200 else []
    return news


@pytest.fixture(scope="session")
def running(request: pytest.FixtureRequest) -> Any:
    """The in-process RunningStack (emulator clients, keys): for `local_only` tests only."""
    if os.environ.get(STACK_JSON_ENV):
        pytest.fail(f"a {LOCAL_ONLY} test ran against {STACK_JSON_ENV}; mark it @pytest.mark.{LOCAL_ONLY}")
    return request.getfixturevalue("stack_holder").running

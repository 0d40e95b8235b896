"""local.client: finding the route a request hits and the demo user it names, and a machine client's
token reuse (no network)."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests

from local.client import (
    TOKEN_REFRESH_MARGIN_SECONDS,
    ClientError,
    MachineSession,
    TokenSource,
    find_machine,
    find_route,
    find_user,
)
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


# --- machine clients: token reuse (no network: the token endpoint is a fake) -------------------------


class _TokenEndpoint:
    """Stands in for requests.post against a token endpoint; counts the token requests."""

    def __init__(self, expires_in: int = 3600, status: int = 200) -> None:
        self.expires_in = expires_in
        self.status = status
        self.calls: list[dict[str, Any]] = []

    def __call__(self, url: str, **kwargs: Any) -> Any:
        self.calls.append({"url": url, **kwargs})
        body = {
            "access_token": f"token-{len(self.calls)}",
            "expires_in": self.expires_in,
            "token_type": "Bearer",
        }
        if self.status != 200:
            body = {"error": "invalid_client"}
        return SimpleNamespace(status_code=self.status, json=lambda: body, text=json.dumps(body))


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> _TokenEndpoint:
    fake = _TokenEndpoint()
    monkeypatch.setattr(requests, "post", fake)
    return fake


def test_a_machine_token_is_reused_until_the_margin_before_it_expires(endpoint: _TokenEndpoint) -> None:
    now = [1000.0]
    source = TokenSource(
        "https://auth.example/oauth2/token", "cid", "secret", ("api/a",), clock=lambda: now[0]
    )
    assert source.token() == "token-1"
    for _ in range(50):
        assert source.token() == "token-1"
    now[0] += 3600 - TOKEN_REFRESH_MARGIN_SECONDS - 1
    assert source.token() == "token-1"
    now[0] += 1  # within the margin: a new token
    assert source.token() == "token-2"
    assert (source.fetched, len(endpoint.calls)) == (2, 2)
    call = endpoint.calls[0]
    assert call["auth"] == ("cid", "secret")
    assert call["data"] == {"grant_type": "client_credentials", "scope": "api/a"}


def test_the_token_store_shares_a_token_across_processes_owner_only(
    endpoint: _TokenEndpoint, tmp_path: Path
) -> None:
    store = tmp_path / "tokens.json"
    now = [1000.0]
    first = TokenSource("https://t", "cid", "s", store=store, clock=lambda: now[0])
    assert first.token() == "token-1"
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    second = TokenSource("https://t", "cid", "s", store=store, clock=lambda: now[0])
    assert second.token() == "token-1"
    assert second.fetched == 0
    other_client = TokenSource("https://t", "other", "s", store=store, clock=lambda: now[0])
    assert other_client.token() == "token-2"
    now[0] += 3600  # both expired: the next fetch drops them from the file
    third = TokenSource("https://t", "cid", "s", store=store, clock=lambda: now[0])
    assert third.token() == "token-3"
    assert list(json.loads(store.read_text())) == ["https://t cid "]


def test_a_refused_token_request_is_a_client_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(requests, "post", _TokenEndpoint(status=401))
    with pytest.raises(ClientError, match="the token endpoint refused client cid"):
        TokenSource("https://t", "cid", "wrong").token()


def test_a_machine_sends_its_token_as_each_mode_wants_and_has_no_iam_credentials(
    endpoint: _TokenEndpoint,
) -> None:
    stack = {"token_endpoint": "https://t", "routes": {}}
    machine = {"name": "reporter", "client_id": "cid", "client_secret": "s", "scopes": ["api/a"]}
    session = MachineSession.for_machine(stack, machine)
    assert session.auth_headers("user_pool") == {"Authorization": "token-1"}
    assert session.auth_headers("lambda") == {"Authorization": "Bearer token-1"}
    with pytest.raises(ClientError, match="identity pools do not federate client-credentials tokens"):
        session.auth_headers("iam")
    assert session.tokens.fetched == 1


def test_find_machine_by_name_or_client_id() -> None:
    stack = {"machines": [{"name": "reporter", "client_id": "cid"}]}
    assert find_machine(stack, "cid")["name"] == "reporter"
    assert find_machine(stack, "reporter")["client_id"] == "cid"
    with pytest.raises(ClientError, match="known machine clients: reporter"):
        find_machine(stack, "nobody")

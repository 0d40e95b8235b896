"""The console server over HTTP (loopback, in-process): what it serves before and after the stack is
published, its Host check, its headers, and the settings and expectations it hands the page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from local.console.server import ConsoleHandle, start_console
from local.demo_data import demo_machines, demo_users
from tools import config
from tools.matrix import ALLOW, NOT_APPLICABLE

API = "http://127.0.0.1:40001/local"
EMULATOR = "http://127.0.0.1:40002"


def _stack() -> dict[str, Any]:
    cfg = config.load("local")
    return {
        "environment": "local",
        "region": cfg.region,
        "api_url": API,
        "api_id": "a1b2c3d4e5",
        "account_id": "123456789012",
        "stage": "local",
        "emulator_url": EMULATOR,
        "user_pool_id": "us-east-1_pool",
        "user_pool_client_id": "client123",
        "identity_pool_id": "us-east-1:ids",
        "hosted_ui": f"{EMULATOR}/_local/cognito/us-east-1_pool",
        "external_idp": {"group": cfg.raw["local_idp"]["group"]},
        "routes": cfg.access.raw["routes"],
        "signout_path": "/session/signout",
        "users": [u.describe() for u in demo_users(cfg)],
        "machines": [
            {
                "name": m.name,
                "client_id": f"{m.name}-client-id-0000000",
                "client_secret": f"{m.name}-SECRET-never-in-a-browser",
                "scopes": list(m.scopes),
                "declared": m.declared,
                "policy_key": m.policy_key,
            }
            for m in demo_machines(cfg)
        ],
    }


@pytest.fixture
def console() -> Iterator[ConsoleHandle]:
    with start_console() as handle:
        yield handle


def get(console: ConsoleHandle, path: str, host: str | None = None) -> requests.Response:
    headers = {"Host": host} if host else {}
    return requests.get(f"http://127.0.0.1:{console.port}{path}", headers=headers, timeout=5)


def test_origin_is_localhost_on_the_bound_port(console: ConsoleHandle) -> None:
    assert console.port > 0
    assert console.url == f"http://localhost:{console.port}"


def test_page_and_its_files_are_served_before_the_stack_is_published(console: ConsoleHandle) -> None:
    for path in ("/", "/callback", "/callback?code=abc&state=xyz"):
        page = get(console, path)
        assert page.status_code == 200
        assert page.headers["Content-Type"].startswith("text/html")
        assert '<script type="module" src="/static/console.js">' in page.text
    script = get(console, "/static/sigv4.js")
    assert script.status_code == 200
    assert script.headers["Content-Type"].startswith("text/javascript")
    for path in ("/config.json", "/expectations.json"):
        starting = get(console, path)
        assert starting.status_code == 503
        assert "starting" in starting.json()["message"]


@pytest.mark.parametrize(
    "path",
    ["/static/../server.py", "/static/index.html", "/static/", "/server.py", "/static/%2e%2e/server.py"],
)
def test_nothing_but_the_console_files_is_served(console: ConsoleHandle, path: str) -> None:
    assert get(console, path).status_code == 404


def test_requests_for_another_host_are_refused(console: ConsoleHandle) -> None:
    """A DNS-rebinding page (its own host name resolving to 127.0.0.1) cannot read the console."""
    console.publish(_stack())
    for host in ("evil.example", f"evil.example:{console.port}", "localhost:1", "127.0.0.1"):
        answer = get(console, "/config.json", host=host)
        assert answer.status_code == 421, host
        assert "password" not in answer.text
    assert get(console, "/config.json", host=f"localhost:{console.port}").status_code == 200


def test_headers_lock_the_page_to_its_own_scripts_and_to_the_api_and_cognito(console: ConsoleHandle) -> None:
    before = get(console, "/").headers["Content-Security-Policy"]
    assert "connect-src 'self';" in before
    console.publish(_stack())
    page = get(console, "/")
    csp = dict(part.strip().split(" ", 1) for part in page.headers["Content-Security-Policy"].split(";"))
    assert csp["script-src"] == "'self'"
    assert csp["connect-src"] == f"'self' http://127.0.0.1:40001 {EMULATOR}"
    assert csp["frame-ancestors"] == "'none'"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Cache-Control"] == "no-store"
    # No CORS header anywhere: other origins cannot read the settings (they hold demo passwords).
    assert "Access-Control-Allow-Origin" not in get(console, "/config.json").headers


def test_config_is_what_a_deployed_front_end_is_built_with(console: ConsoleHandle) -> None:
    stack = _stack()
    console.publish(stack)
    settings = get(console, "/config.json").json()
    assert settings["redirect_uri"] == f"{console.url}/callback"
    assert settings["logout_uri"] == f"{console.url}/"
    assert settings["api_url"] == API
    assert settings["cognito_identity_endpoint"] == f"{EMULATOR}/"
    assert settings["user_pool_provider"] == "cognito-idp.us-east-1.amazonaws.com/us-east-1_pool"
    assert "openid" in settings["scopes"]
    routes = {r["name"]: r for r in settings["routes"]}
    assert list(routes) == list(stack["routes"])
    assert routes["pets-v1-item"]["probe"] == {"method": "GET", "path": "/petstore/v1/pets/1", "body": None}
    assert routes["cup-email"]["scopes"] == ["email"]
    assert routes["cip-post"]["probe"]["body"] is not None
    # Writes are sent as POST /probe aims them (the demo stays as seeded); reads as they are.
    assert {name for name, route in routes.items() if route["prepare"]} == {
        "cip-post",
        "google-post",
        "cup-post",
        "news-delete",
    }
    assert [u["name"] for u in settings["users"]] == [u["name"] for u in stack["users"]]
    # The product's sign-out, and a lambda route read with GET to show the old token refused.
    assert settings["signout_path"] == "/session/signout"
    probe = settings["revocation_probe"]
    assert (routes[probe["name"]]["auth"], probe["method"]) == ("lambda", "GET")
    assert probe["path"] == routes[probe["name"]]["probe"]["path"]


def test_expectations_cover_every_user_and_route(console: ConsoleHandle) -> None:
    stack = _stack()
    console.publish(stack)
    document = get(console, "/expectations.json").json()
    assert document["source"].startswith("tests/contract/access.yaml")
    expected = document["expected"]
    assert set(expected) == {u["name"] for u in stack["users"]}
    for outcomes in expected.values():
        assert set(outcomes) == set(stack["routes"])
        assert set(outcomes.values()) <= {ALLOW, 401, 403}
    assert expected["pet-veterinarian"]["pets-v2-status"] == ALLOW
    assert expected["pet-veterinarian"]["pets-v2-pets"] == 403
    assert expected["external"]["cup-get"] == 401


def test_machine_callers_are_listed_without_any_client_secret(console: ConsoleHandle) -> None:
    """A browser never holds a client secret: the page gets the machines' names, scopes and
    governing policy, never their credentials, and their promised row of the contract."""
    stack = _stack()
    console.publish(stack)
    raw = get(console, "/config.json").text
    for machine in stack["machines"]:
        assert machine["client_secret"] not in raw
        assert machine["client_id"] not in raw
    listed = {m["name"]: m for m in get(console, "/config.json").json()["machines"]}
    assert set(listed) == {m["name"] for m in stack["machines"]}
    assert listed["reporter"] == {
        "name": "reporter",
        "declared": True,
        "scopes": list(config.load("local").machine_clients["reporter"].scopes),
        "policy": "client:reporter",
    }
    assert listed["undeclared"]["declared"] is False
    machines = get(console, "/expectations.json").json()["machines"]
    assert set(machines) == set(listed)
    for row in machines.values():
        assert set(row) == set(stack["routes"])
    assert machines["reporter"]["pets-v2-pets"] == ALLOW
    assert machines["partner"]["partner-pets"] == 401
    assert machines["partner"]["news-delete"] == 403
    assert machines["undeclared"]["news-get"] == 401
    assert machines["reporter"]["cip-get"] == NOT_APPLICABLE


def test_the_sign_in_asks_for_the_scopes_the_user_pool_routes_need(console: ConsoleHandle) -> None:
    console.publish(_stack())
    scopes = get(console, "/config.json").json()["scopes"]
    needed = {s for r in config.load("local").routes.values() if r.auth == "user_pool" for s in r.scopes}
    assert needed
    assert needed <= set(scopes)
    assert len(scopes) == len(set(scopes))


def post(
    console: ConsoleHandle,
    path: str,
    payload: Any,
    *,
    origin: str | None = "console",
    host: str | None = None,
    content_type: str = "application/json",
) -> requests.Response:
    headers = {"Content-Type": content_type}
    if origin is not None:
        headers["Origin"] = console.url if origin == "console" else origin
    if host:
        headers["Host"] = host
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return requests.post(f"http://127.0.0.1:{console.port}{path}", data=data, headers=headers, timeout=5)


def test_the_probe_endpoint_hands_the_page_the_request_to_send(console: ConsoleHandle) -> None:
    assert post(console, "/probe", {"route": "news-get"}).status_code == 503  # not published yet
    console.publish(_stack())
    answer = post(console, "/probe", {"route": "pets-v1-item", "id_token": None})
    assert answer.status_code == 200
    assert answer.json() == {
        "method": "GET",
        "path": "/petstore/v1/pets/1",
        "body": None,
        "ticket": None,
        "note": "",
    }
    assert "Access-Control-Allow-Origin" not in answer.headers
    assert post(console, "/probe", {"route": "no-such-route"}).status_code == 404
    assert post(console, "/probe/done", {"ticket": "never-issued"}).json() == {"undone": False}
    assert post(console, "/probe/elsewhere", {"route": "news-get"}).status_code == 404
    # A write of the caller's own record is prepared only for a caller who proves who it is.
    refused = post(console, "/probe", {"route": "cup-post", "id_token": None})
    assert refused.status_code == 401
    assert "sign in again" in refused.json()["message"]


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"origin": None}, 403),
        ({"origin": "http://evil.example"}, 403),
        ({"origin": "http://127.0.0.1:{port}"}, 403),  # the same server under another origin
        ({"host": "evil.example:{port}"}, 421),
        ({"content_type": "text/plain"}, 415),  # what a cross-site form could send
        ({"content_type": "application/x-www-form-urlencoded"}, 415),
        ({"payload": b"{not json"}, 400),
        ({"payload": ["news-get"]}, 400),
        ({"payload": {"route": 7}}, 400),
        ({"payload": {"route": "news-get", "id_token": 7}}, 400),
        ({"payload": b"{" + b" " * 70_000 + b"}"}, 413),
    ],
)
def test_only_the_console_page_may_post_and_only_json(
    console: ConsoleHandle, change: dict[str, Any], status: int
) -> None:
    console.publish(_stack())
    options: dict[str, Any] = {"payload": {"route": "news-get"}}
    for key, value in change.items():
        options[key] = value.format(port=console.port) if isinstance(value, str) else value
    answer = post(console, "/probe", **options)
    assert answer.status_code == status, answer.text
    assert "path" not in answer.json()
    assert post(console, "/probe", {"route": "news-get"}).status_code == 200  # the page itself may

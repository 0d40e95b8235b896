"""The console server over HTTP (loopback, in-process): what it serves before and after the stack is
published, its Host check, its headers, and the settings and expectations it hands the page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from local.console.server import ConsoleHandle, start_console
from local.demo_data import demo_users
from tools import config
from tools.matrix import ALLOW

API = "http://127.0.0.1:40001/local"
EMULATOR = "http://127.0.0.1:40002"


def _stack() -> dict[str, Any]:
    cfg = config.load("local")
    return {
        "environment": "local",
        "region": cfg.region,
        "api_url": API,
        "api_id": "a1b2c3d4e5",
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

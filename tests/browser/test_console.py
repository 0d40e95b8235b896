"""The browser console in a real headless Chromium: hosted-UI sign-in (authorization code + PKCE),
every auth mode called cross-origin from the page, denials readable through CORS, answers that a
page of another origin cannot read, sign-out. Screenshots go to build/browser/."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Request

from local.client import Session, find_user
from local.console.expectations import expected_outcomes
from tools import config
from tools.matrix import matches, probe

from .conftest import Console


def _expected(stack: dict[str, Any], user: str) -> dict[str, Any]:
    """The outcomes the access contract promises `user` (local/console/expectations.py)."""
    return expected_outcomes(stack)[1][user]


def _label(outcome: Any) -> str:
    return "2xx" if outcome == "allow" else str(outcome)


def _terminal_statuses(stack: dict[str, Any], user: str) -> dict[str, int]:
    """What `make up`'s matrix (local/matrix.py) answers for `user`: the same probes, sent from Python."""
    session = Session(stack, find_user(stack, user))
    statuses = {}
    for route in config.load("local").routes.values():
        request = probe(route)
        response = session.request(
            request.method, request.path, request.body, auth=route.auth, scopes=route.scopes
        )
        statuses[route.name] = response.status_code
    return statuses


def test_pet_veterinarian_sees_the_terminal_matrix_answers_on_every_route(console: Console) -> None:
    """The acceptance check: sign in as pet-veterinarian, call every route, same answers as the matrix."""
    stack = console.stack
    requests_seen: list[Request] = []
    console.page.on(
        "request",
        lambda request: requests_seen.append(request),  # noqa: PLW0108 - Playwright cannot wrap a builtin
    )

    console.sign_in("pet-veterinarian")

    # The sign-in was the authorization-code flow with PKCE S256: the verifier redeemed at the token
    # endpoint hashes to the challenge sent to the authorization endpoint.
    authorize = next(r for r in requests_seen if "/oauth2/authorize" in r.url)
    query = {k: v[0] for k, v in parse_qs(urlsplit(authorize.url).query).items()}
    assert (query["response_type"], query["code_challenge_method"]) == ("code", "S256")
    assert query["redirect_uri"] == f"{console.url}/callback"
    token = next(r for r in requests_seen if r.url.endswith("/oauth2/token") and r.method == "POST")
    form = {k: v[0] for k, v in parse_qs(token.post_data or "").items()}
    digest = hashlib.sha256(form["code_verifier"].encode()).digest()
    assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == query["code_challenge"]
    assert "client_secret" not in form  # a public client: the browser holds no secret

    page = console.page
    assert page.inner_text("#whoami").startswith("pet-veterinarian")
    assert "pet-veterinarian" in page.inner_text("#claims-id")
    assert "fga-local-group-pet-veterinarian" in page.inner_text("#identity-pool")
    assert "us-east-1:" in page.inner_text("#identity-pool")  # an identity id from GetId

    page.click("#call-all")
    page.wait_for_selector("body[data-called-all=true]")
    expected = _expected(stack, "pet-veterinarian")
    terminal = _terminal_statuses(stack, "pet-veterinarian")
    for route, outcome in expected.items():
        row = page.locator(f'#route-table tr[data-route="{route}"]')
        shown = str(row.get_attribute("data-status"))
        assert shown != "blocked", f"{route}: the page cannot read the answer: {row.inner_text()}"
        status = int(shown)
        assert matches(outcome, status), f"{route}: live {status}, expected {outcome}"
        assert status == terminal[route], f"{route}: console {status}, terminal matrix {terminal[route]}"
        assert row.get_attribute("data-verdict") == "ok"
        assert row.locator("td.expected").inner_text() == _label(outcome)
        cell = page.locator(f'#matrix td[data-user="pet-veterinarian"][data-route="{route}"]')
        assert cell.inner_text() == f"{status}/{_label(outcome)}"
    assert set(expected.values()) >= {"allow", 403}  # the run covered grants and denials
    assert page.inner_text("#expect-source").startswith("Expected: tests/contract/access.yaml")
    console.screenshot("console-pet-veterinarian")


def test_a_second_group_calls_one_route_per_mode_and_reads_each_denial(console: Console) -> None:
    stack = console.stack
    expected = _expected(stack, "cip-users")
    console.sign_in("cip-users")
    assert "cip-users" in console.page.inner_text("#claims-id")

    answers = {route: console.call(route) for route in ("cip-get", "cup-get", "pets-v2-status", "google-get")}
    modes = {name: r["auth"] for name, r in stack["routes"].items()}
    assert {modes[r] for r in answers} == {"iam", "user_pool", "lambda"}
    for route, answer in answers.items():
        assert answer["status"] != "blocked", f"{route}: the page cannot read the answer: {answer['body']}"
        assert matches(expected[route], int(answer["status"])), (route, answer)
        assert answer["verdict"] == "ok"

    # Denials are answers the page can read (CORS headers on API Gateway's own responses), in both
    # the lambda and the iam mode, with the body that says why.
    assert expected["pets-v2-status"] == 403
    assert json.loads(answers["pets-v2-status"]["body"]) == {
        "message": "User is not authorized to access this resource"
    }
    assert expected["google-get"] == 403
    iam_denial = json.loads(answers["google-get"]["body"])["message"]
    assert "assumed-role/fga-local-group-cip-users/CognitoIdentityCredentials" in iam_denial
    # ... and so is a 401 (no token at all).
    unauthenticated = console.fetch(f"{stack['api_url']}/news")
    assert (unauthenticated["status"], json.loads(unauthenticated["body"])) == (
        401,
        {"message": "Unauthorized"},
    )
    console.screenshot("console-cip-users")

    # Sign out is the product's sign-out: the session is revoked, and the page shows the old access
    # token refused (401) on a lambda route before it ends the hosted-UI session.
    console.page.click("#signout")
    # The page polls until the old token is refused, then leaves for the hosted UI's /logout, which
    # redirects back here: the report shows on the page that comes back.
    console.page.wait_for_selector("#signout-report", state="visible", timeout=30_000)
    console.page.wait_for_selector("body[data-ready=true]")
    assert console.page.is_visible("#signed-out")
    assert not console.page.is_visible("#identity")
    assert console.page.evaluate("sessionStorage.getItem('console.tokens')") is None
    report = console.page.locator("#signout-report")
    assert report.is_visible()
    assert report.get_attribute("data-status") == "401", report.inner_text()
    assert "401 after" in report.inner_text()


def test_a_page_of_an_origin_the_api_does_not_allow_cannot_read_its_answers(console: Console) -> None:
    stack = console.stack
    token = Session(stack, find_user(stack, "pet-veterinarian")).tokens()["access"]
    granted = f"{stack['api_url']}/petstore/v2/status"
    with_token = {"headers": {"Authorization": f"Bearer {token}"}}

    console.open()  # the allowed origin reads both a grant and a denial
    assert console.fetch(granted, with_token)["status"] == 200
    assert console.fetch(f"{stack['api_url']}/news")["status"] == 401

    foreign = console.url.replace("//localhost:", "//127.0.0.1:")  # same server, another origin
    console.open(f"{foreign}/")
    assert console.page.evaluate("location.origin") == foreign
    for url, init in ((granted, with_token), (f"{stack['api_url']}/news", {})):
        result = console.fetch(url, init)
        assert result.get("error", "").startswith("TypeError"), result
    # The request itself is not what is refused: a no-cors request goes out, its answer stays opaque.
    opaque = console.fetch(f"{stack['api_url']}/news", {"mode": "no-cors"})
    assert (opaque["type"], opaque["status"]) == ("opaque", 0)
    console.screenshot("console-foreign-origin")

"""What a browser app needs from the emulator, as AWS documents it: CORS on the hosted UI's token
endpoint and on Cognito Identity's unsigned APIs, and the hosted UI's /logout endpoint."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import pytest
import requests

from local.cognito_idp.oauth import s256
from tests.functional.local.support import PASSWORD, UserPool, World

APP = "http://localhost:5173"
CALLBACK = f"{APP}/callback"
SIGNED_OUT = f"{APP}/"


@dataclass(frozen=True)
class Hosted:
    world: World
    pool: UserPool
    username: str

    @property
    def base(self) -> str:
        return f"{self.world.url}/_local/cognito/{self.pool.pool_id}"

    def code(self, verifier: str) -> str:
        session = requests.Session()
        params = {
            "response_type": "code",
            "client_id": self.pool.client_id,
            "redirect_uri": CALLBACK,
            "scope": "openid email",
            "code_challenge": s256(verifier),
            "code_challenge_method": "S256",
        }
        login = self.base + "/login"
        page = session.get(login, params=params, timeout=5)
        csrf = page.text.split('name="_csrf" value="')[1].split('"')[0]
        answer = session.post(
            page.url,
            data={"_csrf": csrf, "username": self.username, "password": PASSWORD},
            allow_redirects=False,
            timeout=5,
        )
        assert answer.status_code == 302, answer.text
        return answer.headers["Location"].split("code=")[1].split("&")[0]

    def id_token(self) -> str:
        verifier = secrets.token_urlsafe(48)
        form = {
            "grant_type": "authorization_code",
            "client_id": self.pool.client_id,
            "code": self.code(verifier),
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
        }
        answer = requests.post(f"{self.base}/oauth2/token", data=form, timeout=5)
        assert answer.status_code == 200, answer.text
        return str(answer.json()["id_token"])


@pytest.fixture(scope="module")
def hosted(world: World) -> Hosted:
    pool = world.user_pool(
        flows=(),
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "email"],
        CallbackURLs=[CALLBACK],
        LogoutURLs=[SIGNED_OUT],
        SupportedIdentityProviders=["COGNITO"],
    )
    world.idp.create_user_pool_domain(UserPoolId=pool.pool_id, Domain=f"d{secrets.token_hex(6)}")
    return Hosted(world, pool, world.user(pool))


# --- token endpoint ----------------------------------------------------------------------------------


def test_token_endpoint_answers_carry_access_control_allow_origin_star(hosted: Hosted) -> None:
    verifier = secrets.token_urlsafe(48)
    form = {
        "grant_type": "authorization_code",
        "client_id": hosted.pool.client_id,
        "code": hosted.code(verifier),
        "redirect_uri": CALLBACK,
        "code_verifier": verifier,
    }
    granted = requests.post(f"{hosted.base}/oauth2/token", data=form, headers={"Origin": APP}, timeout=5)
    assert granted.status_code == 200
    assert granted.headers["Access-Control-Allow-Origin"] == "*"
    assert "id_token" in granted.json()
    # Errors too, or a browser app could not read why its code was refused.
    replayed = requests.post(f"{hosted.base}/oauth2/token", data=form, headers={"Origin": APP}, timeout=5)
    assert replayed.status_code == 400
    assert replayed.json()["error"] == "invalid_grant"
    assert replayed.headers["Access-Control-Allow-Origin"] == "*"


def test_pages_other_than_the_token_endpoint_carry_no_cors_header(hosted: Hosted) -> None:
    page = requests.get(
        f"{hosted.base}/oauth2/authorize",
        params={"response_type": "code", "client_id": hosted.pool.client_id, "redirect_uri": CALLBACK},
        headers={"Origin": APP},
        allow_redirects=False,
        timeout=5,
    )
    assert page.status_code == 302
    assert "Access-Control-Allow-Origin" not in page.headers


# --- logout ------------------------------------------------------------------------------------------


def test_logout_redirects_to_an_allowed_sign_out_url(hosted: Hosted) -> None:
    answer = requests.get(
        f"{hosted.base}/logout",
        params={"client_id": hosted.pool.client_id, "logout_uri": SIGNED_OUT},
        allow_redirects=False,
        timeout=5,
    )
    assert answer.status_code == 302
    assert answer.headers["Location"] == SIGNED_OUT


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"logout_uri": "https://evil.example/"}, "redirect_mismatch"),
        ({"logout_uri": CALLBACK}, "redirect_mismatch"),  # a callback URL is not a sign-out URL
        ({"client_id": "no-such-client", "logout_uri": SIGNED_OUT}, "invalid_request"),
        ({}, "invalid_request"),  # neither logout_uri nor redirect_uri
    ],
)
def test_logout_never_redirects_to_a_url_the_client_does_not_list(
    hosted: Hosted, params: dict[str, str], error: str
) -> None:
    query = {"client_id": hosted.pool.client_id, **params}
    answer = requests.get(f"{hosted.base}/logout", params=query, allow_redirects=False, timeout=5)
    assert answer.status_code == 400
    assert "Location" not in answer.headers
    assert answer.json()["error"] == error


def test_logout_with_redirect_uri_goes_back_to_the_sign_in_page(hosted: Hosted) -> None:
    params = {
        "client_id": hosted.pool.client_id,
        "redirect_uri": CALLBACK,
        "response_type": "code",
        "scope": "openid",
    }
    answer = requests.get(f"{hosted.base}/logout", params=params, allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith(f"/_local/cognito/{hosted.pool.pool_id}/login?")
    wrong = requests.get(
        f"{hosted.base}/logout",
        params={**params, "redirect_uri": "https://evil.example/cb"},
        allow_redirects=False,
        timeout=5,
    )
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "redirect_mismatch"


# --- Cognito Identity from a browser -------------------------------------------------------------------


def test_cognito_identity_answers_a_browser_preflight_and_exposes_its_answers(
    world: World, hosted: Hosted
) -> None:
    """The AWS SDK in a browser calls GetId / GetCredentialsForIdentity cross-origin (JSON 1.1 with
    X-Amz-Target, so the browser sends a preflight first)."""
    identity_pool = world.identity_pool(user_pools=(hosted.pool,))
    preflight = requests.options(
        world.url + "/",
        headers={
            "Origin": APP,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-amz-target,x-amz-user-agent",
        },
        timeout=5,
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] in (APP, "*")
    allowed = {h.strip().lower() for h in preflight.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"content-type", "x-amz-target"} <= allowed
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]

    token = hosted.id_token()
    answer = requests.post(
        world.url + "/",
        headers={
            "Origin": APP,
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AWSCognitoIdentityService.GetId",
        },
        json={"IdentityPoolId": identity_pool, "Logins": {hosted.pool.provider: token}},
        timeout=5,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["IdentityId"].startswith("us-east-1:")
    assert answer.headers["Access-Control-Allow-Origin"] in (APP, "*")

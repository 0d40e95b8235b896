"""The user pool's hosted UI: authorization code + PKCE, scopes, single-use codes, client credentials."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
import requests

from local.cognito_idp.oauth import CodeFlowError, client_credentials_token, code_flow_tokens, s256
from tests.functional.local.support import PASSWORD, UserPool, World

CALLBACK = "http://localhost:3000/callback"
ROLE = "arn:aws:iam::123456789012:role/hosted-ui-group"


@dataclass
class HostedPool:
    world: World
    pool: UserPool
    username: str

    @property
    def base(self) -> str:
        return f"{self.world.url}/_local/cognito/{self.pool.pool_id}"

    def tokens(self, scopes: list[str], **kwargs: Any) -> dict[str, Any]:
        return code_flow_tokens(
            self.world.url,
            self.pool.pool_id,
            self.pool.client_id,
            self.username,
            PASSWORD,
            scopes,
            CALLBACK,
            **kwargs,
        )

    def authorize_params(self, **overrides: str) -> dict[str, str]:
        params = {
            "response_type": "code",
            "client_id": self.pool.client_id,
            "redirect_uri": CALLBACK,
            "scope": "openid email",
            "state": "xyz",
        }
        params.update(overrides)
        return params

    def code(self, verifier: str | None = None, **overrides: str) -> str:
        """Run authorize + login by hand and return the authorization code."""
        params = self.authorize_params(**overrides)
        if verifier:
            params.update(code_challenge=s256(verifier), code_challenge_method="S256")
        session = requests.Session()
        authorize = session.get(
            f"{self.base}/oauth2/authorize", params=params, allow_redirects=False, timeout=5
        )
        assert authorize.status_code == 302
        login_url = self.world.url + authorize.headers["Location"]
        page = session.get(login_url, timeout=5)
        csrf = page.text.split('name="_csrf" value="')[1].split('"')[0]
        login = session.post(
            login_url,
            data={"_csrf": csrf, "username": self.username, "password": PASSWORD},
            allow_redirects=False,
            timeout=5,
        )
        assert login.status_code == 302
        query = parse_qs(urlparse(login.headers["Location"]).query)
        assert query["state"] == ["xyz"]
        return query["code"][0]

    def redeem(
        self, code: str, verifier: str | None = None, redirect_uri: str = CALLBACK
    ) -> requests.Response:
        form = {
            "grant_type": "authorization_code",
            "client_id": self.pool.client_id,
            "code": code,
            "redirect_uri": redirect_uri,
        }
        if verifier:
            form["code_verifier"] = verifier
        return requests.post(f"{self.base}/oauth2/token", data=form, timeout=5)


def _public_client(**overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthFlows": ["code"],
        "AllowedOAuthScopes": ["openid", "email", "profile"],
        "CallbackURLs": [CALLBACK],
        "SupportedIdentityProviders": ["COGNITO"],
    }
    config.update(overrides)
    return config


@pytest.fixture(scope="module")
def hosted(world: World) -> HostedPool:
    pool = world.user_pool(flows=(), **_public_client())
    world.idp.create_user_pool_domain(UserPoolId=pool.pool_id, Domain=f"d{secrets.token_hex(6)}")
    world.group(pool, "members", role_arn=ROLE, precedence=3)
    username = world.user(pool, groups=("members",), attributes={"given_name": "Grace"})
    return HostedPool(world, pool, username)


def _claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def test_code_flow_grants_the_requested_scopes_with_pool_signed_tokens(hosted: HostedPool) -> None:
    tokens = hosted.tokens(["openid", "email"])

    jwks = jwt.PyJWKClient(f"{hosted.world.url}/{hosted.pool.pool_id}/.well-known/jwks.json")
    access = jwt.decode(
        tokens["access_token"],
        jwks.get_signing_key_from_jwt(tokens["access_token"]).key,
        algorithms=["RS256"],
    )
    assert access["scope"] == "openid email"
    assert access["token_use"] == "access"
    assert access["client_id"] == hosted.pool.client_id
    assert access["username"] == hosted.username
    assert access["cognito:groups"] == ["members"]
    assert access["iss"] == f"https://cognito-idp.us-east-1.amazonaws.com/{hosted.pool.pool_id}"
    assert tokens["token_type"] == "Bearer"

    id_claims = _claims(tokens["id_token"])
    assert id_claims["aud"] == hosted.pool.client_id
    assert id_claims["given_name"] == "Grace"
    assert id_claims["cognito:preferred_role"] == ROLE
    assert id_claims["at_hash"]


def test_no_id_token_without_openid(hosted: HostedPool) -> None:
    tokens = hosted.tokens(["email"])
    assert "id_token" not in tokens
    assert _claims(tokens["access_token"])["scope"] == "email"


def test_no_scope_requested_grants_all_allowed_scopes(hosted: HostedPool) -> None:
    tokens = hosted.tokens([])
    assert _claims(tokens["access_token"])["scope"] == "openid email profile"


def test_scope_not_allowed_for_the_client_is_refused(hosted: HostedPool) -> None:
    with pytest.raises(CodeFlowError) as excinfo:
        hosted.tokens(["openid", "phone"])
    assert excinfo.value.error == "invalid_scope"


def test_redirect_uri_must_be_a_callback_url(hosted: HostedPool) -> None:
    with pytest.raises(CodeFlowError) as excinfo:
        code_flow_tokens(
            hosted.world.url,
            hosted.pool.pool_id,
            hosted.pool.client_id,
            hosted.username,
            PASSWORD,
            ["openid"],
            "https://evil.example/cb",
        )
    assert excinfo.value.error == "redirect_mismatch"

    response = requests.get(
        f"{hosted.base}/oauth2/authorize",
        params=hosted.authorize_params(redirect_uri="https://evil.example/cb"),
        allow_redirects=False,
        timeout=5,
    )
    assert response.status_code == 400
    assert "Location" not in response.headers  # never redirect to an unregistered URL


def test_wrong_password_is_refused_on_the_login_page(hosted: HostedPool) -> None:
    with pytest.raises(CodeFlowError) as excinfo:
        code_flow_tokens(
            hosted.world.url,
            hosted.pool.pool_id,
            hosted.pool.client_id,
            hosted.username,
            "wrong",
            ["openid"],
            CALLBACK,
        )
    assert excinfo.value.error == "login_failed"
    assert excinfo.value.description == "Incorrect username or password."


def test_pkce_wrong_verifier_is_refused(hosted: HostedPool) -> None:
    code = hosted.code(verifier="the-right-verifier-" + "x" * 30)
    response = hosted.redeem(code, verifier="a-different-verifier-" + "y" * 30)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_pkce_missing_verifier_is_refused(hosted: HostedPool) -> None:
    code = hosted.code(verifier="the-right-verifier-" + "x" * 30)
    assert hosted.redeem(code).json()["error"] == "invalid_grant"


def test_code_is_single_use(hosted: HostedPool) -> None:
    verifier = "v" * 43
    code = hosted.code(verifier=verifier)
    first = hosted.redeem(code, verifier=verifier)
    assert first.status_code == 200
    assert first.json()["access_token"]

    second = hosted.redeem(code, verifier=verifier)
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"


def test_redirect_uri_must_match_at_redemption(hosted: HostedPool) -> None:
    code = hosted.code()
    response = hosted.redeem(code, redirect_uri="http://localhost:3000/other")
    assert response.json()["error"] == "invalid_grant"


def test_plain_pkce_is_not_supported(hosted: HostedPool) -> None:
    params = hosted.authorize_params(code_challenge="abc", code_challenge_method="plain")
    response = requests.get(
        f"{hosted.base}/oauth2/authorize", params=params, allow_redirects=False, timeout=5
    )
    assert response.status_code == 302
    query = parse_qs(urlparse(response.headers["Location"]).query)
    assert query["error"] == ["invalid_request"]
    assert query["state"] == ["xyz"]


def test_login_post_needs_the_csrf_token(hosted: HostedPool) -> None:
    login_url = f"{hosted.base}/login"
    response = requests.post(
        login_url,
        params=hosted.authorize_params(),
        data={"username": hosted.username, "password": PASSWORD},
        allow_redirects=False,
        timeout=5,
    )
    assert response.status_code == 403


def test_client_without_oauth_flows_is_refused(hosted: HostedPool) -> None:
    plain = hosted.world.client(hosted.pool, ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])
    with pytest.raises(CodeFlowError) as excinfo:
        code_flow_tokens(
            hosted.world.url,
            hosted.pool.pool_id,
            plain["ClientId"],
            hosted.username,
            PASSWORD,
            ["openid"],
            CALLBACK,
        )
    assert excinfo.value.error == "unauthorized_client"


def test_pool_without_domain_has_no_hosted_ui(world: World) -> None:
    pool = world.user_pool(flows=(), **_public_client())
    with pytest.raises(CodeFlowError) as excinfo:
        code_flow_tokens(world.url, pool.pool_id, pool.client_id, "nobody", PASSWORD, ["openid"], CALLBACK)
    assert excinfo.value.error == "not_found"


def test_confidential_client_must_authenticate_at_the_token_endpoint(hosted: HostedPool) -> None:
    confidential = hosted.world.client(hosted.pool, GenerateSecret=True, **_public_client())
    tokens = code_flow_tokens(
        hosted.world.url,
        hosted.pool.pool_id,
        confidential["ClientId"],
        hosted.username,
        PASSWORD,
        ["email"],
        CALLBACK,
        client_secret=confidential["ClientSecret"],
    )
    assert _claims(tokens["access_token"])["client_id"] == confidential["ClientId"]

    with pytest.raises(CodeFlowError) as excinfo:
        code_flow_tokens(
            hosted.world.url,
            hosted.pool.pool_id,
            confidential["ClientId"],
            hosted.username,
            PASSWORD,
            ["email"],
            CALLBACK,
            client_secret="wrong",
        )
    assert excinfo.value.error == "invalid_client"


def test_client_credentials_grant_custom_scopes_only(hosted: HostedPool) -> None:
    world = hosted.world
    world.idp.create_resource_server(
        UserPoolId=hosted.pool.pool_id,
        Identifier="orders",
        Name="orders",
        Scopes=[{"ScopeName": "read", "ScopeDescription": "r"}],
    )
    machine = world.client(
        hosted.pool,
        GenerateSecret=True,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthScopes=["orders/read"],
    )

    token = client_credentials_token(
        world.url, hosted.pool.pool_id, machine["ClientId"], machine["ClientSecret"], ["orders/read"]
    )
    claims = _claims(token["access_token"])
    assert claims["scope"] == "orders/read"
    assert claims["sub"] == machine["ClientId"]
    assert "username" not in claims

    with pytest.raises(CodeFlowError) as excinfo:
        client_credentials_token(
            world.url, hosted.pool.pool_id, machine["ClientId"], machine["ClientSecret"], ["openid"]
        )
    assert excinfo.value.error == "invalid_scope"

    with pytest.raises(CodeFlowError) as excinfo:
        client_credentials_token(
            world.url, hosted.pool.pool_id, machine["ClientId"], "wrong-secret", ["orders/read"]
        )
    assert excinfo.value.error == "invalid_client"

    with pytest.raises(CodeFlowError) as excinfo:  # a public client cannot use client credentials
        client_credentials_token(
            world.url, hosted.pool.pool_id, hosted.pool.client_id, "anything", ["orders/read"]
        )
    assert excinfo.value.error == "unauthorized_client"

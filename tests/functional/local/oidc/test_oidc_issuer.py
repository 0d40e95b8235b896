"""The local OIDC issuer over HTTP: discovery, JWKS, token endpoint, admin seeding from another process."""

from __future__ import annotations

import time
import uuid

import jwt
import requests

from local.emulator.server import EmulatorHandle
from local.oidc.idp import find_local_idp


def _base(emulator: EmulatorHandle) -> str:
    return f"{emulator.url}/_local/oidc"


def _seed(emulator: EmulatorHandle) -> tuple[str, str, str]:
    client_id, username = f"client-{uuid.uuid4().hex[:8]}", f"user-{uuid.uuid4().hex[:8]}"
    assert (
        requests.post(f"{_base(emulator)}/clients", json={"client_id": client_id}, timeout=5).status_code
        == 201
    )
    created = requests.post(
        f"{_base(emulator)}/users",
        json={
            "username": username,
            "password": "s3cret-pw",
            "email": f"{username}@gmail.example",
            "given_name": "Grace",
            "family_name": "Hopper",
        },
        timeout=5,
    )
    assert created.status_code == 201
    return client_id, username, created.json()["sub"]


def _token(emulator: EmulatorHandle, **form: str) -> requests.Response:
    return requests.post(f"{_base(emulator)}/token", data={"grant_type": "password", **form}, timeout=5)


def test_issuer_is_https_and_resolvable_in_process(emulator: EmulatorHandle) -> None:
    assert emulator.oidc_issuer == f"https://127.0.0.1/_local/oidc/{emulator.port}"
    assert emulator.oidc_provider_name == f"127.0.0.1/_local/oidc/{emulator.port}"
    assert find_local_idp(emulator.oidc_issuer) is emulator.oidc


def test_discovery_and_jwks(emulator: EmulatorHandle) -> None:
    document = requests.get(f"{_base(emulator)}/.well-known/openid-configuration", timeout=5).json()
    assert document["issuer"] == emulator.oidc_issuer
    assert document["jwks_uri"] == f"{_base(emulator)}/jwks.json"
    assert document["id_token_signing_alg_values_supported"] == ["RS256"]
    keys = requests.get(document["jwks_uri"], timeout=5).json()["keys"]
    assert [k["kid"] for k in keys] == [emulator.oidc.key.kid]
    assert "d" not in keys[0]


def test_token_endpoint_issues_a_verifiable_id_token(emulator: EmulatorHandle) -> None:
    client_id, username, sub = _seed(emulator)
    before = int(time.time())
    response = _token(emulator, username=username, password="s3cret-pw", client_id=client_id)

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    jwks = jwt.PyJWKClient(f"{_base(emulator)}/jwks.json")
    claims = jwt.decode(
        body["id_token"],
        jwks.get_signing_key_from_jwt(body["id_token"]).key,
        algorithms=["RS256"],
        audience=client_id,
        issuer=emulator.oidc_issuer,
    )
    assert claims["sub"] == sub
    assert claims["email"] == f"{username}@gmail.example"
    assert claims["email_verified"] is True
    assert (claims["given_name"], claims["family_name"]) == ("Grace", "Hopper")
    assert before <= claims["iat"] <= claims["exp"] - 3000


def test_unknown_client_and_wrong_password_are_oauth_errors(emulator: EmulatorHandle) -> None:
    client_id, username, _ = _seed(emulator)

    unknown = _token(emulator, username=username, password="s3cret-pw", client_id="not-registered")
    assert (unknown.status_code, unknown.json()["error"]) == (400, "invalid_client")

    wrong = _token(emulator, username=username, password="nope", client_id=client_id)
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")

    nobody = _token(emulator, username="nobody", password="nope", client_id=client_id)
    assert nobody.json()["error"] == "invalid_grant"

    grant = requests.post(f"{_base(emulator)}/token", data={"grant_type": "client_credentials"}, timeout=5)
    assert grant.json()["error"] == "unsupported_grant_type"


def test_admin_endpoints_reject_bad_input_and_duplicates(emulator: EmulatorHandle) -> None:
    _, username, _ = _seed(emulator)
    duplicate = requests.post(
        f"{_base(emulator)}/users", json={"username": username, "password": "x"}, timeout=5
    )
    assert duplicate.status_code == 409

    assert requests.post(f"{_base(emulator)}/users", json={"username": "x"}, timeout=5).status_code == 400
    assert requests.post(f"{_base(emulator)}/users", data="not json", timeout=5).status_code == 400
    reserved = requests.post(
        f"{_base(emulator)}/users",
        json={"username": "y", "password": "p", "claims": {"iss": "https://evil"}},
        timeout=5,
    )
    assert reserved.status_code == 400
    assert requests.post(f"{_base(emulator)}/clients", json={}, timeout=5).status_code == 400

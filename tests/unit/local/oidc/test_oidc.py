"""The local OIDC issuer in-process (its WSGI app through werkzeug's test client, no server)."""

from __future__ import annotations

from collections.abc import Iterator

import jwt
import pytest
from werkzeug.test import Client

from local.oidc.idp import LocalIdP, OidcError, find_local_idp

ISSUER = "https://127.0.0.1:9/_local/oidc"


@pytest.fixture
def idp() -> Iterator[LocalIdP]:
    provider = LocalIdP(ISSUER)
    provider.add_client("app")
    yield provider
    provider.close()


def test_issuer_must_be_https() -> None:
    with pytest.raises(ValueError, match="https"):
        LocalIdP("http://127.0.0.1:9/_local/oidc", register=False)


def test_registered_for_in_process_lookup_until_closed() -> None:
    provider = LocalIdP("https://127.0.0.1:10/_local/oidc")
    assert find_local_idp("https://127.0.0.1:10/_local/oidc/") is provider
    assert provider.provider_name == "127.0.0.1:10/_local/oidc"
    provider.close()
    assert find_local_idp("https://127.0.0.1:10/_local/oidc") is None


def test_id_token_claims_and_signature(idp: LocalIdP) -> None:
    sub = idp.add_user("grace", "pw", email="grace@example.com", given_name="Grace", family_name="Hopper")
    token = idp.issue_id_token(client_id="app", username="grace", password="pw", nonce="n-1")

    claims = jwt.decode(
        token, idp.signing_key(idp.key.kid), algorithms=["RS256"], audience="app", issuer=ISSUER
    )
    assert claims["sub"] == sub
    assert claims["email"] == "grace@example.com"
    assert claims["email_verified"] is True
    assert claims["given_name"] == "Grace"
    assert claims["family_name"] == "Hopper"
    assert claims["nonce"] == "n-1"
    assert claims["exp"] - claims["iat"] == 3600
    with pytest.raises(KeyError):
        idp.signing_key("another-kid")


def test_errors(idp: LocalIdP) -> None:
    idp.add_user("ada", "right")
    with pytest.raises(OidcError) as excinfo:
        idp.issue_id_token(client_id="unknown", username="ada", password="right")
    assert excinfo.value.error == "invalid_client"
    with pytest.raises(OidcError) as excinfo:
        idp.issue_id_token(client_id="app", username="ada", password="wrong")
    assert excinfo.value.error == "invalid_grant"
    with pytest.raises(ValueError, match="already exists"):
        idp.add_user("ada", "again")
    with pytest.raises(ValueError, match="may not set"):
        idp.add_user("eve", "pw", claims={"aud": "app"})


def test_http_endpoints(idp: LocalIdP) -> None:
    client = Client(idp)
    discovery = client.get("/.well-known/openid-configuration", base_url="http://127.0.0.1:9/_local/oidc/")
    assert discovery.json["issuer"] == ISSUER
    assert discovery.json["jwks_uri"] == "http://127.0.0.1:9/_local/oidc/jwks.json"

    assert (
        client.post("/users", json={"username": "u", "password": "p", "email": "u@x.io"}).status_code == 201
    )
    ok = client.post(
        "/token", data={"grant_type": "password", "username": "u", "password": "p", "client_id": "app"}
    )
    assert ok.status_code == 200
    assert ok.headers["Cache-Control"] == "no-store"
    assert jwt.decode(ok.json["id_token"], options={"verify_signature": False})["email"] == "u@x.io"

    missing = client.post("/token", data={"grant_type": "password", "username": "u"})
    assert (missing.status_code, missing.json["error"]) == (400, "invalid_request")
    assert client.get("/nowhere").status_code == 404


def test_admin_endpoints_list_reset_and_delete_users(idp: LocalIdP) -> None:
    """What an IdP administrator does, used by `make verify`'s sweeper for its external user."""
    client = Client(idp)
    token = {"grant_type": "password", "client_id": "app"}
    for name in ("fgaverify-1-external", "fgaverify-2-external", "someone-else"):
        assert client.post("/users", json={"username": name, "password": "old"}).status_code == 201

    listed = client.get("/users?prefix=fgaverify-").json["users"]
    assert [u["username"] for u in listed] == ["fgaverify-1-external", "fgaverify-2-external"]
    assert all(set(u) == {"username", "sub", "created"} for u in listed), "never a password or hash"

    assert client.put("/users/fgaverify-1-external/password", json={"password": "new"}).status_code == 204
    refused = client.post("/token", data={**token, "username": "fgaverify-1-external", "password": "old"})
    assert refused.status_code == 400
    accepted = client.post("/token", data={**token, "username": "fgaverify-1-external", "password": "new"})
    assert accepted.status_code == 200

    assert client.delete("/users/fgaverify-1-external").status_code == 204
    assert client.delete("/users/fgaverify-1-external").status_code == 404
    gone = client.post("/token", data={**token, "username": "fgaverify-1-external", "password": "new"})
    assert gone.status_code == 400
    assert [u["username"] for u in client.get("/users").json["users"]] == [
        "fgaverify-2-external",
        "someone-else",
    ]
    assert client.put("/users/nobody/password", json={"password": "x"}).status_code == 404
    assert client.put("/users/someone-else/password", json={"password": ""}).status_code == 400

"""Scenarios S1-S7 of SPEC §4, over HTTP against the deployed API.

Each test reads what the server answered (status, body, stored record) and would fail if the
scenario broke. Parts that need the emulator itself (reading the records table, the hosted UI's
code flow, the pool's private key) are marked `local_only`.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.client import Session
from tests.e2e import local_support
from tests.e2e.support import (
    NEWS_DELETE,
    UNAUTHORIZED_BODY,
    Sessions,
    call,
    claims_of,
    error_type,
    expired_claims,
    forge,
    identity_id,
    public_client,
    user_pool_provider,
    with_token,
)
from tools import config


def _profile_body() -> dict[str, str]:
    """A profile with a name no other test writes, so a read can only return this write."""
    marker = uuid.uuid4().hex[:10]
    return {"name": f"Ada{marker}", "surname": "Lovelace", "email": f"ada-{marker}@example.com"}


def _role_name(stack: dict[str, Any], group: str) -> str:
    return str(stack["group_role_arns"][group]).rsplit("/", 1)[-1]


def _assert_iam_denied(response: Any, stack: dict[str, Any], group: str) -> None:
    """403 from IAM evaluation (not a signature problem), naming the caller's group role."""
    assert response.status_code == 403, response.text
    assert error_type(response) == "AccessDeniedException", response.headers
    assert f"assumed-role/{_role_name(stack, group)}/" in response.json()["message"]


# --- S1: user-pool user -> identity pool -> SigV4 on /cip --------------------------------------


class TestS1IdentityPoolUser:
    def test_get_and_post_cip_answer_200_and_get_returns_what_post_stored(
        self, stack: dict[str, Any], cip_user: Session
    ) -> None:
        body = _profile_body()
        posted = cip_user.request("POST", "/cip", body)
        assert posted.status_code == 200, posted.text
        profile = posted.json()["profile"]
        assert {k: profile[k] for k in body} == body
        assert profile["provider"] == user_pool_provider(stack)

        read = cip_user.request("GET", "/cip")
        assert read.status_code == 200, read.text
        assert read.json()["profile"] == profile

    @pytest.mark.parametrize("method", ["GET", "POST"])
    def test_google_is_forbidden(self, stack: dict[str, Any], cip_user: Session, method: str) -> None:
        body = _profile_body() if method == "POST" else None
        _assert_iam_denied(cip_user.request(method, "/google", body), stack, "cip-users")

    @pytest.mark.local_only
    def test_record_is_stored_under_the_callers_cognito_identity_id(
        self, stack: dict[str, Any], running: Any, cip_user: Session
    ) -> None:
        body = _profile_body()
        assert cip_user.request("POST", "/cip", body).status_code == 200
        item = local_support.record(running, stack, f"identity#{identity_id(cip_user)}")
        assert item is not None, "no record under identity#<cognitoIdentityId>"
        assert item["name"] == {"S": body["name"]}
        assert item["provider"] == {"S": user_pool_provider(stack)}


# --- S2: external OIDC IdP user federated into the identity pool -------------------------------


class TestS2ExternalIdpUser:
    def test_get_and_post_google_answer_200_and_get_returns_what_post_stored(
        self, stack: dict[str, Any], external: Session
    ) -> None:
        body = _profile_body()
        posted = external.request("POST", "/google", body)
        assert posted.status_code == 200, posted.text
        profile = posted.json()["profile"]
        assert {k: profile[k] for k in body} == body
        assert profile["provider"] == stack["external_idp"]["provider_name"]
        read = external.request("GET", "/google")
        assert read.status_code == 200, read.text
        assert read.json()["profile"] == profile

    @pytest.mark.parametrize("method", ["GET", "POST"])
    def test_cip_is_forbidden(self, stack: dict[str, Any], external: Session, method: str) -> None:
        body = _profile_body() if method == "POST" else None
        _assert_iam_denied(external.request(method, "/cip", body), stack, stack["external_idp"]["group"])

    @pytest.mark.local_only
    def test_record_is_stored_under_the_callers_cognito_identity_id(
        self, stack: dict[str, Any], running: Any, external: Session
    ) -> None:
        body = _profile_body()
        assert external.request("POST", "/google", body).status_code == 200
        item = local_support.record(running, stack, f"identity#{identity_id(external)}")
        assert item is not None, "no record under identity#<cognitoIdentityId>"
        assert item["name"] == {"S": body["name"]}


# --- S3: user-pool ID token on the user_pool route /cup -----------------------------------------


class TestS3UserPoolIdToken:
    def test_id_token_on_cup_answers_200(self, vet: Session) -> None:
        response = vet.request("GET", "/cup")
        assert response.status_code == 200, response.text
        assert "profile" in response.json()

    def test_names_default_to_the_tokens_claims(self, stack: dict[str, Any], admin: Session) -> None:
        claims = claims_of(admin.tokens()["id"])
        posted = admin.request("POST", "/cup", {})
        assert posted.status_code == 200, posted.text
        profile = posted.json()["profile"]
        assert (profile["name"], profile["surname"], profile["email"]) == (
            claims["given_name"],
            claims["family_name"],
            claims["email"],
        )
        assert profile["provider"] == user_pool_provider(stack)
        assert admin.request("GET", "/cup").json()["profile"] == profile

    def test_body_values_win_over_claims_for_the_fields_it_names(self, admin: Session) -> None:
        claims = claims_of(admin.tokens()["id"])
        surname = f"Hopper{uuid.uuid4().hex[:8]}"
        posted = admin.request("POST", "/cup", {"surname": surname})
        assert posted.status_code == 200, posted.text
        profile = posted.json()["profile"]
        assert (profile["name"], profile["surname"], profile["email"]) == (
            claims["given_name"],
            surname,
            claims["email"],
        )

    @pytest.mark.local_only
    def test_record_is_keyed_by_the_tokens_sub(
        self, stack: dict[str, Any], running: Any, vet: Session
    ) -> None:
        claims = claims_of(vet.tokens()["id"])
        assert vet.request("POST", "/cup", {}).status_code == 200
        item = local_support.record(running, stack, f"sub#{claims['sub']}")
        assert item is not None, "no record under sub#<sub>"
        assert item["name"] == {"S": claims["given_name"]}
        assert item["surname"] == {"S": claims["family_name"]}
        assert item["email"] == {"S": claims["email"]}


# --- S4: lambda-authorizer pet store for group pet-veterinarian ---------------------------------


class TestS4LambdaAuthorizerPetStore:
    def test_no_header_is_401_unauthorized(self, stack: dict[str, Any]) -> None:
        for path in ("/petstore/v1/pets", "/petstore/v2/status", "/petstore/v2/pets"):
            response = call(stack, "GET", path)
            assert response.status_code == 401, (path, response.text)
            assert response.json() == UNAUTHORIZED_BODY

    @pytest.mark.parametrize(
        "header",
        [
            "not-a-jwt",
            "Bearer ",
            "Bearer a.b.c",
            "Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
            "Basic dXNlcjpwYXNz",
        ],
        ids=["garbage", "empty-bearer", "three-dots", "empty-claims", "basic-auth"],
    )
    def test_malformed_token_is_401(self, stack: dict[str, Any], header: str) -> None:
        response = with_token(stack, "GET", "/petstore/v2/status", header)
        assert response.status_code == 401, response.text
        assert response.json() == UNAUTHORIZED_BODY

    def test_forged_token_is_401(self, stack: dict[str, Any], vet: Session) -> None:
        response = with_token(stack, "GET", "/petstore/v2/status", f"Bearer {forge(vet.tokens()['access'])}")
        assert response.status_code == 401, response.text
        assert response.json() == UNAUTHORIZED_BODY

    @pytest.mark.local_only
    def test_expired_token_signed_by_the_pool_is_401(self, stack: dict[str, Any], vet: Session) -> None:
        token = local_support.pool_sign(stack["user_pool_id"], expired_claims(vet.tokens()["access"]))
        response = with_token(stack, "GET", "/petstore/v2/status", f"Bearer {token}")
        assert response.status_code == 401, response.text
        assert response.json() == UNAUTHORIZED_BODY

    @pytest.mark.local_only
    def test_token_signed_by_the_pool_with_fresh_claims_is_accepted(
        self, stack: dict[str, Any], vet: Session
    ) -> None:
        """Control for the expired case: the same minting with a valid `exp` passes, so the 401
        above is about expiry, not about how the test signs."""
        claims = {**claims_of(vet.tokens()["access"]), "jti": str(uuid.uuid4())}
        token = local_support.pool_sign(stack["user_pool_id"], claims)
        response = with_token(stack, "GET", "/petstore/v2/status", f"Bearer {token}")
        assert response.status_code == 200, response.text

    def test_v1_any_verb_reaches_the_handler(self, stack: dict[str, Any], vet: Session) -> None:
        listed = vet.request("GET", "/petstore/v1/pets")
        assert listed.status_code == 200, listed.text
        assert {"1", "2", "3"} <= {p["id"] for p in listed.json()["pets"]}

        created = vet.request("POST", "/petstore/v1/pets", {"type": "parrot", "price": 42.5})
        assert created.status_code == 200, created.text
        assert created.json()["message"] == "success"
        pet_id = created.json()["pet"]["id"]
        item_path = f"/petstore/v1/pets/{pet_id}"

        fetched = vet.request("GET", item_path)
        assert fetched.status_code == 200, fetched.text
        assert fetched.json()["pet"]["type"] == "parrot"

        updated = vet.request("PUT", item_path, {"type": "parrot", "price": 50})
        assert updated.status_code == 200, updated.text
        assert updated.json()["pet"]["price"] == 50

        deleted = vet.request("DELETE", item_path)
        assert deleted.status_code == 200, deleted.text
        assert deleted.json() == {"deleted": pet_id}
        gone = vet.request("GET", item_path)
        assert gone.status_code == 404, gone.text  # the authorizer let it through; the pet is gone

    @pytest.mark.parametrize("method", ["PATCH", "DELETE"])
    def test_v1_verbs_the_handler_does_not_serve_still_pass_the_authorizer(
        self, vet: Session, method: str
    ) -> None:
        """ANY + `*/petstore/v1/*`: the authorizer allows every verb; the handler answers 405."""
        response = vet.request(method, "/petstore/v1/pets")
        assert response.status_code == 405, response.text
        assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}

    def test_catalogue_pets_are_read_only(self, vet: Session) -> None:
        response = vet.request("PUT", "/petstore/v1/pets/1", {"type": "dog", "price": 1})
        assert response.status_code == 409, response.text

    @pytest.mark.parametrize(
        "prefix", ["Bearer ", "bearer ", "BEARER ", ""], ids=["Bearer", "bearer", "BEARER", "bare"]
    )
    def test_v2_status_is_200_with_or_without_bearer(
        self, stack: dict[str, Any], vet: Session, prefix: str
    ) -> None:
        response = with_token(stack, "GET", "/petstore/v2/status", f"{prefix}{vet.tokens()['access']}")
        assert response.status_code == 200, response.text
        assert response.json() == {"status": "ok", "version": "v2"}

    def test_v2_pets_is_403(self, vet: Session) -> None:
        response = vet.request("GET", "/petstore/v2/pets")
        assert response.status_code == 403, response.text
        assert response.json() == {"message": "User is not authorized to access this resource"}


# --- S5: DELETE /news, admins only ---------------------------------------------------------------


class TestS5DeleteNews:
    def test_no_token_is_401(self, stack: dict[str, Any]) -> None:
        response = call(stack, "DELETE", NEWS_DELETE)
        assert response.status_code == 401, response.text
        assert response.json() == UNAUTHORIZED_BODY

    @pytest.mark.parametrize(
        "groups",
        [("pet-veterinarian",), ("cip-users",), ("google-users",), (), ("cip-users", "pet-veterinarian")],
        ids=["pet-veterinarian", "cip-users", "google-users", "no-group", "multi-group"],
    )
    def test_signed_in_non_admin_is_403(self, sessions: Sessions, groups: tuple[str, ...]) -> None:
        session = sessions.in_groups(*groups)
        response = session.request("DELETE", NEWS_DELETE)
        assert response.status_code == 403, response.text
        # A group policy without DELETE /news: no matching Allow. No group: the authorizer's
        # stage-wide Deny (" with an explicit deny").
        assert response.json()["message"].startswith("User is not authorized to access this resource")

    def test_admin_passes_authorization_and_deletes_nothing_it_did_not_create(self, admin: Session) -> None:
        """Portable: an id no item has (the handler's format, a time in the past) reaches the handler
        (404 from it, not a 403 from the gateway) and deletes nothing, on any deployment."""
        response = admin.request("DELETE", NEWS_DELETE)
        assert response.status_code == 404, response.text
        assert response.json() == {"message": "no news item with id 20000101T000000Z-00000000"}

    @pytest.mark.local_only
    def test_admin_may_delete_the_whole_collection(self, admin: Session) -> None:
        """The bare collection DELETE deletes news it did not create: only where the data are
        disposable, the local emulator (against a real environment that is data loss)."""
        response = admin.request("DELETE", "/news")
        assert response.status_code == 200, response.text
        result = response.json()
        assert isinstance(result["deleted"], int)
        if not result["more"]:
            assert admin.request("GET", "/news").json()["news"] == []

    @pytest.mark.local_only
    def test_every_listed_news_id_is_one_delete_accepts(
        self, stack: dict[str, Any], admin: Session, news_at_start: list[dict[str, Any]]
    ) -> None:
        """An id the API lists must be an id the API takes back: DELETE ?id= answers 200 (or 404
        when another test deleted the item since), never 400 "malformed id". It deletes what it
        listed: the emulator's demo news only."""
        assert news_at_start, "the local stack lists no news at start (it seeds demo news)"
        for item in news_at_start:
            response = admin.request("DELETE", f"/news?id={item['id']}")
            assert response.status_code in (200, 404), (item, response.text)

    @pytest.mark.local_only
    def test_admin_deletes_one_item_by_id(self, stack: dict[str, Any], running: Any, admin: Session) -> None:
        # The news id format of functions/backend/backend_core/news_records.py: <UTC time>-<8 hex>.
        news_id = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}"
        running.aws("dynamodb").put_item(
            TableName=stack["tables"]["records"],
            Item={
                "pk": {"S": "news"},
                "sk": {"S": news_id},
                "title": {"S": "e2e"},
                "body": {"S": "to delete"},
            },
        )
        response = admin.request("DELETE", f"/news?id={news_id}")
        assert response.status_code == 200, response.text
        assert response.json() == {"deleted": 1}
        assert local_support.record(running, stack, "news", news_id) is None


# --- S6: user-pool options (what a client can observe) -------------------------------------------


class TestS6UserPoolOptions:
    def test_self_sign_up_follows_the_environment(self, stack: dict[str, Any]) -> None:
        """self_sign_up = false (the safe default): SignUp is refused (Cognito: NotAuthorizedException,
        "SignUp is not permitted for this user pool") and no user is created."""
        options = config.load(stack["environment"]).raw.get("user_pool", {})
        if options.get("self_sign_up", False):
            pytest.skip("this environment enables self sign-up")
        username = f"mallory-{uuid.uuid4().hex[:10]}@example.com"
        with pytest.raises(ClientError) as refused:
            public_client(stack, "cognito-idp").sign_up(
                ClientId=stack["user_pool_client_id"],
                Username=username,
                Password="Correct-horse-9-battery",
                UserAttributes=[{"Name": "email", "Value": username}],
            )
        assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"

    def test_token_lifetimes_follow_the_environment(self, stack: dict[str, Any], admin: Session) -> None:
        options = config.load(stack["environment"]).raw.get("user_pool", {})
        tokens = admin.tokens()
        # 60 minutes: the stack's default (terraform/stack/variables.tf) when the env sets none.
        for kind, key in (("id", "id_token_validity_minutes"), ("access", "access_token_validity_minutes")):
            claims = claims_of(tokens[kind])
            assert claims["exp"] - claims["iat"] == 60 * int(options.get(key, 60)), kind

    def test_public_client_signs_in_by_email_without_a_secret(
        self, stack: dict[str, Any], admin: Session
    ) -> None:
        claims = claims_of(admin.tokens()["id"])
        assert claims["aud"] == stack["user_pool_client_id"]
        assert claims["email"] == admin.user["username"]
        assert claims["iss"] == stack["user_pool_issuer"]

    def test_wrong_password_is_refused(self, stack: dict[str, Any], admin: Session) -> None:
        with pytest.raises(ClientError) as refused:
            public_client(stack, "cognito-idp").initiate_auth(
                ClientId=stack["user_pool_client_id"],
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": admin.user["username"], "PASSWORD": admin.user["password"] + "x"},
            )
        assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"

    @pytest.mark.local_only
    def test_a_password_below_the_policy_is_refused(self, stack: dict[str, Any], running: Any) -> None:
        user = local_support.create_pool_user(running, stack["user_pool_id"])
        tokens = local_support.sign_in(running, stack["user_pool_client_id"], user)
        cognito = public_client(stack, "cognito-idp")
        with pytest.raises(ClientError) as refused:
            cognito.change_password(
                PreviousPassword=user["password"], ProposedPassword="short1!A", AccessToken=tokens["access"]
            )
        assert refused.value.response["Error"]["Code"] == "InvalidPasswordException"
        local_support.sign_in(running, stack["user_pool_client_id"], user)  # the old password still works

    @pytest.mark.local_only
    def test_hosted_ui_grants_only_the_clients_scopes(self, stack: dict[str, Any], vet: Session) -> None:
        token = vet.scoped_access_token(("email", "profile"))
        assert set(claims_of(token)["scope"].split()) == {"openid", "email", "profile"}


# --- S7: user_pool method that requires an OAuth scope -------------------------------------------


class TestS7ScopedUserPoolMethod:
    @pytest.mark.local_only
    def test_access_token_with_the_email_scope_is_200(self, vet: Session) -> None:
        response = vet.request("GET", "/cup/email", scopes=("email",))
        assert response.status_code == 200, response.text
        assert response.json() == {"email": claims_of(vet.tokens()["id"])["email"]}

    def test_id_token_is_401(self, stack: dict[str, Any], vet: Session) -> None:
        response = with_token(stack, "GET", "/cup/email", vet.tokens()["id"])
        assert response.status_code == 401, response.text
        assert response.json() == UNAUTHORIZED_BODY

    def test_access_token_without_the_scope_is_401(self, stack: dict[str, Any], vet: Session) -> None:
        token = vet.tokens()["access"]  # password sign-in: scope aws.cognito.signin.user.admin only
        assert "email" not in claims_of(token).get("scope", "").split()
        response = with_token(stack, "GET", "/cup/email", token)
        assert response.status_code == 401, response.text
        assert response.json() == UNAUTHORIZED_BODY

    @pytest.mark.local_only
    def test_access_token_with_other_scopes_only_is_401(self, stack: dict[str, Any], vet: Session) -> None:
        token = vet.scoped_access_token(("profile",))
        assert set(claims_of(token)["scope"].split()) == {"openid", "profile"}
        response = with_token(stack, "GET", "/cup/email", token)
        assert response.status_code == 401, response.text

    @pytest.mark.local_only
    def test_expired_scoped_token_is_401(self, stack: dict[str, Any], vet: Session) -> None:
        claims = expired_claims(vet.scoped_access_token(("email",)))
        response = with_token(
            stack, "GET", "/cup/email", local_support.pool_sign(stack["user_pool_id"], claims)
        )
        assert response.status_code == 401, response.text

"""Negative cases per auth mode: what must be refused, and that a refused request changes nothing.

Lambda-authorizer results are cached per token for the authorizer's TTL (60 s locally). Every
token a test invents (forged, unsigned, expired, from another pool or client) is unique (fresh
`jti`, fresh key), so no cached answer can make another test pass or fail; the demo users' real
tokens always get the same answer, so sharing them across tests is safe.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from local.client import Session
from tests.e2e import local_support
from tests.e2e.support import (
    MISSING_AUTH_TOKEN_BODY,
    NEWS_DELETE,
    UNAUTHORIZED_BODY,
    Sessions,
    call,
    claims_of,
    collection_env,
    credentials_for,
    error_type,
    expired_claims,
    forge,
    identity_id,
    identity_pool_error,
    raw_call,
    signed_call,
    unsigned,
    user_pool_provider,
    with_token,
)
from tools import config, contract
from tools.matrix import DEFAULT_ROLE, NO_CREDENTIALS, RULES, user_pool_role_mapping

NOT_AUTHORIZED = "User is not authorized to access this resource"
MAPPING = user_pool_role_mapping(config.load(collection_env()))
PROMISE = contract.load()
IAM_ROUTES = [("GET", "/cip"), ("POST", "/cip"), ("GET", "/google"), ("POST", "/google")]
LAMBDA_ROUTES = [
    ("GET", "/petstore/v1/pets"),
    ("GET", "/petstore/v1/pets/1"),
    ("GET", "/petstore/v2/status"),
    ("GET", "/petstore/v2/pets"),
    ("GET", "/news"),
    ("DELETE", NEWS_DELETE),
]


def _profile() -> dict[str, str]:
    marker = uuid.uuid4().hex[:10]
    return {"name": f"Eve{marker}", "surname": "Intruder", "email": f"eve-{marker}@example.com"}


def _role_name(stack: dict[str, Any], group: str) -> str:
    return str(stack["group_role_arns"][group]).rsplit("/", 1)[-1]


def _assert_401(response: Any) -> None:
    assert response.status_code == 401, response.text
    assert response.json() == UNAUTHORIZED_BODY


# --- iam mode --------------------------------------------------------------------------------------


class TestIamMode:
    @pytest.mark.parametrize(("method", "path"), IAM_ROUTES)
    def test_no_credentials_is_403_missing_authentication_token(
        self, stack: dict[str, Any], method: str, path: str
    ) -> None:
        response = call(stack, method, path, body=_profile() if method == "POST" else None)
        assert response.status_code == 403, response.text
        assert response.json() == MISSING_AUTH_TOKEN_BODY

    def test_sigv4_with_a_wrong_secret_is_403_and_writes_nothing(
        self, stack: dict[str, Any], cip_user: Session
    ) -> None:
        real = cip_user.aws_credentials()
        wrong = Credentials(real.access_key, real.secret_key[::-1] + "x", real.token)
        body = _profile()
        response = signed_call(stack, wrong, "POST", "/cip", body=body)
        assert response.status_code == 403, response.text
        assert error_type(response) == "InvalidSignatureException"
        assert (cip_user.request("GET", "/cip").json()["profile"] or {}).get("name") != body["name"]

    def test_a_body_changed_after_signing_is_403_and_writes_nothing(
        self, stack: dict[str, Any], cip_user: Session
    ) -> None:
        signed_body, sent_body = _profile(), _profile()
        response = signed_call(
            stack, cip_user.aws_credentials(), "POST", "/cip", body=signed_body, tamper_body=sent_body
        )
        assert response.status_code == 403, response.text
        assert error_type(response) == "InvalidSignatureException"
        stored = cip_user.request("GET", "/cip").json()["profile"] or {}
        assert stored.get("name") not in (signed_body["name"], sent_body["name"])

    def test_an_unknown_access_key_is_403(self, stack: dict[str, Any], cip_user: Session) -> None:
        real = cip_user.aws_credentials()
        made_up = Credentials("ASIA" + uuid.uuid4().hex[:16].upper(), real.secret_key, real.token)
        response = signed_call(stack, made_up, "GET", "/cip")
        assert response.status_code == 403, response.text
        assert response.json()["message"] == "The security token included in the request is invalid."

    def test_temporary_credentials_without_their_session_token_are_403(
        self, stack: dict[str, Any], cip_user: Session
    ) -> None:
        real = cip_user.aws_credentials()
        response = signed_call(stack, Credentials(real.access_key, real.secret_key), "GET", "/cip")
        assert response.status_code == 403, response.text
        assert response.json()["message"] == "The security token included in the request is invalid."

    @pytest.mark.parametrize(
        ("groups", "method", "path"),
        [
            (("google-users",), "GET", "/cip"),
            (("google-users",), "POST", "/cip"),
            (("pet-veterinarian",), "GET", "/cip"),
            (("admin",), "GET", "/google"),
            (("admin",), "POST", "/cip"),
        ],
    )
    def test_credentials_of_one_group_on_another_groups_route_are_403(
        self, stack: dict[str, Any], sessions: Sessions, groups: tuple[str, ...], method: str, path: str
    ) -> None:
        response = sessions.in_groups(*groups).request(method, path, _profile() if method == "POST" else None)
        assert response.status_code == 403, response.text
        assert error_type(response) == "AccessDeniedException"
        assert f"assumed-role/{_role_name(stack, groups[0])}/" in response.json()["message"]

    @pytest.mark.parametrize(("method", "path"), IAM_ROUTES)
    def test_a_user_in_no_group_gets_no_iam_access(
        self, stack: dict[str, Any], no_group: Session, method: str, path: str
    ) -> None:
        """Rules (default): no rule matches a token without cognito:preferred_role, so the identity
        pool refuses credentials; the unsigned call a client is left with is 403. Token: the
        deny-all default role, 403 AccessDenied."""
        body = _profile() if method == "POST" else None
        if MAPPING == RULES:
            assert identity_pool_error(stack, no_group.logins()) == "NotAuthorizedException"
            response = call(stack, method, path, body=body)
            assert response.status_code == 403, response.text
            assert response.json() == MISSING_AUTH_TOKEN_BODY
            return
        response = no_group.request(method, path, body)
        assert response.status_code == 403, response.text
        assert error_type(response) == "AccessDeniedException"
        message = response.json()["message"]
        assert "assumed-role/" in message
        assert not any(f"assumed-role/{_role_name(stack, g)}/" in message for g in stack["group_role_arns"])

    # The identity pool is the gate of iam mode: a login it refuses never becomes credentials.

    def test_identity_pool_refuses_a_forged_id_token(self, stack: dict[str, Any], cip_user: Session) -> None:
        logins = {user_pool_provider(stack): forge(cip_user.tokens()["id"])}
        assert identity_pool_error(stack, logins) == "NotAuthorizedException"

    def test_identity_pool_refuses_an_unsigned_id_token(
        self, stack: dict[str, Any], cip_user: Session
    ) -> None:
        logins = {user_pool_provider(stack): unsigned(cip_user.tokens()["id"])}
        assert identity_pool_error(stack, logins) == "NotAuthorizedException"

    def test_identity_pool_refuses_an_access_token(self, stack: dict[str, Any], cip_user: Session) -> None:
        logins = {user_pool_provider(stack): cip_user.tokens()["access"]}
        assert identity_pool_error(stack, logins) == "NotAuthorizedException"

    def test_identity_pool_refuses_an_external_token_under_the_user_pools_name(
        self, stack: dict[str, Any], external: Session
    ) -> None:
        logins = {user_pool_provider(stack): external.external_id_token()}
        assert identity_pool_error(stack, logins) == "NotAuthorizedException"

    def test_identity_pool_refuses_a_user_pool_token_under_the_external_idps_name(
        self, stack: dict[str, Any], cip_user: Session
    ) -> None:
        logins = {stack["external_idp"]["provider_name"]: cip_user.tokens()["id"]}
        assert identity_pool_error(stack, logins) == "NotAuthorizedException"

    def test_identity_pool_refuses_a_forged_external_token(
        self, stack: dict[str, Any], external: Session
    ) -> None:
        logins = {stack["external_idp"]["provider_name"]: forge(external.external_id_token())}
        assert identity_pool_error(stack, logins) == "NotAuthorizedException"

    def test_identity_pool_refuses_anonymous_callers(self, stack: dict[str, Any]) -> None:
        assert identity_pool_error(stack, {}) == "NotAuthorizedException"

    def test_control_the_identity_pool_accepts_the_real_tokens(
        self, stack: dict[str, Any], cip_user: Session, external: Session
    ) -> None:
        """Control for the refusals above: the same calls with the untouched tokens succeed."""
        assert identity_pool_error(stack, cip_user.logins()) == ""
        assert identity_pool_error(stack, external.logins()) == ""

    @pytest.mark.local_only
    def test_identity_pool_refuses_an_expired_id_token_signed_by_the_pool(
        self, stack: dict[str, Any], cip_user: Session
    ) -> None:
        token = local_support.pool_sign(stack["user_pool_id"], expired_claims(cip_user.tokens()["id"]))
        assert identity_pool_error(stack, {user_pool_provider(stack): token}) == "NotAuthorizedException"

    @pytest.mark.local_only
    def test_identity_pool_refuses_an_expired_external_token(
        self, stack: dict[str, Any], running: Any, external: Session
    ) -> None:
        token = running.emulator.oidc.key.sign(expired_claims(external.external_id_token()))
        logins = {stack["external_idp"]["provider_name"]: token}
        assert identity_pool_error(stack, logins) == "NotAuthorizedException"

    @pytest.mark.local_only
    def test_identity_pool_refuses_a_token_from_another_user_pool(
        self, stack: dict[str, Any], running: Any
    ) -> None:
        other = local_support.create_other_pool(running, ("cip-users",))
        assert identity_pool_error(stack, {other.provider: other.tokens["id"]}) == "NotAuthorizedException"
        assert identity_pool_error(stack, {user_pool_provider(stack): other.tokens["id"]}) == (
            "NotAuthorizedException"
        )

    @pytest.mark.local_only
    def test_identity_pool_refuses_a_token_of_another_app_client(
        self, stack: dict[str, Any], running: Any, cip_user: Session
    ) -> None:
        client_id = local_support.create_public_client(running, stack["user_pool_id"], "e2e-stray-client")
        tokens = local_support.sign_in(running, client_id, cip_user.user)
        assert claims_of(tokens["id"])["aud"] == client_id
        assert (
            identity_pool_error(stack, {user_pool_provider(stack): tokens["id"]}) == "NotAuthorizedException"
        )

    @pytest.mark.local_only
    def test_identity_pool_refuses_an_external_token_for_another_client(
        self, stack: dict[str, Any], running: Any, external: Session
    ) -> None:
        stray = f"e2e-stray-{uuid.uuid4().hex[:8]}"
        running.emulator.oidc.add_client(stray)
        token = running.emulator.oidc.issue_id_token(
            client_id=stray, username=external.user["username"], password=external.user["password"]
        )
        logins = {stack["external_idp"]["provider_name"]: token}
        assert identity_pool_error(stack, logins) == "NotAuthorizedException"


# --- user_pool mode ---------------------------------------------------------------------------------


class TestUserPoolMode:
    @pytest.mark.parametrize(("method", "path"), [("GET", "/cup"), ("POST", "/cup"), ("GET", "/cup/email")])
    def test_no_token_is_401(self, stack: dict[str, Any], method: str, path: str) -> None:
        _assert_401(call(stack, method, path, body=_profile() if method == "POST" else None))

    @pytest.mark.parametrize("token", ["not-a-jwt", "Bearer", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"])
    def test_malformed_token_is_401(self, stack: dict[str, Any], token: str) -> None:
        _assert_401(with_token(stack, "GET", "/cup", token))

    def test_forged_id_token_is_401_and_writes_nothing(self, stack: dict[str, Any], admin: Session) -> None:
        body = _profile()
        _assert_401(with_token(stack, "POST", "/cup", forge(admin.tokens()["id"]), body=body))
        assert (admin.request("GET", "/cup").json()["profile"] or {}).get("name") != body["name"]

    def test_unsigned_id_token_is_401(self, stack: dict[str, Any], admin: Session) -> None:
        _assert_401(with_token(stack, "GET", "/cup", unsigned(admin.tokens()["id"])))

    def test_access_token_on_a_method_without_scopes_is_401(
        self, stack: dict[str, Any], admin: Session
    ) -> None:
        """No scopes on the method: only ID tokens are accepted (API Gateway's rule)."""
        _assert_401(with_token(stack, "GET", "/cup", admin.tokens()["access"]))

    def test_external_idp_token_is_401(self, stack: dict[str, Any], external: Session) -> None:
        _assert_401(with_token(stack, "GET", "/cup", external.external_id_token()))

    def test_a_user_in_no_group_is_a_valid_user(self, no_group: Session) -> None:
        """user_pool mode authenticates, it does not authorize by group: any user of the pool."""
        response = no_group.request("GET", "/cup")
        assert response.status_code == 200, response.text

    @pytest.mark.local_only
    def test_expired_id_token_signed_by_the_pool_is_401(self, stack: dict[str, Any], admin: Session) -> None:
        token = local_support.pool_sign(stack["user_pool_id"], expired_claims(admin.tokens()["id"]))
        _assert_401(with_token(stack, "GET", "/cup", token))

    @pytest.mark.local_only
    def test_id_token_from_another_user_pool_is_401(self, stack: dict[str, Any], running: Any) -> None:
        other = local_support.create_other_pool(running, ("admin",))
        _assert_401(with_token(stack, "GET", "/cup", other.tokens["id"]))


# --- lambda mode --------------------------------------------------------------------------------------


class TestLambdaMode:
    @pytest.mark.parametrize(("method", "path"), LAMBDA_ROUTES)
    def test_no_header_is_401(self, stack: dict[str, Any], method: str, path: str) -> None:
        _assert_401(call(stack, method, path))

    def test_id_token_instead_of_access_token_is_401(self, stack: dict[str, Any], vet: Session) -> None:
        _assert_401(with_token(stack, "GET", "/petstore/v2/status", f"Bearer {vet.tokens()['id']}"))

    def test_unsigned_access_token_is_401(self, stack: dict[str, Any], admin: Session) -> None:
        _assert_401(with_token(stack, "DELETE", NEWS_DELETE, f"Bearer {unsigned(admin.tokens()['access'])}"))

    def test_forged_admin_token_cannot_delete_news(self, stack: dict[str, Any], vet: Session) -> None:
        """A vet's token re-signed with a made-up key, claiming group admin: not authenticated."""
        forged = forge(vet.tokens()["access"], **{"cognito:groups": ["admin"]})
        _assert_401(with_token(stack, "DELETE", NEWS_DELETE, f"Bearer {forged}"))

    def test_external_idp_token_is_401(self, stack: dict[str, Any], external: Session) -> None:
        _assert_401(with_token(stack, "GET", "/news", f"Bearer {external.external_id_token()}"))

    @pytest.mark.parametrize(
        ("groups", "method", "path"),
        [
            (("cip-users",), "GET", "/petstore/v1/pets"),
            (("google-users",), "GET", "/petstore/v2/status"),
            (("admin",), "GET", "/petstore/v1/pets"),
            (("admin",), "POST", "/petstore/v1/pets"),
            (("pet-veterinarian",), "GET", "/petstore/v2/pets"),
            (("pet-veterinarian",), "DELETE", NEWS_DELETE),
        ],
    )
    def test_token_of_one_group_on_another_groups_route_is_403(
        self, sessions: Sessions, groups: tuple[str, ...], method: str, path: str
    ) -> None:
        body = {"type": "dog", "price": 1} if method == "POST" else None
        response = sessions.in_groups(*groups).request(method, path, body)
        assert response.status_code == 403, response.text
        assert response.json() == {"message": NOT_AUTHORIZED}

    @pytest.mark.parametrize(("method", "path"), LAMBDA_ROUTES)
    def test_a_user_in_no_group_is_denied_everywhere(self, no_group: Session, method: str, path: str) -> None:
        response = no_group.request(method, path)
        assert response.status_code == 403, response.text
        assert response.json() == {"message": f"{NOT_AUTHORIZED} with an explicit deny"}

    def test_a_cached_allow_covers_only_the_groups_routes(self, stack: dict[str, Any], vet: Session) -> None:
        """One token, allowed then denied: API Gateway re-evaluates the cached policy per route."""
        token = f"Bearer {vet.tokens()['access']}"
        assert with_token(stack, "GET", "/petstore/v2/status", token).status_code == 200
        assert with_token(stack, "GET", "/petstore/v2/pets", token).status_code == 403
        assert with_token(stack, "GET", "/petstore/v2/status", token).status_code == 200

    @pytest.mark.local_only
    def test_expired_access_token_signed_by_the_pool_is_401(
        self, stack: dict[str, Any], admin: Session
    ) -> None:
        token = local_support.pool_sign(stack["user_pool_id"], expired_claims(admin.tokens()["access"]))
        _assert_401(with_token(stack, "DELETE", NEWS_DELETE, f"Bearer {token}"))

    @pytest.mark.local_only
    def test_access_token_from_another_user_pool_is_401(self, stack: dict[str, Any], running: Any) -> None:
        """The other pool has a group `admin` too; only `iss` tells the tokens apart."""
        other = local_support.create_other_pool(running, ("admin",))
        assert claims_of(other.tokens["access"])["cognito:groups"] == ["admin"]
        _assert_401(with_token(stack, "GET", "/news", f"Bearer {other.tokens['access']}"))

    @pytest.mark.local_only
    def test_access_token_of_another_app_client_is_401(
        self, stack: dict[str, Any], running: Any, admin: Session
    ) -> None:
        client_id = local_support.create_public_client(running, stack["user_pool_id"], "e2e-other-client")
        tokens = local_support.sign_in(running, client_id, admin.user)
        assert claims_of(tokens["access"])["client_id"] == client_id
        _assert_401(with_token(stack, "GET", "/news", f"Bearer {tokens['access']}"))


# --- credentials of one mode on another mode's route, and path tricks ----------------------------------


class TestCrossModeAndPaths:
    def test_a_sigv4_signed_request_on_a_lambda_route_is_401(self, cip_user: Session) -> None:
        _assert_401(cip_user.request("GET", "/news", auth="iam"))

    def test_a_sigv4_signed_request_on_a_user_pool_route_is_401(self, cip_user: Session) -> None:
        _assert_401(cip_user.request("GET", "/cup", auth="iam"))

    @pytest.mark.parametrize("kind", ["id", "access"])
    def test_a_bearer_token_on_an_iam_route_is_403(
        self, stack: dict[str, Any], cip_user: Session, kind: str
    ) -> None:
        response = with_token(stack, "GET", "/cip", f"Bearer {cip_user.tokens()[kind]}")
        assert response.status_code == 403, response.text
        assert error_type(response) == "IncompleteSignatureException"

    @pytest.mark.parametrize(
        "raw_path",
        [
            "/petstore/v2/pets/",
            "/petstore//v2/pets",
            "/petstore/v1/pets/../../v2/pets",
            "/petstore/v1/../v2/pets",
            "/petstore/v1/pets/%2e%2e/%2e%2e/v2/pets",
            "/petstore/v1/pets/..%2F..%2Fv2%2Fpets",
            "/petstore/v1/pets/1/../../../v2/pets",
            "/./petstore/v2/pets",
        ],
    )
    def test_no_path_trick_reaches_a_route_outside_the_callers_policy(
        self, stack: dict[str, Any], vet: Session, raw_path: str
    ) -> None:
        """The vet may call /petstore/v1/* but not GET /petstore/v2/pets (its body says "v2")."""
        status, body = raw_call(stack, "GET", raw_path, {"Authorization": f"Bearer {vet.tokens()['access']}"})
        assert status >= 400, (status, body[:300])
        assert b'"version"' not in body


# --- the multi-group rule, observed at both enforcement points ----------------------------------------


def test_multi_group_user_gets_the_lowest_precedence_group_in_both_modes(
    stack: dict[str, Any], multi_group: Session
) -> None:
    """cip-users (20) + pet-veterinarian (10): pet-veterinarian's policy, and only it, in iam and
    lambda mode; the cip-users grants do not carry over."""
    claims = claims_of(multi_group.tokens()["id"])
    assert claims["cognito:preferred_role"] == stack["group_role_arns"]["pet-veterinarian"]

    denied = multi_group.request("GET", "/cip")  # iam: the role is pet-veterinarian's, not cip-users'
    assert denied.status_code == 403, denied.text
    assert f"assumed-role/{_role_name(stack, 'pet-veterinarian')}/" in denied.json()["message"]

    assert multi_group.request("GET", "/petstore/v2/status").status_code == 200  # lambda: vet's policy
    assert multi_group.request("GET", "/petstore/v2/pets").status_code == 403


def _ask_for_role(stack: dict[str, Any], logins: dict[str, str], role_arn: str) -> str:
    """ "granted", or the error code GetCredentialsForIdentity answers a CustomRoleArn request with."""
    try:
        credentials_for(stack, logins, role_arn)
    except ClientError as refused:
        return str(refused.response["Error"]["Code"])
    return "granted"


class TestIdentityPoolRoleChoice:
    """GetCredentialsForIdentity takes an optional CustomRoleArn. Which roles it grants each user is
    part of the access contract (`custom_role_arn`, per role mapping): under the default Rules
    mapping only the preferred role, under the Token option any role of the user's own groups, and
    never a role of a group the user is not in (docs/architecture.md, "Multi-group rule")."""

    @pytest.mark.parametrize("user", sorted(PROMISE.users(MAPPING)))
    def test_custom_role_arn_grants_exactly_the_promised_roles(
        self, stack: dict[str, Any], sessions: Sessions, user: str
    ) -> None:
        promise = PROMISE.users(MAPPING)[user]
        logins = sessions.of(next(u for u in stack["users"] if u["name"] == user)).logins()
        answers = {
            group: _ask_for_role(stack, logins, arn) for group, arn in stack["group_role_arns"].items()
        }
        assert {g for g, answer in answers.items() if answer == "granted"} == set(promise.custom_role_arn), (
            f"{MAPPING} mapping: {answers}"
        )
        assert set(answers.values()) <= {"granted", "NotAuthorizedException"}, answers

    @pytest.mark.parametrize("user", sorted(PROMISE.users(MAPPING)))
    def test_default_credentials_are_the_role_of_the_group_the_authorizer_applies(
        self, stack: dict[str, Any], sessions: Sessions, user: str
    ) -> None:
        """The iam column and the lambda column of the matrix follow one group: without
        CustomRoleArn the identity pool hands out the role of the contract's `group` for the user,
        the group whose policy the authorizer returns (its lambda cells are that group's, checked
        by the matrix). A role is recognised by the AccessDenied message of an iam route it denies."""
        promise = PROMISE.users(MAPPING)[user]
        session = sessions.of(next(u for u in stack["users"] if u["name"] == user))
        if promise.iam_credentials == NO_CREDENTIALS:
            assert identity_pool_error(stack, session.logins()) == "NotAuthorizedException"
            return
        creds = credentials_for(stack, session.logins())
        denied = [
            (method, path)
            for (route, method), outcome in promise.outcomes.items()
            if PROMISE.routes[route].auth == "iam" and outcome == 403
            for path in [PROMISE.routes[route].path]
        ]
        assert denied, f"{user}: no iam route its role denies, the role cannot be recognised"
        method, path = denied[0]
        response = signed_call(stack, creds, method, path, body=_profile() if method == "POST" else None)
        assert response.status_code == 403, response.text
        message = response.json()["message"]
        if promise.iam_credentials == DEFAULT_ROLE:
            assert not any(
                f"assumed-role/{_role_name(stack, g)}/" in message for g in stack["group_role_arns"]
            )
        else:
            assert promise.group == promise.iam_credentials
            assert f"assumed-role/{_role_name(stack, promise.iam_credentials)}/" in message

    def test_a_multi_group_user_cannot_act_as_its_other_group_by_default(
        self, stack: dict[str, Any], multi_group: Session
    ) -> None:
        """multi-group is in cip-users (20) and pet-veterinarian (10). Rules (default): asking for
        the cip-users role is refused, so /cip stays out of reach as in lambda mode. Token: the
        documented option grants it and /cip answers 200 (the consequence the docs state)."""
        cip_role = stack["group_role_arns"]["cip-users"]
        if MAPPING == RULES:
            with pytest.raises(ClientError) as refused:
                credentials_for(stack, multi_group.logins(), cip_role)
            assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"
        else:
            creds = credentials_for(stack, multi_group.logins(), cip_role)
            assert signed_call(stack, creds, "GET", "/cip").status_code == 200
        default = credentials_for(stack, multi_group.logins())
        assert signed_call(stack, default, "GET", "/cip").status_code == 403


# --- nobody reads or writes another caller's record -------------------------------------------------

KEY_FIELDS = ["pk", "sk", "sub", "cognitoIdentityId", "identityId", "provider", "username"]


def _attempts(victim_keys: dict[str, str]) -> list[dict[str, str]]:
    """Bodies naming the victim's identity in every way a client might try."""
    return [{**_profile(), field: value} for field, value in victim_keys.items()]


def _assert_isolated(owner: Session, intruder: Session, path: str, victim_keys: dict[str, str]) -> None:
    mine = _profile()
    assert owner.request("POST", path, mine).status_code == 200
    for body in _attempts(victim_keys):
        response = intruder.request("POST", path, body)
        assert response.status_code == 400, (body, response.text)
        assert "not accepted" in response.json()["message"]
    seen = intruder.request("GET", path)
    assert seen.status_code == 200, seen.text
    assert (seen.json()["profile"] or {}).get("name") != mine["name"]
    kept = owner.request("GET", path).json()["profile"]
    assert {k: kept[k] for k in mine} == mine


class TestRecordIsolation:
    def test_cup_body_keys_are_refused_and_records_stay_apart(
        self, stack: dict[str, Any], admin: Session, vet: Session
    ) -> None:
        victim_sub = claims_of(admin.tokens()["id"])["sub"]
        keys = {"sub": victim_sub, "pk": f"sub#{victim_sub}", "username": victim_sub, "sk": "profile"}
        _assert_isolated(admin, vet, "/cup", keys)

    def test_google_body_keys_are_refused_and_records_stay_apart(
        self, stack: dict[str, Any], google_group_user: Session, external: Session
    ) -> None:
        victim = identity_id(google_group_user)
        keys = {
            "cognitoIdentityId": victim,
            "identityId": victim,
            "pk": f"identity#{victim}",
            "provider": user_pool_provider(stack),
        }
        _assert_isolated(google_group_user, external, "/google", keys)

    @pytest.mark.parametrize("field", KEY_FIELDS)
    def test_cip_refuses_every_key_field_in_the_body(self, cip_user: Session, field: str) -> None:
        before = cip_user.request("GET", "/cip").json()["profile"]
        response = cip_user.request("POST", "/cip", {**_profile(), field: "identity#us-east-1:someone-else"})
        assert response.status_code == 400, response.text
        assert field in response.json()["message"]
        assert cip_user.request("GET", "/cip").json()["profile"] == before

    @pytest.mark.local_only
    def test_cip_records_of_two_users_in_the_same_group_stay_apart(
        self, stack: dict[str, Any], running: Any, cip_user: Session
    ) -> None:
        intruder = Session(
            stack, local_support.create_pool_user(running, stack["user_pool_id"], groups=("cip-users",))
        )
        assert intruder.request("GET", "/cip").json() == {"profile": None}  # a new caller sees nothing
        victim = identity_id(cip_user)
        assert victim != identity_id(intruder)
        keys = {"cognitoIdentityId": victim, "pk": f"identity#{victim}", "identityId": victim}
        _assert_isolated(cip_user, intruder, "/cip", keys)
        assert local_support.record(running, stack, f"identity#{identity_id(intruder)}") is None

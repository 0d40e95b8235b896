"""The gateway over HTTP against a moto server: routing, the three authorizer types, the Lambda
proxy contract, gateway responses and CORS preflight."""

from __future__ import annotations

import base64
import http.client
import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from cryptography.hazmat.primitives.asymmetric import rsa

from local.apigateway.app import MAX_REQUEST_HEAD_BYTES, request_head_bytes
from local.apigateway.messages import HttpRequest
from local.apigateway.server import MAX_BODY_BYTES, start_gateway
from local.awslambda import make_runtime
from local.awslambda.types import InvokeResult

from .conftest import ACCOUNT, REGION, STAGE, Env, FakeCredentials, FakeRuntime

# botocore's signer (the client side of these tests) still calls datetime.utcnow().
pytestmark = pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning")


def body(response: requests.Response) -> Any:
    return response.json()


def event_of(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    event: dict[str, Any] = response.json()
    return event


def signed(
    env: Env,
    method: str,
    path: str,
    creds: FakeCredentials,
    data: bytes = b"",
    *,
    secret: str | None = None,
) -> requests.Response:
    url = f"{env.base}{path}"
    request = AWSRequest(method=method, url=url, data=data, headers={"Content-Type": "application/json"})
    SigV4Auth(
        Credentials(creds.access_key_id, secret or creds.secret_key, creds.session_token),
        "execute-api",
        REGION,
    ).add_auth(request)
    headers = dict(request.headers.items())
    headers["Host"] = urlsplit(url).netloc
    return requests.request(method, url, data=data, headers=headers, timeout=10)


def get(env: Env, path: str, **kwargs: Any) -> requests.Response:
    return requests.get(f"{env.base}{path}", timeout=10, **kwargs)


# --- routing -------------------------------------------------------------------------------------


def test_proxy_event_fields(env: Env) -> None:
    response = requests.post(
        f"{env.base}/open?a=1&a=2&b=x%20y",
        data=b'{"hello":"world"}',
        headers={"Content-Type": "application/json", "X-Custom": "c", "User-Agent": "tests/1"},
        timeout=10,
    )
    event = event_of(response)
    assert event["resource"] == "/open"
    assert event["path"] == "/open"
    assert event["httpMethod"] == "POST"
    assert event["headers"]["X-Custom"] == "c"
    assert event["multiValueHeaders"]["X-Custom"] == ["c"]
    assert event["queryStringParameters"] == {"a": "2", "b": "x y"}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": ["x y"]}
    assert event["pathParameters"] is None
    assert event["body"] == '{"hello":"world"}'
    assert event["isBase64Encoded"] is False
    ctx = event["requestContext"]
    assert ctx["path"] == f"/{STAGE}/open"
    assert ctx["stage"] == STAGE
    assert ctx["apiId"] == env.deployed.api_id
    assert ctx["accountId"] == ACCOUNT
    assert ctx["resourceId"] == env.deployed.resources["/open"]
    assert ctx["resourcePath"] == "/open"
    assert ctx["httpMethod"] == "POST"
    assert ctx["requestId"] == response.headers["x-amzn-RequestId"]
    assert ctx["identity"]["sourceIp"] == "127.0.0.1"
    assert ctx["identity"]["userAgent"] == "tests/1"
    assert ctx["identity"]["cognitoIdentityId"] is None
    assert "authorizer" not in ctx
    assert isinstance(ctx["requestTimeEpoch"], int)


def test_path_parameters_any_and_literal_precedence(env: Env) -> None:
    item = event_of(requests.delete(f"{env.base}/items/42", timeout=10))
    assert (item["resource"], item["pathParameters"], item["httpMethod"]) == (
        "/items/{id}",
        {"id": "42"},
        "DELETE",
    )
    special = event_of(get(env, "/items/special"))
    assert special["resource"] == "/items/special"
    proxy = event_of(get(env, "/files/a/b/c.txt"))
    assert (proxy["resource"], proxy["pathParameters"]) == ("/files/{proxy+}", {"proxy": "a/b/c.txt"})


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nowhere"), ("DELETE", "/open"), ("POST", "/items/special"), ("GET", "/files")],
)
def test_unknown_routes_are_403_missing_authentication_token(env: Env, method: str, path: str) -> None:
    response = requests.request(method, f"{env.base}{path}", timeout=10)
    assert response.status_code == 403
    assert body(response) == {"message": "Missing Authentication Token"}
    assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert response.headers["Access-Control-Allow-Origin"] == "*"  # DEFAULT_4XX gateway response
    assert env.runtime.calls == []


def test_unknown_stage_is_403(env: Env) -> None:
    response = requests.get(f"{env.gateway.url}/prod/open", timeout=10)
    assert response.status_code == 403
    assert body(response) == {"message": "Missing Authentication Token"}


def test_binary_body_is_base64_encoded(env: Env) -> None:
    raw = b"\xff\x00\xfe"
    event = event_of(requests.post(f"{env.base}/open", data=raw, timeout=10))
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == raw


# --- Lambda proxy responses ---------------------------------------------------------------------


def test_proxy_response_headers_status_and_base64(env: Env) -> None:
    env.runtime.handlers[env.deployed.functions["backend"]] = lambda event: {
        "statusCode": 201,
        "headers": {"X-One": "1"},
        "multiValueHeaders": {"X-Many": ["a", "b"]},
        "body": base64.b64encode(b"\x89PNG").decode(),
        "isBase64Encoded": True,
    }
    response = get(env, "/open")
    assert response.status_code == 201
    assert response.content == b"\x89PNG"
    assert response.headers["X-One"] == "1"
    assert response.headers["X-Many"] == "a, b"


@pytest.mark.parametrize(
    "answer",
    [
        {"statusCode": "200", "body": "x"},
        {"statusCode": 200, "body": {"a": 1}},
        "just a string",
        {"body": "x"},
    ],
)
def test_malformed_proxy_response_is_502(env: Env, answer: Any) -> None:
    env.runtime.handlers[env.deployed.functions["backend"]] = lambda event: answer
    response = get(env, "/open")
    assert response.status_code == 502
    assert body(response) == {"message": "Internal server error"}
    assert response.headers["Access-Control-Allow-Origin"] == "*"  # DEFAULT_5XX gateway response


def test_handler_error_is_502(env: Env) -> None:
    def boom(event: dict[str, Any]) -> Any:
        raise ValueError("secret detail")

    env.runtime.handlers[env.deployed.functions["backend"]] = boom
    response = get(env, "/open")
    assert response.status_code == 502
    assert body(response) == {"message": "Internal server error"}


def test_function_timeout_is_502(env: Env) -> None:
    env.runtime.results[env.deployed.functions["backend"]] = InvokeResult(
        None, "Sandbox.Timedout", "Task timed out after 3.00 seconds", 3000.0
    )
    assert get(env, "/open").status_code == 502


def test_function_that_cannot_run_is_500(env: Env) -> None:
    env.runtime.results[env.deployed.functions["backend"]] = InvokeResult(
        None, "ResourceNotFoundException", "Function not found", 1.0
    )
    response = get(env, "/open")
    assert response.status_code == 500
    assert body(response) == {"message": "Internal server error"}


def test_integration_timeout_is_504(env: Env) -> None:
    env.runtime.results[env.deployed.functions["backend"]] = InvokeResult(
        {"statusCode": 200, "body": ""}, None, None, 30_000.0
    )
    response = get(env, "/open")
    assert response.status_code == 504
    assert body(response) == {"message": "Endpoint request timed out"}


def test_function_failing_after_the_integration_timeout_is_still_504(env: Env) -> None:
    # A function whose own timeout is longer than API Gateway's 29 s: API Gateway gave up first.
    env.runtime.results[env.deployed.functions["backend"]] = InvokeResult(
        None, "Sandbox.Timedout", "Task timed out after 60.00 seconds", 60_000.0
    )
    response = get(env, "/open")
    assert response.status_code == 504
    assert body(response) == {"message": "Endpoint request timed out"}


def test_method_requiring_an_api_key_is_refused_not_served(env: Env) -> None:
    """API keys are not emulated: a method that requires one must not run without a valid key."""
    response = get(env, "/keyed", headers={"x-api-key": "anything"})
    assert response.status_code == 403
    assert body(response) == {"message": "Forbidden"}
    assert response.headers["x-amzn-ErrorType"] == "ForbiddenException"
    assert env.runtime.calls == []


def test_function_without_invoke_permission_is_500(env: Env) -> None:
    env.runtime.handlers[env.deployed.functions["unpermitted"]] = echo_ok
    response = get(env, "/unpermitted")
    assert response.status_code == 500
    assert body(response) == {"message": "Internal server error"}
    assert env.runtime.calls == []


def echo_ok(event: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": 200, "body": "ok"}


# --- AWS_IAM -------------------------------------------------------------------------------------


def test_iam_signed_request_passes_with_identity(env: Env) -> None:
    creds = env.credentials["cip"]
    response = signed(env, "POST", "/iam", creds, b'{"name":"Ann"}')
    event = event_of(response)
    identity = event["requestContext"]["identity"]
    role_id = env.deployed.client("iam").get_role(RoleName="gw-test-cip-users")["Role"]["RoleId"]
    assert identity["cognitoIdentityId"] == creds.identity_id
    assert identity["cognitoIdentityPoolId"] == creds.identity_pool_id
    assert identity["cognitoAuthenticationType"] == "authenticated"
    assert identity["cognitoAuthenticationProvider"] == creds.authentication_provider
    assert identity["accessKey"] == creds.access_key_id
    assert identity["accountId"] == ACCOUNT
    assert identity["caller"] == f"{role_id}:CognitoIdentityCredentials"
    assert identity["user"] == f"{role_id}:CognitoIdentityCredentials"
    assert (
        identity["userArn"]
        == f"arn:aws:sts::{ACCOUNT}:assumed-role/gw-test-cip-users/CognitoIdentityCredentials"
    )
    assert event["body"] == '{"name":"Ann"}'


def test_iam_unsigned_request_is_missing_authentication_token(env: Env) -> None:
    response = get(env, "/iam")
    assert response.status_code == 403
    assert body(response) == {"message": "Missing Authentication Token"}


def test_iam_bad_signature_is_403(env: Env) -> None:
    response = signed(env, "GET", "/iam", env.credentials["cip"], secret="wrong")
    assert response.status_code == 403
    assert body(response)["message"].startswith("The request signature we calculated does not match")
    assert response.headers["x-amzn-ErrorType"] == "InvalidSignatureException"
    assert env.runtime.calls == []


def test_iam_route_outside_the_role_policy_is_403(env: Env) -> None:
    response = signed(env, "GET", "/iam/admin", env.credentials["cip"])
    assert response.status_code == 403
    resource = f"{env.deployed.api_arn}/GET/iam/admin"
    assert body(response) == {
        "message": f"User: arn:aws:sts::{ACCOUNT}:assumed-role/gw-test-cip-users/CognitoIdentityCredentials"
        f" is not authorized to perform: execute-api:Invoke on resource: {resource}"
    }
    assert response.headers["x-amzn-ErrorType"] == "AccessDeniedException"
    assert response.headers["Access-Control-Allow-Origin"] == "*"  # ACCESS_DENIED gateway response
    assert env.runtime.calls == []


@pytest.mark.parametrize("name", ["ghost", "foreign"])
def test_iam_credentials_of_a_role_the_account_does_not_hold_are_denied(env: Env, name: str) -> None:
    """A vanished role grants nothing (403, not 500); a same-named role of another account must
    not lend its policies (the cip role allows GET /iam)."""
    creds = env.credentials[name]
    response = signed(env, "GET", "/iam", creds)
    assert response.status_code == 403
    assert response.headers["x-amzn-ErrorType"] == "AccessDeniedException"
    assert body(response)["message"].startswith(f"User: arn:aws:sts::{ACCOUNT}:assumed-role/")
    assert env.runtime.calls == []


def test_iam_managed_policy_allows_and_inline_deny_wins(env: Env) -> None:
    admin = env.credentials["admin"]
    assert signed(env, "GET", "/iam/admin", admin).status_code == 200  # attached managed policy
    denied = signed(env, "POST", "/iam", admin, b"{}")
    assert denied.status_code == 403
    assert body(denied)["message"].endswith("with an explicit deny")


def test_iam_policy_changes_apply_to_the_next_request(env: Env) -> None:
    iam = env.deployed.client("iam")
    creds = env.credentials["cip"]
    assert signed(env, "GET", "/iam/admin", creds).status_code == 403
    iam.put_role_policy(
        RoleName="gw-test-cip-users",
        PolicyName="extra",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "execute-api:Invoke",
                        "Resource": f"{env.deployed.api_arn}/GET/iam/*",
                    }
                ],
            }
        ),
    )
    try:
        assert signed(env, "GET", "/iam/admin", creds).status_code == 200
    finally:
        iam.delete_role_policy(RoleName="gw-test-cip-users", PolicyName="extra")


def test_iam_unknown_key_is_403(env: Env) -> None:
    stranger = FakeCredentials(**{**env.credentials["cip"].__dict__, "access_key_id": "ASIAUNKNOWN000000000"})
    response = signed(env, "GET", "/iam", stranger)
    assert response.status_code == 403
    assert body(response) == {"message": "The security token included in the request is invalid."}


def test_iam_expired_signature_date_is_403(env: Env) -> None:
    env.clock.advance(6 * 60)
    response = signed(env, "GET", "/iam", env.credentials["cip"])
    assert response.status_code == 403
    assert body(response)["message"].startswith("Signature expired:")


# --- COGNITO_USER_POOLS ------------------------------------------------------------------------


def test_cognito_id_token_passes_with_stringified_claims(env: Env) -> None:
    token = env.keys.id_token(exp=1_900_000_000)
    event = event_of(get(env, "/cup", headers={"Authorization": token}))
    claims = event["requestContext"]["authorizer"]["claims"]
    assert claims["sub"] == "sub-123"
    assert claims["cognito:groups"] == "cip-users,admin"
    assert claims["email_verified"] == "true"
    assert claims["token_use"] == "id"
    assert claims["exp"] == "Sun Mar 17 17:46:40 UTC 2030"
    assert claims["auth_time"].isdigit()
    assert all(isinstance(v, str) for v in claims.values())


def test_cognito_bearer_prefix_is_tolerated(env: Env) -> None:
    assert get(env, "/cup", headers={"Authorization": f"Bearer {env.keys.id_token()}"}).status_code == 200


def forged_token(env: Env) -> str:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return env.keys.id_token(key=other)


@pytest.mark.parametrize(
    "make_header",
    [
        lambda env: None,
        lambda env: "",
        lambda env: "not-a-jwt",
        lambda env: env.keys.id_token(exp=1_600_000_000),  # expired
        forged_token,
        lambda env: env.keys.id_token(iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"),
        lambda env: env.keys.id_token(kid="unknown-kid"),
        lambda env: env.keys.access_token(),  # the method has no scopes: ID tokens only
        lambda env: env.keys.id_token(token_use=None),
    ],
    ids=[
        "missing",
        "empty",
        "garbage",
        "expired",
        "forged",
        "other-pool",
        "unknown-kid",
        "access-token",
        "no-use",
    ],
)
def test_cognito_rejections_are_401(env: Env, make_header: Any) -> None:
    value = make_header(env)
    headers = {"Authorization": value} if value is not None else {}
    response = get(env, "/cup", headers=headers)
    assert response.status_code == 401
    assert body(response) == {"message": "Unauthorized"}
    assert response.headers["Access-Control-Allow-Origin"] == "*"  # UNAUTHORIZED gateway response
    assert env.runtime.calls == []


def test_cognito_scopes_require_an_access_token_with_one_of_them(env: Env) -> None:
    ok = get(env, "/cup/email", headers={"Authorization": env.keys.access_token(scope="openid email")})
    assert ok.status_code == 200
    assert event_of(ok)["requestContext"]["authorizer"]["claims"]["scope"] == "openid email"
    assert (
        get(env, "/cup/email", headers={"Authorization": env.keys.access_token(scope="openid")}).status_code
        == 401
    )
    assert get(env, "/cup/email", headers={"Authorization": env.keys.id_token()}).status_code == 401


def test_jwks_is_fetched_once_and_cached(env: Env) -> None:
    before = len(env.keys.fetches)
    for _ in range(3):
        assert get(env, "/cup", headers={"Authorization": env.keys.id_token()}).status_code == 200
    assert len(env.keys.fetches) - before <= 1


# --- Lambda TOKEN authorizer -------------------------------------------------------------------


def token_answer(env: Env, *, effect: str = "Allow", resources: list[str] | None = None) -> dict[str, Any]:
    api = env.deployed.api_arn
    return {
        "principalId": "sub-123",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": effect,
                    "Action": "execute-api:Invoke",
                    "Resource": resources or [f"{api}/*/pets", f"{api}/*/pets/*", f"{api}/GET/nocache"],
                }
            ],
        },
        "context": {"sub": "sub-123", "groups": "pet-veterinarian", "group": "pet-veterinarian", "vet": True},
    }


def test_token_authorizer_allow_passes_principal_and_context(env: Env) -> None:
    env.runtime.handlers[env.deployed.functions["authorizer"]] = lambda event: token_answer(env)
    event = event_of(
        requests.put(f"{env.base}/pets/7", headers={"Authorization": "Bearer abc.def"}, timeout=10)
    )
    authorizer = event["requestContext"]["authorizer"]
    assert authorizer["principalId"] == "sub-123"
    assert authorizer["group"] == "pet-veterinarian"
    assert authorizer["vet"] == "true"
    assert isinstance(authorizer["integrationLatency"], int)
    [auth_event] = env.runtime.calls_to(env.deployed.functions["authorizer"])
    assert auth_event == {
        "type": "TOKEN",
        "authorizationToken": "Bearer abc.def",
        "methodArn": f"{env.deployed.api_arn}/PUT/pets/7",
    }


def test_token_authorizer_missing_header_is_401_without_invoking(env: Env) -> None:
    response = get(env, "/pets")
    assert response.status_code == 401
    assert body(response) == {"message": "Unauthorized"}
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert env.runtime.calls == []


def test_token_authorizer_validation_expression_is_401_without_invoking(env: Env) -> None:
    response = get(env, "/pets", headers={"Authorization": "Basic dXNlcg=="})
    assert response.status_code == 401
    assert env.runtime.calls == []


def test_token_authorizer_unauthorized_is_401(env: Env) -> None:
    def unauthorized(event: dict[str, Any]) -> Any:
        raise Exception("Unauthorized")

    env.runtime.handlers[env.deployed.functions["authorizer"]] = unauthorized
    response = get(env, "/pets", headers={"Authorization": "Bearer expired"})
    assert response.status_code == 401
    assert body(response) == {"message": "Unauthorized"}


def test_token_authorizer_deny_is_403(env: Env) -> None:
    env.runtime.handlers[env.deployed.functions["authorizer"]] = lambda event: token_answer(
        env, effect="Deny"
    )
    response = get(env, "/pets", headers={"Authorization": "Bearer abc"})
    assert response.status_code == 403
    assert body(response) == {
        "message": "User is not authorized to access this resource with an explicit deny"
    }
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert env.runtime.calls_to(env.deployed.functions["backend"]) == []


def test_token_authorizer_policy_not_covering_route_is_403(env: Env) -> None:
    env.runtime.handlers[env.deployed.functions["authorizer"]] = lambda event: token_answer(env)
    response = get(env, "/status", headers={"Authorization": "Bearer abc"})
    assert response.status_code == 403
    assert body(response) == {"message": "User is not authorized to access this resource"}


def test_token_authorizer_error_is_500(env: Env) -> None:
    def broken(event: dict[str, Any]) -> Any:
        raise KeyError("POLICY_TABLE")

    env.runtime.handlers[env.deployed.functions["authorizer"]] = broken
    response = get(env, "/pets", headers={"Authorization": "Bearer abc"})
    assert response.status_code == 500
    assert body(response) == {"message": None}
    assert response.headers["x-amzn-ErrorType"] == "AuthorizerConfigurationException"


def test_token_authorizer_cache_respects_ttl(env: Env) -> None:
    authorizer = env.deployed.functions["authorizer"]
    env.runtime.handlers[authorizer] = lambda event: token_answer(env)
    headers = {"Authorization": "Bearer cached"}
    assert get(env, "/pets", headers=headers).status_code == 200
    assert requests.post(f"{env.base}/pets/3", headers=headers, timeout=10).status_code == 200
    assert get(env, "/status", headers=headers).status_code == 403  # cached policy, re-evaluated
    assert len(env.runtime.calls_to(authorizer)) == 1
    assert get(env, "/pets", headers={"Authorization": "Bearer other"}).status_code == 200
    assert len(env.runtime.calls_to(authorizer)) == 2
    env.clock.advance(299)
    assert get(env, "/pets", headers=headers).status_code == 200
    assert len(env.runtime.calls_to(authorizer)) == 2
    env.clock.advance(1)
    assert get(env, "/pets", headers=headers).status_code == 200
    assert len(env.runtime.calls_to(authorizer)) == 3


def test_token_authorizer_ttl_zero_invokes_every_time(env: Env) -> None:
    authorizer = env.deployed.functions["nocache_authorizer"]
    env.runtime.handlers[authorizer] = lambda event: token_answer(env)
    for _ in range(3):
        assert get(env, "/nocache", headers={"Authorization": "Bearer same"}).status_code == 200
    assert len(env.runtime.calls_to(authorizer)) == 3


# --- CORS preflight, redeployments, logs ---------------------------------------------------------


def test_cors_preflight_is_answered_by_the_mock_integration_without_auth(env: Env) -> None:
    response = requests.options(
        f"{env.base}/cup",
        headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "GET"},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert response.headers["Access-Control-Allow-Methods"] == "GET,OPTIONS"
    assert response.headers["Access-Control-Allow-Headers"] == "Authorization,Content-Type"
    assert env.runtime.calls == []


def test_a_new_deployment_is_picked_up_and_flushes_the_authorizer_cache(env: Env) -> None:
    apigw = env.deployed.client("apigateway")
    authorizer = env.deployed.functions["authorizer"]
    env.runtime.handlers[authorizer] = lambda event: token_answer(env)
    headers = {"Authorization": "Bearer redeploy"}
    assert get(env, "/pets", headers=headers).status_code == 200
    rid = apigw.create_resource(
        restApiId=env.deployed.api_id, parentId=env.deployed.resources["/"], pathPart="fresh"
    )["id"]
    try:
        apigw.put_method(
            restApiId=env.deployed.api_id, resourceId=rid, httpMethod="GET", authorizationType="NONE"
        )
        apigw.put_integration(
            restApiId=env.deployed.api_id,
            resourceId=rid,
            httpMethod="GET",
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{env.deployed.functions['backend']}/invocations",
        )
        assert get(env, "/fresh").status_code == 403  # not deployed yet
        apigw.create_deployment(restApiId=env.deployed.api_id, stageName=STAGE)
        assert event_of(get(env, "/fresh"))["resource"] == "/fresh"
        assert get(env, "/pets", headers=headers).status_code == 200
        assert len(env.runtime.calls_to(authorizer)) == 2  # cache flushed by the redeployment
    finally:
        apigw.delete_resource(restApiId=env.deployed.api_id, resourceId=rid)
        apigw.create_deployment(restApiId=env.deployed.api_id, stageName=STAGE)


def test_access_log_is_one_json_line_without_tokens(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    token = env.keys.id_token()
    with caplog.at_level(logging.INFO, logger="local.apigateway"):
        get(env, "/cup", headers={"Authorization": token})
        get(env, "/cup", headers={"Authorization": "garbage"})
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "local.apigateway.access"]
    assert [line["status"] for line in lines] == [200, 401]
    assert lines[0]["resourcePath"] == "/cup"
    assert lines[0]["method"] == "GET"
    assert lines[1]["responseType"] == "UNAUTHORIZED"
    assert lines[1]["authorizerError"]
    assert all(line["requestId"] for line in lines)
    everything = "\n".join(r.getMessage() for r in caplog.records)
    assert token not in everything
    assert token.split(".")[2] not in everything


def test_iam_access_log_names_the_identity(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="local.apigateway.access"):
        signed(env, "GET", "/iam", env.credentials["cip"])
    [line] = [json.loads(r.getMessage()) for r in caplog.records if r.name == "local.apigateway.access"]
    assert line["cognitoIdentityId"] == env.credentials["cip"].identity_id
    assert line["status"] == 200


# --- the real Lambda runtime ----------------------------------------------------------------------


def test_the_deployed_zip_runs_in_the_real_runtime(env: Env, tmp_path: Path) -> None:
    """The glue to `local.awslambda`: the function ARN from the integration URI, a
    JSON-serialisable event, the function's environment, and handler errors mapped to 502."""
    runtime = make_runtime(env.deployed.url, REGION, work_dir=tmp_path)
    gateway = start_gateway(env.deployed.url, REGION, env.deployed.api_id, runtime=runtime)
    try:
        response = requests.get(f"{gateway.url}/{STAGE}/real/42", timeout=60)
        assert response.status_code == 200, response.text
        assert response.json() == {
            "greeting": "hello from the deployed zip",
            "path": "/real/42",
            "resource": "/real/{id}",
            "requestId": response.headers["x-amzn-RequestId"],
            "function": "gw-test-real",
        }
        failed = requests.get(f"{gateway.url}/{STAGE}/real/42?fail=1", timeout=60)
        assert failed.status_code == 502
        assert failed.json() == {"message": "Internal server error"}
    finally:
        gateway.stop()
        runtime.close()


def test_handle_is_a_context_manager_and_leaves_an_injected_runtime_open(env: Env) -> None:
    runtime = FakeRuntime()
    runtime.handlers[env.deployed.functions["backend"]] = echo_ok
    with start_gateway(env.deployed.url, REGION, env.deployed.api_id, runtime=runtime) as gateway:
        assert gateway.url.startswith("http://127.0.0.1:")
        assert requests.get(f"{gateway.url}/{STAGE}/open", timeout=10).text == "ok"
        assert gateway.reload().api_id == env.deployed.api_id
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{gateway.url}/{STAGE}/open", timeout=2)
    assert runtime.closed is False  # the caller owns what it injected


def test_a_deleted_api_answers_503_with_the_reason(env: Env) -> None:
    apigw = env.deployed.client("apigateway")
    api_id = apigw.create_rest_api(name="short-lived")["id"]
    root = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK")
    apigw.put_integration_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
    apigw.create_deployment(restApiId=api_id, stageName=STAGE)
    with start_gateway(env.deployed.url, REGION, api_id, runtime=FakeRuntime()) as gateway:
        assert requests.get(f"{gateway.url}/{STAGE}/", timeout=10).status_code == 200
        apigw.delete_rest_api(restApiId=api_id)
        gone = requests.get(f"{gateway.url}/{STAGE}/", timeout=10)
        assert gone.status_code == 503
        assert api_id in gone.json()["message"]


# --- payload limit ----------------------------------------------------------------------------


def test_oversized_body_is_a_413_gateway_response_with_the_api_headers(env: Env) -> None:
    """A body over the 10 MB payload limit is refused as the REQUEST_TOO_LARGE gateway response, with
    the API's configured headers (here DEFAULT_4XX's CORS header, so a browser can read the 413),
    without reading the body and without invoking anything."""
    url = urlsplit(env.gateway.url)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=10)
    try:
        # Only the announced length matters: the gateway answers before reading any of the body.
        connection.putrequest("POST", f"/{STAGE}/open")
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(MAX_BODY_BYTES + 1))
        connection.putheader("Origin", "http://localhost:3000")
        connection.endheaders()
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    assert response.status == 413
    assert json.loads(body) == {"message": "Request Too Long"}
    assert response.getheader("Access-Control-Allow-Origin") == "*"  # DEFAULT_4XX gateway response
    assert response.getheader("x-amzn-RequestId")
    assert env.runtime.calls == []


# --- request line and header values --------------------------------------------------------------
# REST API's quota on the request line plus all header values (10,240 bytes). Past it the gateway
# answers what API Gateway's front end does (431, "HTTP header is larger than 10240 bytes."), before
# any route, authorizer or body is looked at: no mode is looser locally than on AWS.

PROTOCOL = "HTTP/1.1"  # what http.client sends


def _send_exactly(env: Env, path: str, headers: list[tuple[str, str]]) -> tuple[int, bytes, str | None]:
    """GET `path` below the stage with exactly `headers` (Host included); status, body, RequestId."""
    url = urlsplit(env.gateway.url)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=10)
    try:
        connection.putrequest("GET", f"/{STAGE}{path}", skip_host=True, skip_accept_encoding=True)
        for name, value in headers:
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read(), response.getheader("x-amzn-RequestId")
    finally:
        connection.close()


def _headers_of_size(env: Env, path: str, total: int, extra: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Host, `extra` and a padding header whose value brings the request line plus all header
    values to exactly `total` bytes."""
    host = ("Host", urlsplit(env.gateway.url).netloc)
    line = len(f"GET /{STAGE}{path} {PROTOCOL}")
    used = line + sum(len(value) for _, value in [host, *extra])
    return [host, *extra, ("X-Padding", "p" * (total - used))]


@pytest.mark.parametrize("path", ["/open", "/cup"])
def test_the_limit_is_the_request_line_plus_header_values(env: Env, path: str) -> None:
    auth = [("Authorization", env.keys.id_token())] if path == "/cup" else []
    at_limit = _headers_of_size(env, path, MAX_REQUEST_HEAD_BYTES, auth)
    status, _, request_id = _send_exactly(env, path, at_limit)
    assert status == 200  # a user_pool call with a valid ID token, 10,240 bytes in all
    assert request_id

    status, body, request_id = _send_exactly(
        env, path, _headers_of_size(env, path, MAX_REQUEST_HEAD_BYTES + 1, auth)
    )
    assert (status, body) == (431, b"HTTP header is larger than 10240 bytes.")
    assert request_id is None  # API Gateway's front end answers, not the API (no gateway response)
    assert len(env.runtime.calls) == 1  # only the call within the limit reached the handler


def test_every_mode_is_refused_before_it_is_looked_at(env: Env) -> None:
    """An iam route without a signature would be 403 Missing Authentication Token; past the limit
    the answer is the front end's, for every auth mode and for a route that does not exist."""
    for path in ("/iam", "/pets", "/no-such-route"):
        status, body, _ = _send_exactly(
            env, path, _headers_of_size(env, path, MAX_REQUEST_HEAD_BYTES + 1, [])
        )
        assert (status, body) == (431, b"HTTP header is larger than 10240 bytes."), path
    assert env.runtime.calls == []


def test_the_refusal_comes_before_the_body_is_read(env: Env) -> None:
    """A body announced and never sent: the answer is not held back waiting for it."""
    over = _headers_of_size(env, "/open", MAX_REQUEST_HEAD_BYTES + 1, [("Content-Length", "100")])
    url = urlsplit(env.gateway.url)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=5)
    try:
        connection.putrequest("POST", f"/{STAGE}/open", skip_host=True, skip_accept_encoding=True)
        for name, value in over:
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        assert (response.status, response.read()) == (431, b"HTTP header is larger than 10240 bytes.")
    finally:
        connection.close()
    assert env.runtime.calls == []


def test_a_long_query_string_counts_and_header_names_do_not() -> None:
    def head(query: str, headers: tuple[tuple[str, str], ...]) -> int:
        return request_head_bytes(HttpRequest("GET", "/local/open", query, headers, b"", "127.0.0.1"))

    assert head("", ()) == len("GET /local/open HTTP/1.1")
    assert head("a=1", ()) == len("GET /local/open?a=1 HTTP/1.1")
    assert head("", (("X-" + "n" * 5000, "v"),)) == len("GET /local/open HTTP/1.1") + 1
    assert head("", (("X-A", "é"),)) == len("GET /local/open HTTP/1.1") + 1  # one byte on the wire

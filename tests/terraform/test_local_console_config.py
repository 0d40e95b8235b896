"""envs/local applied with the browser console's origin (`console_origin`): it reaches the same
settings a real environment's web app uses: the API's CORS origin (preflight, gateway responses,
the backend's header) and the web client's callback and sign-out URLs. Runs before
test_local_env.py, whose last test destroys the shared stack."""

from __future__ import annotations

from typing import Any

import pytest

from tests.stack_fixture import StackHolder
from tools import config


@pytest.fixture(scope="module")
def running(stack_holder: StackHolder) -> Any:
    return stack_holder.running


@pytest.fixture(scope="module")
def origin(running: Any) -> str:
    url: str = running.console.url
    assert url.startswith("http://localhost:")
    return url


def test_web_client_lists_the_console_next_to_the_configured_urls(running: Any, origin: str) -> None:
    cfg = config.load("local")
    client = running.aws("cognito-idp").describe_user_pool_client(
        UserPoolId=running.outputs["user_pool_id"], ClientId=running.outputs["user_pool_client_ids"]["web"]
    )["UserPoolClient"]
    assert set(client["CallbackURLs"]) == {*cfg.raw["user_pool"]["callback_urls"], f"{origin}/callback"}
    assert set(client["LogoutURLs"]) == {*cfg.raw["user_pool"]["logout_urls"], f"{origin}/"}


def test_every_cors_header_of_the_api_names_the_console(running: Any, origin: str) -> None:
    apigw = running.aws("apigateway")
    api_id = running.outputs["api_id"]
    responses = {r["responseType"]: r for r in apigw.get_gateway_responses(restApiId=api_id)["items"]}
    assert {"DEFAULT_4XX", "DEFAULT_5XX", "UNAUTHORIZED", "ACCESS_DENIED"} <= set(responses)
    for kind, response in responses.items():
        header = response["responseParameters"]["gatewayresponse.header.Access-Control-Allow-Origin"]
        assert header == f"'{origin}'", kind
    resources = apigw.get_resources(restApiId=api_id, embed=["methods"], limit=500)["items"]
    preflights = [
        apigw.get_integration_response(
            restApiId=api_id, resourceId=r["id"], httpMethod="OPTIONS", statusCode="200"
        )
        for r in resources
        if "OPTIONS" in (r.get("resourceMethods") or {})
    ]
    assert preflights
    for preflight in preflights:
        assert (
            preflight["responseParameters"]["method.response.header.Access-Control-Allow-Origin"]
            == f"'{origin}'"
        )


def test_backend_functions_answer_cors_for_the_console(running: Any, origin: str) -> None:
    client = running.aws("lambda")
    # Every function a browser calls: the backends and the sign-out (the authorizer and the
    # revocation feed answer API Gateway and EventBridge only).
    backends = [
        n for role, n in running.outputs["functions"].items() if role not in ("authorizer", "revocation_feed")
    ]
    assert backends
    for name in backends:
        variables = client.get_function_configuration(FunctionName=name)["Environment"]["Variables"]
        assert variables["CORS_ALLOW_ORIGIN"] == origin, name

"""Lambda TOKEN authorizer rules: identity source, validation expression, invocation outcomes,
policy evaluation per method ARN and the TTL cache (injectable clock, no sleeps)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import pytest

from local.apigateway.api_model import Authorizer
from local.apigateway.messages import HttpRequest
from local.apigateway.responses import GatewayError
from local.apigateway.token_authorizer import TokenAuthorizers, parse_output
from local.awslambda.types import InvokeResult

API = "arn:aws:execute-api:us-east-1:123456789012:abc/local"
AUTH_FN = "arn:aws:lambda:us-east-1:123456789012:function:authorizer"


def allow_policy(*resources: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": list(resources)}],
    }


class FakeRuntime:
    def __init__(self, handler: Callable[[dict[str, Any]], Any]) -> None:
        self.handler = handler
        self.events: list[dict[str, Any]] = []

    def invoke(self, function_name_or_arn: str, event: dict[str, Any]) -> InvokeResult:
        assert function_name_or_arn == AUTH_FN
        self.events.append(event)
        try:
            return InvokeResult(self.handler(event), None, None, 3.0)
        except Exception as exc:  # the fake's way of saying "the handler raised"
            return InvokeResult(None, type(exc).__name__, str(exc), 3.0)

    def close(self) -> None:
        pass


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def authorizer(
    ttl: int = 300, expression: str | None = None, source: str = "method.request.header.Authorization"
) -> Authorizer:
    return Authorizer(
        id="auth1",
        name="token",
        type="TOKEN",
        provider_arns=(),
        function_arn=AUTH_FN,
        identity_source=source,
        identity_validation_expression=expression,
        ttl_seconds=ttl,
    )


def req(token: str | None) -> HttpRequest:
    headers = (("Authorization", token),) if token is not None else ()
    return HttpRequest("GET", "/local/x", "", headers, b"", "10.0.0.1")


def good_answer(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "principalId": "sub-1",
        "policyDocument": allow_policy(f"{API}/GET/petstore/v2/status", f"{API}/*/petstore/v1/*"),
        "context": {"sub": "sub-1", "groups": "a,b", "admin": False, "n": 3},
    }


def run(
    handler: Callable[[dict[str, Any]], Any],
    token: str | None = "Bearer t0k",  # noqa: S107 (a test token)
    arn: str = f"{API}/GET/petstore/v2/status",
    **auth: Any,
) -> tuple[Any, FakeRuntime]:
    runtime = FakeRuntime(handler)
    authorizers = TokenAuthorizers(lambda: runtime, Clock())
    try:
        return authorizers.authorize(authorizer(**auth), req(token), arn, {}, lambda fn: True), runtime
    except GatewayError as err:
        return err, runtime


@pytest.mark.parametrize("token", [None, "", "   "])
def test_missing_identity_source_is_401_without_invoking(token: str | None) -> None:
    err, runtime = run(good_answer, token=token)
    assert isinstance(err, GatewayError)
    assert (err.response_type, err.message) == ("UNAUTHORIZED", "Unauthorized")
    assert runtime.events == []


def test_validation_expression_mismatch_is_401_without_invoking() -> None:
    err, runtime = run(good_answer, token="Basic abc", expression=r"^Bearer [-0-9a-zA-Z._]+$")
    assert isinstance(err, GatewayError)
    assert err.response_type == "UNAUTHORIZED"
    assert runtime.events == []
    ok, runtime = run(good_answer, token="Bearer abc.def", expression=r"^Bearer [-0-9a-zA-Z._]+$")
    assert not isinstance(ok, GatewayError)
    assert len(runtime.events) == 1


def test_the_event_is_a_token_event() -> None:
    _, runtime = run(good_answer)
    assert runtime.events == [
        {"type": "TOKEN", "authorizationToken": "Bearer t0k", "methodArn": f"{API}/GET/petstore/v2/status"}
    ]


def test_unauthorized_error_is_401() -> None:
    def handler(event: dict[str, Any]) -> Any:
        raise Exception("Unauthorized")

    err, _ = run(handler)
    assert isinstance(err, GatewayError)
    assert (err.response_type, err.message) == ("UNAUTHORIZED", "Unauthorized")


def test_other_errors_are_500_with_null_message() -> None:
    def handler(event: dict[str, Any]) -> Any:
        raise RuntimeError("boom")

    err, _ = run(handler)
    assert isinstance(err, GatewayError)
    assert (err.response_type, err.message, err.error_type) == (
        "AUTHORIZER_CONFIGURATION_ERROR",
        None,
        "AuthorizerConfigurationException",
    )


@pytest.mark.parametrize(
    "answer",
    [
        None,
        {"policyDocument": allow_policy("*")},
        {"principalId": "p"},
        {
            "principalId": "p",
            "policyDocument": {"Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]},
        },
        {"principalId": "p", "policyDocument": allow_policy("*"), "context": {"nested": {"a": 1}}},
        {"principalId": "p", "policyDocument": allow_policy("*"), "context": {"list": [1]}},
    ],
)
def test_malformed_answers_are_500(answer: Any) -> None:
    err, _ = run(lambda event: answer)
    assert isinstance(err, GatewayError)
    assert err.response_type == "AUTHORIZER_CONFIGURATION_ERROR"
    assert err.message is None


def test_deny_is_403_with_explicit_deny_message() -> None:
    def handler(event: dict[str, Any]) -> Any:
        return {
            "principalId": "sub-1",
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": f"{API}/*"}],
            },
        }

    err, _ = run(handler)
    assert isinstance(err, GatewayError)
    assert (err.response_type, err.message, err.body_key) == (
        "ACCESS_DENIED",
        "User is not authorized to access this resource with an explicit deny",
        "Message",
    )


def test_policy_not_covering_the_route_is_403() -> None:
    err, _ = run(good_answer, arn=f"{API}/GET/petstore/v2/pets")
    assert isinstance(err, GatewayError)
    assert (err.response_type, err.message) == (
        "ACCESS_DENIED",
        "User is not authorized to access this resource",
    )


def test_allow_passes_principal_and_stringified_context() -> None:
    output, _ = run(good_answer)
    assert not isinstance(output, GatewayError)
    assert output.principal_id == "sub-1"
    assert output.context == {"sub": "sub-1", "groups": "a,b", "admin": "false", "n": "3"}


def test_result_is_cached_per_token_for_the_ttl_and_reevaluated_per_arn() -> None:
    runtime = FakeRuntime(good_answer)
    clock = Clock()
    authorizers = TokenAuthorizers(lambda: runtime, clock)
    auth = authorizer(ttl=300)

    def call(token: str, arn: str) -> Any:
        try:
            return authorizers.authorize(auth, req(token), arn, {}, lambda fn: True)
        except GatewayError as err:
            return err

    assert not isinstance(call("Bearer a", f"{API}/GET/petstore/v2/status"), GatewayError)
    assert not isinstance(call("Bearer a", f"{API}/POST/petstore/v1/pets"), GatewayError)
    denied = call("Bearer a", f"{API}/GET/petstore/v2/pets")  # cached policy, evaluated again: denied
    assert isinstance(denied, GatewayError)
    assert denied.response_type == "ACCESS_DENIED"
    assert len(runtime.events) == 1
    call("Bearer b", f"{API}/GET/petstore/v2/status")  # another token: its own entry
    assert len(runtime.events) == 2
    clock.now += 299
    call("Bearer a", f"{API}/GET/petstore/v2/status")
    assert len(runtime.events) == 2
    clock.now += 1  # TTL reached
    call("Bearer a", f"{API}/GET/petstore/v2/status")
    assert len(runtime.events) == 3
    authorizers.clear()  # a redeployment flushes the cache
    call("Bearer a", f"{API}/GET/petstore/v2/status")
    assert len(runtime.events) == 4


def test_ttl_zero_disables_the_cache() -> None:
    runtime = FakeRuntime(good_answer)
    authorizers = TokenAuthorizers(lambda: runtime, Clock())
    for _ in range(3):
        authorizers.authorize(
            authorizer(ttl=0), req("Bearer a"), f"{API}/GET/petstore/v2/status", {}, lambda fn: True
        )
    assert len(runtime.events) == 3


def test_errors_are_not_cached() -> None:
    calls: list[int] = []

    def flaky(event: dict[str, Any]) -> Any:
        calls.append(1)
        raise Exception("Unauthorized")

    runtime = FakeRuntime(flaky)
    authorizers = TokenAuthorizers(lambda: runtime, Clock())
    for _ in range(2):
        with pytest.raises(GatewayError):
            authorizers.authorize(authorizer(), req("Bearer a"), f"{API}/GET/x", {}, lambda fn: True)
    assert len(calls) == 2


def test_missing_invoke_permission_is_500_without_invoking() -> None:
    runtime = FakeRuntime(good_answer)
    authorizers = TokenAuthorizers(lambda: runtime, Clock())
    with pytest.raises(GatewayError) as info:
        authorizers.authorize(authorizer(), req("Bearer a"), f"{API}/GET/x", {}, lambda fn: False)
    assert info.value.response_type == "AUTHORIZER_CONFIGURATION_ERROR"
    assert runtime.events == []


def test_other_header_as_identity_source() -> None:
    runtime = FakeRuntime(good_answer)
    authorizers = TokenAuthorizers(lambda: runtime, Clock())
    request = HttpRequest("GET", "/local/x", "", (("X-Token", "abc"),), b"", "10.0.0.1")
    auth = authorizer(source="method.request.header.X-Token")
    authorizers.authorize(auth, request, f"{API}/GET/petstore/v2/status", {}, lambda fn: True)
    assert runtime.events[0]["authorizationToken"] == "abc"


def test_parse_output_accepts_numeric_principal() -> None:
    assert parse_output({"principalId": 42, "policyDocument": allow_policy("*")}, 1).principal_id == "42"


def test_the_cache_is_per_stage() -> None:
    """API Gateway caches authorizer results per stage (FlushStageAuthorizersCache flushes one)."""
    runtime = FakeRuntime(lambda event: {"principalId": "p", "policyDocument": allow_policy("*")})
    authorizers = TokenAuthorizers(lambda: runtime, Clock())
    other_stage = API.rsplit("/", 1)[0] + "/prod"
    for arn in (f"{API}/GET/x", f"{other_stage}/GET/x", f"{API}/GET/y", f"{other_stage}/GET/y"):
        authorizers.authorize(authorizer(), req("Bearer a"), arn, {}, lambda fn: True)
    assert len(runtime.events) == 2


def test_a_cached_allow_is_served_until_the_ttl_whatever_the_function_would_say_now() -> None:
    """The window the docs describe: the function is not asked again before the TTL ends."""
    verdicts = ["allow", "expired"]

    def answer(event: dict[str, Any]) -> Any:
        if verdicts.pop(0) == "expired":
            raise Exception("Unauthorized")
        return good_answer(event)

    runtime = FakeRuntime(answer)
    clock = Clock()
    authorizers = TokenAuthorizers(lambda: runtime, clock)
    auth = authorizer(ttl=60)
    arn = f"{API}/GET/petstore/v2/status"
    authorizers.authorize(auth, req("Bearer a"), arn, {}, lambda fn: True)
    clock.now += 59
    authorizers.authorize(auth, req("Bearer a"), arn, {}, lambda fn: True)  # cached Allow
    clock.now += 1
    with pytest.raises(GatewayError) as info:
        authorizers.authorize(auth, req("Bearer a"), arn, {}, lambda fn: True)
    assert info.value.response_type == "UNAUTHORIZED"
    assert len(runtime.events) == 2


@pytest.mark.parametrize("ttl", [-1, 3601])
def test_a_ttl_api_gateway_would_refuse_is_a_configuration_error(ttl: int) -> None:
    runtime = FakeRuntime(good_answer)
    authorizers = TokenAuthorizers(lambda: runtime, Clock())
    with pytest.raises(GatewayError) as info:
        authorizers.authorize(authorizer(ttl=ttl), req("Bearer a"), f"{API}/GET/x", {}, lambda fn: True)
    assert info.value.response_type == "AUTHORIZER_CONFIGURATION_ERROR"
    assert runtime.events == []


def test_flush_stage_authorizers_cache_drops_only_that_stages_results() -> None:
    """FlushStageAuthorizersCache (counted in local.apigateway.flushes by the emulator's route):
    the next request of that stage invokes the authorizer again; another stage keeps its cache."""
    from local.apigateway import flushes  # noqa: PLC0415 - the channel under test

    runtime = FakeRuntime(good_answer)
    authorizers = TokenAuthorizers(lambda: runtime, Clock())
    other_stage = "arn:aws:execute-api:us-east-1:123456789012:abc/prod"

    def call(arn: str) -> None:
        # The answer's policy covers stage local only: 403 on prod, cached all the same.
        with contextlib.suppress(GatewayError):
            authorizers.authorize(authorizer(), req("Bearer t0k"), arn, {}, lambda fn: True)

    for arn in (f"{API}/GET/petstore/v2/status", f"{other_stage}/GET/petstore/v2/status"):
        call(arn)
        call(arn)
    assert len(runtime.events) == 2  # one per stage, then cached
    flushes.flush("abc", "local")
    call(f"{API}/GET/petstore/v2/status")
    call(f"{other_stage}/GET/petstore/v2/status")
    assert len(runtime.events) == 3  # only the flushed stage asked again
    call(f"{API}/GET/petstore/v2/status")
    assert len(runtime.events) == 3  # and caches again
